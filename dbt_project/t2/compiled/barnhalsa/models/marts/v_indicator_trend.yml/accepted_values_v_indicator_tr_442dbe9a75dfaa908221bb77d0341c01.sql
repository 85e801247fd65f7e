
    
    

with all_values as (

    select
        trend_method as value_field,
        count(*) as n_records

    from "build"."mart"."v_indicator_trend"
    group by trend_method

)

select *
from all_values
where value_field not in (
    'chi_square_trend','wls'
)


