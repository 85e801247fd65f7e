
    
    

with all_values as (

    select
        coverage as value_field,
        count(*) as n_records

    from "build"."mart"."v_coverage"
    group by coverage

)

select *
from all_values
where value_field not in (
    'complete','partial','missing'
)


