
    
    



select kommungrupp_code
from "build"."main"."int_region_kommungrupp"
where kommungrupp_code is null


