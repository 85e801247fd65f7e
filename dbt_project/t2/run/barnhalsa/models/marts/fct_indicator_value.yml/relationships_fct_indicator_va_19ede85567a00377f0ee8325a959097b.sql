
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with child as (
    select indicator_id as from_field
    from "build"."mart"."fct_indicator_value"
    where indicator_id is not null
),

parent as (
    select indicator_id as to_field
    from "build"."mart"."dim_indicator"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null



  
  
      
    ) dbt_internal_test