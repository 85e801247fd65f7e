
select indicator_id, region_code, sex, age_group, count(*) as n_rows
from "build"."mart"."v_indicator_trend"
group by indicator_id, region_code, sex, age_group
having count(*) > 1
