select
    region_code,
    year,
    age,
    sex,
    population,
    status,
    'scb' as source,
    source_ref,
    fetched_at,
    request_url,
    body_sha256
from "build"."main"."int_population"