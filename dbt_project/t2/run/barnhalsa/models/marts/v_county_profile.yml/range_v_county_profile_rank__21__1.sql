
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select rank
from "build"."mart"."v_county_profile"
where rank is not null
  and (
    rank < 1
    or rank > 21
  )

  
  
      
    ) dbt_internal_test