
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select kommungrupp_code
from (select * from "build"."mart"."dim_region" where region_level = 'municipality') dbt_subquery
where kommungrupp_code is null



  
  
      
    ) dbt_internal_test