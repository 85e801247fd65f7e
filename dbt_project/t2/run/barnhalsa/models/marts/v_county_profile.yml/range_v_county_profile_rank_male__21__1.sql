
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select rank_male
from "build"."mart"."v_county_profile"
where rank_male is not null
  and (
    rank_male < 1
    or rank_male > 21
  )

  
  
      
    ) dbt_internal_test