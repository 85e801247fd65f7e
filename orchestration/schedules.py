"""Jobs and the monthly schedule."""

from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job

refresh_mart = define_asset_job(
    "refresh_mart",
    selection=AssetSelection.all(),
    description="Fetch every source, build the dbt models with their tests, publish the mart.",
)

LANDING = AssetSelection.key_prefixes("landing")

rebuild_mart = define_asset_job(
    "rebuild_mart",
    selection=AssetSelection.all() - LANDING,
    description=(
        "Rebuild the mart from the raw landing alone: no request to any source (offline, reproducible)."
    ),
)

monthly_refresh = ScheduleDefinition(
    name="monthly_refresh",
    job=refresh_mart,
    cron_schedule="0 5 2 * *",
    execution_timezone="Europe/Stockholm",
    description="On the 2nd of every month at 05:00 Swedish time.",
)
