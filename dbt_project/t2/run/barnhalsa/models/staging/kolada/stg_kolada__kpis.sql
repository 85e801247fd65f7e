
  
  create view "build"."main"."stg_kolada__kpis__dbt_tmp" as (
    select
    kpi_id,
    title as kpi_title,
    description as kpi_description,
    is_divided_by_gender,
    municipality_type,
    operating_area,
    publ_period
from "build"."raw"."kolada_kpi"
  );
