
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select rank_female
from "build"."mart"."v_county_profile"
where rank_female is not null
  and (
    rank_female < 1
    or rank_female > 21
  )

  
  
      
    ) dbt_internal_test