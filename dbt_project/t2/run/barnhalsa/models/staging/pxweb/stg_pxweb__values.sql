
  
  create view "build"."main"."stg_pxweb__values__dbt_tmp" as (
    select
    indicator_id,
    table_key,
    source,
    source_ref,
    region_code,
    period_label,
    period_start,
    period_end,
    sex,
    age_group,
    value,
    ci_low,
    ci_high,
    n,
    marker,
    request_url,
    fetched_at,
    body_sha256
from "build"."raw"."pxweb_values"
  );
