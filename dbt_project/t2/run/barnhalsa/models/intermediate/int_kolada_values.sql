
  
  create view "build"."main"."int_kolada_values__dbt_tmp" as (
    -- Kolada's values of the catalogue's KPIs on the mart's codes: SCB-style region codes, sex
-- total/female/male, status 'ok' / 'missing' / Kolada's own flag in lower case (the flag as
-- Kolada writes it in source_marker).
with catalogue as (
    select indicator_id, source_ref
    from "build"."main"."indicators"
    where source = 'kolada'
)

select
    catalogue.indicator_id,
    case
        when length(v.kolada_region_id) = 4 and starts_with(v.kolada_region_id, '00') then substr(v.kolada_region_id, 3, 2)
        else v.kolada_region_id
    end as region_code,
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
from "build"."main"."stg_kolada__values" as v
inner join catalogue
    on catalogue.source_ref = v.kpi_id
  );
