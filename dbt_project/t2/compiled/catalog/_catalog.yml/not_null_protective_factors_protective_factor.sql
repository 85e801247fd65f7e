
    
    



select protective_factor
from "build"."main"."protective_factors"
where protective_factor is null


