"""Run the real Dagster assets in-process against local sources."""

from __future__ import annotations

from typing import Any

from dagster import ExecuteInProcessResult, materialize

from orchestration.definitions import ASSETS, defs
from orchestration.resources import KoladaResource, WarehouseResource


def run_pipeline(
    kolada_url: str,
    *,
    from_landing: bool = False,
    years: int = 3,
    last_year: int = 2026,
    **kolada_options: Any,
) -> ExecuteInProcessResult:
    """Materialise every asset (fetch, dbt build, publish) the way the main job does."""
    resources = {
        **defs.resources,
        "kolada_api": KoladaResource(
            base_url=kolada_url,
            years=years,
            last_year=last_year,
            backoff_factor=0.01,
            **kolada_options,
        ),
        "warehouse": WarehouseResource(),
    }
    run_config = {"ops": {"kolada_raw": {"config": {"from_landing": from_landing}}}}
    return materialize(ASSETS, resources=resources, run_config=run_config, raise_on_error=False)
