
select region_code, indicator_id, count(*) as n_rows
from "build"."mart"."v_coverage"
group by region_code, indicator_id
having count(*) > 1
