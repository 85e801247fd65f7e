select
    region_code,
    year,
    age,
    sex,
    population,
    marker,
    source_ref,
    request_url,
    fetched_at,
    body_sha256
from "build"."raw"."scb_population"