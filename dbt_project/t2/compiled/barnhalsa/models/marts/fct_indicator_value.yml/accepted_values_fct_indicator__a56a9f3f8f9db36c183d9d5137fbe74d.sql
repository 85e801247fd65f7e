
    
    

with all_values as (

    select
        ci_method as value_field,
        count(*) as n_records

    from "build"."mart"."fct_indicator_value"
    group by ci_method

)

select *
from all_values
where value_field not in (
    'source','wilson','byar'
)


