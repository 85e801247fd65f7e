
    
    



select region_code
from "build"."main"."int_regions"
where region_code is null


