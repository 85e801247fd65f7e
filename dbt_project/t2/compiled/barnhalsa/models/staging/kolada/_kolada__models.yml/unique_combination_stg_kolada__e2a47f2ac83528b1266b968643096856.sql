
select kolada_group_id, kolada_region_id, count(*) as n_rows
from "build"."main"."stg_kolada__municipality_groups"
group by kolada_group_id, kolada_region_id
having count(*) > 1
