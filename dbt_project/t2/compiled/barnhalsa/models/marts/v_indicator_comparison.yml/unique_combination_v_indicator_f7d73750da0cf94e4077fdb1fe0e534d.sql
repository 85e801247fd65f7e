
select indicator_id, region_code, period_start, period_end, sex, age_group, count(*) as n_rows
from "build"."mart"."v_indicator_comparison"
group by indicator_id, region_code, period_start, period_end, sex, age_group
having count(*) > 1
