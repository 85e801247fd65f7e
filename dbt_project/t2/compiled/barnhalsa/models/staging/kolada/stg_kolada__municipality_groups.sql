select
    group_id as kolada_group_id,
    group_title as kolada_group_title,
    member_id as kolada_region_id,
    member_title as member_name
from "build"."raw"."kolada_municipality_groups"