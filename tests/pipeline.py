"""Run the real Dagster assets in-process against local sources."""

from __future__ import annotations

from typing import Any

from dagster import AssetSelection, ExecuteInProcessResult, materialize

from orchestration.definitions import ASSETS, CHECKS, defs
from orchestration.resources import KoladaResource, PxWebResource, WarehouseResource

DEAD_URL = "http://127.0.0.1:9/"  # nothing listens there


def run_pipeline(
    kolada_url: str = DEAD_URL,
    *,
    scb_url: str = DEAD_URL,
    fohm_url: str = DEAD_URL,
    from_landing: bool = False,
    selection: AssetSelection | None = None,
    years: int = 3,
    last_year: int = 2026,
    reports: bool = False,
    **kolada_options: Any,
) -> ExecuteInProcessResult:
    """Materialise every asset (fetch, load, dbt build, checks, publish) as the main job does.

    ``from_landing`` leaves the landing (fetch) assets out, as the rebuild_mart job does;
    ``selection`` runs a job's selection instead of every asset; the county reports (a browser
    per run) are left out unless ``reports``.
    """
    resources = {
        **defs.resources,
        "kolada_api": KoladaResource(
            base_url=kolada_url, years=years, last_year=last_year, backoff_factor=0.01, **kolada_options
        ),
        "pxweb": PxWebResource(
            scb_base_url=scb_url,
            fohm_base_url=fohm_url,
            backoff_factor=0.01,
            retries=kolada_options.get("retries", 5),
        ),
        "warehouse": WarehouseResource(),
    }
    selection = selection or AssetSelection.all()
    if from_landing:
        selection = selection - AssetSelection.key_prefixes("landing")
    if not reports:
        selection = selection - AssetSelection.assets("county_reports")
    return materialize([*ASSETS, *CHECKS], resources=resources, selection=selection, raise_on_error=False)
