-- The catalogue, and the indicators the dropped survey specs declare.
select
    indicator_id,
    title,
    protective_factor,
    source,
    source_ref,
    unit,
    higher_is_better,
    rate_ages,
    short_title,
    ages,
    age_label,
    municipality_type,
    by_sex,
    protective_factor = 'vuxna' as is_adult
from {{ ref('indicators') }}
union all
select
    indicator_id,
    title,
    protective_factor,
    source,
    source_ref,
    unit,
    higher_is_better,
    cast(null as varchar) as rate_ages,
    title as short_title,
    cast(null as varchar) as ages,
    cast(null as varchar) as age_label,
    cast(null as varchar) as municipality_type,
    cast(null as boolean) as by_sex,
    protective_factor = 'vuxna' as is_adult
from {{ ref('stg_survey__indicators') }}
