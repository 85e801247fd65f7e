
    
    select
      count(*) as failures,
      count(*) != 0 as should_warn,
      count(*) != 0 as should_error
    from (
      
    
  
    
    

with child as (
    select kommungrupp_code as from_field
    from "build"."mart"."dim_region"
    where kommungrupp_code is not null
),

parent as (
    select kommungrupp_code as to_field
    from "build"."main"."kommungrupper"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null



  
  
      
    ) dbt_internal_test