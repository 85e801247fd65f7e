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
    denominator_ages
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
    cast(null as varchar) as denominator_ages
from {{ ref('stg_survey__indicators') }}
