
select region_code, 'same_area_as does not link county 09 and municipality 0980' as problem
from "build"."mart"."dim_region"
where (region_code = '09' and coalesce(same_area_as, '') <> '0980')
    or (region_code = '0980' and coalesce(same_area_as, '') <> '09')
union all
select '09' as region_code, 'county 09 has ' || count(*) || ' municipalities, expected 1 (0980)' as problem
from "build"."mart"."dim_region"
where region_level = 'municipality' and county_code = '09'
having count(*) > 1
