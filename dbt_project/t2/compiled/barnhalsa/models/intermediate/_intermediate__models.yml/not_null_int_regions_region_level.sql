
    
    



select region_level
from "build"."main"."int_regions"
where region_level is null


