
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
select region_code, year, age, sex, count(*) as n_rows
from "build"."mart"."fct_population"
group by region_code, year, age, sex
having count(*) > 1

  
  
      
    ) dbt_internal_test