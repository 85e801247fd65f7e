-- Every source's values on the mart's codes: indicator id from the catalogue,
-- SCB-style region codes, sex total/female/male, one lower-case status vocabulary
-- (catalog/statuses.csv) and the source's own marker or flag beside it (source_marker).
with kolada as (
    select * from {{ ref('int_kolada_values') }}
),

derived as (
    select * from {{ ref('int_kolada_derived_values') }}
),

pxweb as (
    select
        indicator_id,
        region_code,
        period_start,
        period_end,
        sex,
        age_group,
        value,
        ci_low,
        ci_high,
        n,
        {{ marker_status('value', 'marker') }} as status,
        source,
        source_ref,
        request_url,
        fetched_at,
        body_sha256,
        marker as source_marker
    from {{ ref('stg_pxweb__values') }}
)

select * from kolada
-- derived county and Sweden values where Kolada has no row at all (municipality-only KPIs)
union all
select * from derived
union all
select * from pxweb
union all
select * from {{ ref('int_survey_values') }}
