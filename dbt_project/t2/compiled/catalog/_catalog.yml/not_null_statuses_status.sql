
    
    



select status
from "build"."main"."statuses"
where status is null


