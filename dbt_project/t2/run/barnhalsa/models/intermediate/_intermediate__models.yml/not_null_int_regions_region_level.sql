
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select region_level
from "build"."main"."int_regions"
where region_level is null



  
  
      
    ) dbt_internal_test