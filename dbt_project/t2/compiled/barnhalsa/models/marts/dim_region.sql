-- Sweden, counties and municipalities with their hierarchy (municipality -> county -> Sweden)
-- and, for municipalities, SKR's kommungrupp from Kolada.
with regions as (
    select region_code, region_name, region_level, county_code
    from "build"."main"."int_regions"
),

kommungrupper as (
    select * from "build"."main"."kommungrupper"
),

-- a county whose only municipality covers the same area and bears its name (Gotland: county 09
-- 'Region Gotland' = municipality 0980 'Gotland'); a partial region list with one municipality of
-- a larger county does not qualify
single_municipality_counties as (
    select m.county_code, min(m.region_code) as municipality_code
    from regions as m
    inner join regions as c
        on c.region_code = m.county_code
        and c.region_level = 'county'
    where m.region_level = 'municipality'
    group by m.county_code
    having count(*) = 1 and ends_with(lower(min(c.region_name)), lower(min(m.region_name)))
)

select
    r.region_code,
    r.region_name,
    r.region_level,
    r.county_code,
    county.region_name as county_name,
    case r.region_level
        when 'municipality' then r.county_code
        when 'county' then '00'
    end as parent_code,
    case r.region_level when 'country' then 1 when 'county' then 2 else 3 end as level_rank,
    case
        when r.region_level = 'county' then single.municipality_code
        when r.region_level = 'municipality' and single.municipality_code = r.region_code then r.county_code
    end as same_area_as,
    g.kommungrupp_code,
    k.label_sv as kommungrupp,
    k.label_en as kommungrupp_en,
    k.main_group_code as kommungrupp_main_code,
    k.main_group_sv as kommungrupp_main,
    k.main_group_en as kommungrupp_main_en,
    g.classification_year as kommungrupp_year,
    g.kolada_group_id as kommungrupp_kolada_group_id
from regions as r
left join regions as county
    on county.region_code = r.county_code
    and county.region_level = 'county'
left join single_municipality_counties as single
    on single.county_code = r.county_code
left join "build"."main"."int_region_kommungrupp" as g
    on g.region_code = r.region_code
    and r.region_level = 'municipality'
left join kommungrupper as k
    on k.kommungrupp_code = g.kommungrupp_code