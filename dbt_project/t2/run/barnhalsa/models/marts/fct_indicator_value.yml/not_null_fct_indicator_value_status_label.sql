
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select status_label
from "build"."mart"."fct_indicator_value"
where status_label is null



  
  
      
    ) dbt_internal_test