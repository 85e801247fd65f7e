
  
  create view "build"."main"."stg_survey__indicators__dbt_tmp" as (
    select
    indicator_id,
    title,
    protective_factor,
    source,
    source_ref,
    unit,
    higher_is_better,
    source_title
from "build"."raw"."survey_indicators"
  );
