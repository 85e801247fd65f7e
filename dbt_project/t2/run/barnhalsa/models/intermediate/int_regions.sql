
  
  create view "build"."main"."int_regions__dbt_tmp" as (
    -- Kolada's municipality list on SCB-style region codes, with level and county.
with kolada as (
    select
        kolada_region_id,
        case
        when length(kolada_region_id) = 4 and starts_with(kolada_region_id, '00') then substr(kolada_region_id, 3, 2)
        else kolada_region_id
    end as region_code,
        region_name,
        kolada_type
    from "build"."main"."stg_kolada__municipalities"
    where kolada_type in ('K', 'L')
)

select
    region_code,
    region_name,
    case
        when region_code = '00' then 'country'
        when length(region_code) = 2 then 'county'
        when length(region_code) = 4 then 'municipality'
    end as region_level,
    case
        when region_code = '00' then null
        else left(region_code, 2)
    end as county_code,
    kolada_region_id
from kolada
  );
