
    
    



select indicator_id
from "build"."main"."indicators"
where indicator_id is null


