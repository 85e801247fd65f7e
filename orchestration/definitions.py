"""The code location: assets, checks, jobs, schedule and resources of barnhalsa."""

from __future__ import annotations

from dagster import Definitions, in_process_executor
from dagster_dbt import DbtCliResource

from orchestration.dbt import barnhalsa_dbt, dbt_executable, dbt_project
from orchestration.kolada import kolada_raw
from orchestration.publish import published_mart
from orchestration.resources import KoladaResource, WarehouseResource
from orchestration.schedules import monthly_refresh, rebuild_mart, refresh_mart

ASSETS = [kolada_raw, barnhalsa_dbt, published_mart]

defs = Definitions(
    assets=ASSETS,
    jobs=[refresh_mart, rebuild_mart],
    schedules=[monthly_refresh],
    resources={
        "kolada_api": KoladaResource(),
        "warehouse": WarehouseResource(),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    },
    executor=in_process_executor,
)
