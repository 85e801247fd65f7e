
  
  create view "build"."main"."stg_kolada__municipalities__dbt_tmp" as (
    select
    municipality_id as kolada_region_id,
    title as region_name,
    type as kolada_type
from "build"."raw"."kolada_municipality"
  );
