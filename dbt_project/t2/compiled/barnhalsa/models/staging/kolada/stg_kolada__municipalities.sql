select
    municipality_id as kolada_region_id,
    title as region_name,
    type as kolada_type
from "build"."raw"."kolada_municipality"