
  
  create view "build"."main"."int_indicator_values__dbt_tmp" as (
    -- Every source's values on the mart's codes: indicator id from the catalogue,
-- SCB-style region codes, sex total/female/male, one lower-case status vocabulary
-- (catalog/statuses.csv) and the source's own marker or flag beside it (source_marker).
with kolada as (
    select * from "build"."main"."int_kolada_values"
),

derived as (
    select * from "build"."main"."int_kolada_derived_values"
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
        case
        when marker = '..' then 'not_available'
        when marker = '.' then 'not_applicable'
        when marker in ('...', '…') then 'not_yet_available'
        when marker = '-' then 'magnitude_zero'
        when value is null then 'missing'
        else 'ok'
    end as status,
        source,
        source_ref,
        request_url,
        fetched_at,
        body_sha256,
        marker as source_marker
    from "build"."main"."stg_pxweb__values"
)

select * from kolada
-- derived county and Sweden values where Kolada has no row at all (municipality-only KPIs)
union all
select * from derived
union all
select * from pxweb
union all
select * from "build"."main"."int_survey_values"
  );
