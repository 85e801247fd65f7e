
    
    

with all_values as (

    select
        protective_factor as value_field,
        count(*) as n_records

    from "build"."mart"."dim_indicator"
    group by protective_factor

)

select *
from all_values
where value_field not in (
    'framtidstro','fullfolja_studier','trygga_relationer','goda_levnadsvanor','framjande_miljoer','psykisk_halsa','fysisk_halsa','kontext','vuxna'
)


