
    
    



select region_code
from "build"."main"."int_region_kommungrupp"
where region_code is null


