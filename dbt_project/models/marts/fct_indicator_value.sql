select
    indicator_id,
    region_code,
    period_start,
    period_end,
    sex,
    value,
    status,
    source,
    source_ref,
    fetched_at,
    request_url,
    body_sha256
from {{ ref('int_indicator_values') }}
