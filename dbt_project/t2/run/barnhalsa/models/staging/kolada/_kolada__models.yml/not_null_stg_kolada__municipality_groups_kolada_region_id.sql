
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    



select kolada_region_id
from "build"."main"."stg_kolada__municipality_groups"
where kolada_region_id is null



  
  
      
    ) dbt_internal_test