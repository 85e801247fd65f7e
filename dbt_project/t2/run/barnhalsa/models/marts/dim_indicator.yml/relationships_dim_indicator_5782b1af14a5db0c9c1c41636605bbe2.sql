
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with child as (
    select protective_factor as from_field
    from "build"."mart"."dim_indicator"
    where protective_factor is not null
),

parent as (
    select protective_factor as to_field
    from "build"."mart"."dim_protective_factor"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null



  
  
      
    ) dbt_internal_test