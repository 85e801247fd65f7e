
  
  create view "build"."main"."stg_survey__values__dbt_tmp" as (
    select
    indicator_id,
    survey,
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
    n_asked,
    min_respondents,
    min_response_rate,
    low_precision_below,
    file_row,
    request_url,
    fetched_at,
    body_sha256
from "build"."raw"."survey_values"
  );
