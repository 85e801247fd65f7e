
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select protective_factor
from "build"."main"."protective_factors"
where protective_factor is null



  
  
      
    ) dbt_internal_test