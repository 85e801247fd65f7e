
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select region_code, indicator_id, count(*) as n_rows
from "build"."mart"."v_coverage"
group by region_code, indicator_id
having count(*) > 1

  
  
      
    ) dbt_internal_test