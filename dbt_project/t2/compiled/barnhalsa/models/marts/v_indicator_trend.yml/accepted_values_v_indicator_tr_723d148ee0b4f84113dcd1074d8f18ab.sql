
    
    

with all_values as (

    select
        direction_1 as value_field,
        count(*) as n_records

    from "build"."mart"."v_indicator_trend"
    group by direction_1

)

select *
from all_values
where value_field not in (
    'better','worse','unchanged','not_compared'
)


