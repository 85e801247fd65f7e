select
    kpi_id,
    municipality_id as kolada_region_id,
    period as year,
    gender,
    value,
    status as source_status,
    request_url,
    fetched_at,
    body_sha256
from "build"."raw"."kolada_values"