"""The code location: assets, checks, jobs, schedule and resources of barnhalsa."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration.checks import CHECKS as MART_CHECKS
from orchestration.dbt import BarnhalsaDbtCli, barnhalsa_dbt, dbt_child_executable, dbt_project
from orchestration.kolada import kolada_landing, kolada_raw
from orchestration.publish import published_mart
from orchestration.pxweb import LANDING_ASSETS, pxweb_raw
from orchestration.recovery import dead_run_sensor
from orchestration.report import county_reports, county_reports_job
from orchestration.resources import KoladaResource, PxWebResource, WarehouseResource
from orchestration.schedules import monthly_refresh, rebuild_mart, refresh_mart
from orchestration.surveys import (
    refresh_surveys,
    survey_drop_sensor,
    survey_landing,
    survey_privacy_rule,
    survey_raw,
)

ASSETS = [
    kolada_landing,
    *LANDING_ASSETS,
    survey_landing,
    kolada_raw,
    pxweb_raw,
    survey_raw,
    barnhalsa_dbt,
    published_mart,
    county_reports,
]
CHECKS = [*MART_CHECKS, survey_privacy_rule]

defs = Definitions(
    assets=ASSETS,
    asset_checks=CHECKS,
    jobs=[refresh_mart, rebuild_mart, refresh_surveys, county_reports_job],
    schedules=[monthly_refresh],
    sensors=[survey_drop_sensor, dead_run_sensor],
    resources={
        "kolada_api": KoladaResource(),
        "pxweb": PxWebResource(),
        "warehouse": WarehouseResource(),
        "dbt": BarnhalsaDbtCli(project_dir=dbt_project, dbt_executable=dbt_child_executable()),
    },
    executor=in_process_executor,
)
