
    
    

with all_values as (

    select
        region_level as value_field,
        count(*) as n_records

    from "build"."mart"."v_indicator_comparison"
    group by region_level

)

select *
from all_values
where value_field not in (
    'municipality','county'
)


