
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select population
from "build"."mart"."fct_population"
where population is not null
  and (
    population < 0
    or false
  )

  
  
      
    ) dbt_internal_test