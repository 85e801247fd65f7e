
    
    



select kolada_region_id
from "build"."main"."stg_kolada__municipality_groups"
where kolada_region_id is null


