
    
    



select kolada_group_id
from "build"."main"."stg_kolada__municipality_groups"
where kolada_group_id is null


