-- Every source's values on the mart's codes: indicator id from the catalogue,
-- SCB-style region codes, sex total/female/male, one lower-case status vocabulary
-- (catalog/statuses.csv) and the source's own marker or flag beside it (source_marker).
with catalogue as (
    select indicator_id, source, source_ref
    from {{ ref('indicators') }}
),

kolada as (
    select
        catalogue.indicator_id,
        {{ kolada_region_code('v.kolada_region_id') }} as region_code,
        v.year as period_start,
        v.year as period_end,
        case v.gender when 'T' then 'total' when 'K' then 'female' when 'M' then 'male' end as sex,
        'total' as age_group,
        v.value,
        cast(null as double) as ci_low,
        cast(null as double) as ci_high,
        cast(null as double) as n,
        coalesce(lower(nullif(trim(v.source_status), '')), case when v.value is null then 'missing' else 'ok' end)
            as status,
        'kolada' as source,
        v.kpi_id as source_ref,
        v.request_url,
        v.fetched_at,
        v.body_sha256,
        v.source_status as source_marker
    from {{ ref('stg_kolada__values') }} as v
    inner join catalogue
        on catalogue.source = 'kolada'
        and catalogue.source_ref = v.kpi_id
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
union all
select * from pxweb
union all
select * from {{ ref('int_survey_values') }}
