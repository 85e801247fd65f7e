
    
    

with child as (
    select parent_code as from_field
    from "build"."mart"."dim_region"
    where parent_code is not null
),

parent as (
    select region_code as to_field
    from "build"."mart"."dim_region"
)

select
    from_field

from child
left join parent
    on child.from_field = parent.to_field

where parent.to_field is null


