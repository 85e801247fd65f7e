
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with all_values as (

    select
        region_level as value_field,
        count(*) as n_records

    from "build"."mart"."dim_region"
    group by region_level

)

select *
from all_values
where value_field not in (
    'country','county','municipality'
)



  
  
      
    ) dbt_internal_test