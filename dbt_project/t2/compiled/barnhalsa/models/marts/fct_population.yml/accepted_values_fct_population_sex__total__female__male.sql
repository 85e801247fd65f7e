
    
    

with all_values as (

    select
        sex as value_field,
        count(*) as n_records

    from "build"."mart"."fct_population"
    group by sex

)

select *
from all_values
where value_field not in (
    'total','female','male'
)


