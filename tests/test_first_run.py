"""A first run on the recorded municipality list (Sweden, 21 counties, 290 municipalities) in
which one catalogued KPI is unknown to Kolada (retired: no metadata, no values): ``dim_region`` is
built from the list, the unknown KPI is failed and the others load.

One run (a session fixture) for both; the module is one of ``ONE_WORKER_MODULES``
(``tests/conftest.py``), so it runs once. Without the recordings the run uses the generated small
region set, and only the unknown KPI's test runs.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from localsources.kolada_server import synthetic_data
from tests.conftest import RECORDINGS, catalog_kpis, run_on_local_sources
from tests.test_pipeline import mart_rows
from tests.test_source_status import STATUS_SQL

MUNICIPALITY_LIST = RECORDINGS / "kolada" / "rkolada_v3_municipality_list.csv"
GONE = "N15419"  # retired at Kolada: no metadata, no values


@dataclass(frozen=True)
class FirstRun:
    mart: Path
    recorded_regions: bool  # the recorded municipality list, or the generated small region set


@pytest.fixture(scope="session")  # not torn down by other modules' tests in between
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FirstRun]:
    regions = None
    if MUNICIPALITY_LIST.exists():
        with MUNICIPALITY_LIST.open(encoding="utf-8") as handle:
            regions = [
                {"id": r["id"], "title": r["title"], "type": r["type"]} for r in csv.DictReader(handle)
            ]
    data = synthetic_data(catalog_kpis(), [2025], regions)
    del data.kpis[GONE]
    for key in [k for k in data.objects if k[0] == GONE]:
        del data.objects[key]
    warehouse = tmp_path_factory.mktemp("first-run") / "warehouse"
    warehouse.mkdir()
    run_on_local_sources(warehouse, data, years=1, last_year=2025)
    yield FirstRun(warehouse / "mart.duckdb", regions is not None)


def test_dim_region_from_the_recorded_municipality_list(first_run: FirstRun) -> None:
    if not first_run.recorded_regions:
        pytest.skip(
            f"recording {MUNICIPALITY_LIST} not present (../shared/recordings is not beside the repo)"
        )
    mart = first_run.mart
    levels = dict(mart_rows(mart, "select region_level, count(*) from dim_region group by 1"))
    assert levels == {"country": 1, "county": 21, "municipality": 290}
    assert mart_rows(mart, "select region_name, county_code from dim_region where region_code = '1780'") == [
        ("Karlstad", "17")
    ]
    assert mart_rows(mart, "select region_name from dim_region where region_code = '17'") == [
        ("Region Värmland",)
    ]
    counties = mart_rows(
        mart,
        "select count(distinct county_code) from dim_region where region_level = 'municipality'"
        " and county_code in (select region_code from dim_region where region_level = 'county')",
    )
    assert counties == [(21,)]
    # every municipality has one kommungrupp; Gotland (09 = 0980) is the only linked pair
    assert mart_rows(
        mart, "select count(kommungrupp_code) from dim_region where region_level = 'municipality'"
    ) == [(290,)]
    assert mart_rows(mart, "select region_code, same_area_as from dim_region where same_area_as is not null"
                     " order by 1") == [("09", "0980"), ("0980", "09")]  # fmt: skip
    # the county profile ranks each county once among the 21
    profile = mart_rows(
        mart,
        "select count(*), count(distinct county_code), max(rank), count(*) filter (where county_code = '09')"
        " from v_county_profile where indicator_id = 'kolada_n15428'",
    )
    assert profile[0][:2] == (21, 21) and profile[0][2] <= 21 and profile[0][3] == 1


def test_a_kpi_kolada_does_not_know_is_failed_and_the_others_load(first_run: FirstRun) -> None:
    mart = first_run.mart
    kpis = {
        ref: (state, reason)
        for ref, state, reason, _ in mart_rows(mart, STATUS_SQL)
        if ref.startswith(("N", "U"))
    }
    assert kpis[GONE][0] == "failed" and "no value" in kpis[GONE][1]
    assert {state for ref, (state, _) in kpis.items() if ref != GONE} == {"fresh"}
    assert mart_rows(mart, f"select count(*) from fct_indicator_value where source_ref = '{GONE}'") == [(0,)]
    assert mart_rows(mart, "select count(*) from fct_indicator_value where source = 'kolada'")[0][0] > 0
