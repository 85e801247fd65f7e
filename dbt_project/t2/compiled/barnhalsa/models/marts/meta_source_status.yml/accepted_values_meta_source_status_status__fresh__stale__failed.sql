
    
    

with all_values as (

    select
        status as value_field,
        count(*) as n_records

    from "build"."mart"."meta_source_status"
    group by status

)

select *
from all_values
where value_field not in (
    'fresh','stale','failed'
)


