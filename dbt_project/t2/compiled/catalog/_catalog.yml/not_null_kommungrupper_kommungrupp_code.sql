
    
    



select kommungrupp_code
from "build"."main"."kommungrupper"
where kommungrupp_code is null


