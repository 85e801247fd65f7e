"""End to end: real Dagster materialisation, real dbt build, real DuckDB files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.kolada_server import KoladaData, KoladaServer
from tests.pipeline import run_pipeline


def mart_rows(mart: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(mart), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_pipeline_publishes_exactly_what_the_server_served(
    kolada_server: KoladaServer, kolada_data: KoladaData, warehouse_dir: Path
) -> None:
    kolada_server.fault("429", match="/data/", times=2, retry_after="1")
    result = run_pipeline(kolada_server.base_url)
    assert result.success
    mart = warehouse_dir / "mart.duckdb"
    served = {
        (kpi, muni, year, entry["gender"]): entry["value"]
        for (kpi, muni, year), obj in kolada_data.objects.items()
        for entry in obj["values"]
    }
    rows = mart_rows(
        mart,
        "select i.source_ref, f.region_code, f.period_start, f.sex, f.value, f.status"
        " from fct_indicator_value f join dim_indicator i using (indicator_id)",
    )
    assert len(rows) == len(served)
    sex_code = {"total": "T", "female": "K", "male": "M"}
    for kpi, region, year, sex, value, status in rows:
        kolada_id = "00" + region if len(region) == 2 else region
        assert served[(kpi, kolada_id, year, sex_code[sex])] == value
        assert (status == "Missing") == (value is None)
    assert kolada_server.requests_to("/data/") >= 3  # two 429s, then the answer
