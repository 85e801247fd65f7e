
    
    



select indicator_id
from "build"."main"."stg_survey__indicators"
where indicator_id is null


