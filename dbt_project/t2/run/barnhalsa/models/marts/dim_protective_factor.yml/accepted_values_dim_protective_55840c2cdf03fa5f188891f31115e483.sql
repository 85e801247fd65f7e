
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        kind as value_field,
        count(*) as n_records

    from "build"."mart"."dim_protective_factor"
    group by kind

)

select *
from all_values
where value_field not in (
    'protective_factor','outcome','context'
)



  
  
      
    ) dbt_internal_test