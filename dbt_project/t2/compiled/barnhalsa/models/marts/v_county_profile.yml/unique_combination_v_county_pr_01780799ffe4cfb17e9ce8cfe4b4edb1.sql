
select county_code, indicator_id, age_group, count(*) as n_rows
from "build"."mart"."v_county_profile"
group by county_code, indicator_id, age_group
having count(*) > 1
