
    
    



select indicator_id
from "build"."main"."adult_indicators"
where indicator_id is null


