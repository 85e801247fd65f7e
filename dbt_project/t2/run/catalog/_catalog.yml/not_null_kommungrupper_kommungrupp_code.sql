
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select kommungrupp_code
from "build"."main"."kommungrupper"
where kommungrupp_code is null



  
  
      
    ) dbt_internal_test