-- One row per catalogued PxWeb table and Kolada KPI: fresh, stale (its fetch fails; the mart
-- keeps the last good batch) or failed (no value in the mart), with the reason.
with statuses as (
    select * from "build"."raw"."pxweb_status"
    union all
    select * from "build"."raw"."kolada_status"
)

select
    source,
    source_ref,
    table_key,
    verified,
    status,
    reason,
    failing_since,
    last_good_fetch,
    landing_batch,
    rows,
    failed_indicators
from statuses