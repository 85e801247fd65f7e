
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select indicator_id, region_code, period_start, period_end, sex, age_group, count(*) as n_rows
from "build"."mart"."v_indicator_comparison"
group by indicator_id, region_code, period_start, period_end, sex, age_group
having count(*) > 1

  
  
      
    ) dbt_internal_test