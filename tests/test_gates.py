"""Cross-table gates on real DuckDB files: rows raw to mart, volume, coverage, freshness."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from expectations import core, gates
from ingest.catalog import load_catalog

BUILD = """
create schema raw; create schema mart;
create table mart.dim_region as select * from (values
    ('00', 'country'), ('17', 'county'), ('18', 'county'), ('1780', 'municipality'), ('1880', 'municipality')
) t(region_code, region_level);
create table mart.dim_indicator as select * from (values
    ('kolada_n15428', 'kolada', 'N15428'), ('fohm_x', 'fohm', 'x.px')
) t(indicator_id, source, source_ref);
create table mart.fct_indicator_value as select * from (values
    ('kolada_n15428', '17', 2024, 2024, 50.0, 'kolada', 'ok'),
    ('kolada_n15428', '18', 2024, 2024, 51.0, 'kolada', 'derived'),  -- from no raw row of its own
    ('kolada_n15428', '1780', 2024, 2024, 52.0, 'kolada', 'ok'),
    ('kolada_n15428', '1880', 2024, 2024, null, 'kolada', 'missing'),
    ('fohm_x', '17', 2019, 2020, 10.0, 'fohm', 'ok'),
    ('survey_x', '1780', 2024, 2024, null, 'survey:x', 'missing')
) t(indicator_id, region_code, period_start, period_end, value, source, status);
create table mart.fct_population as select * from (values
    ('17', 2024, 'female', 10), ('17', 2024, 'male', 11), ('17', 2024, 'total', 21)
) t(region_code, year, sex, population);
create table raw.kolada_values as select 'N15428' as kpi_id from range(3);
create table raw.pxweb_values as select 'fohm_x' as indicator_id;
create table raw.survey_values as select 'survey_x' as indicator_id;
create table raw.scb_population as select 1 as x from range(2);
"""


@pytest.fixture
def build_db(tmp_path: Path) -> Path:
    path = tmp_path / "build.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(BUILD)
    return path


def publish(path: Path, kolada_rows: int, population: bool = True) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table fct_indicator_value as select 'kolada' as source from range(?)"
            " union all select 'fohm'",
            [kolada_rows],
        )
        if population:
            con.execute("create table fct_population as select 1 as x from range(3)")
    return path


def test_reconciliation_passes_and_names_the_indicator_that_lost_a_row(build_db: Path) -> None:
    assert not core.validate(gates.reconciliation(), gates.reconciliation_frame(build_db)).failures
    with duckdb.connect(str(build_db)) as con:
        con.execute("delete from mart.fct_indicator_value where region_code = '1880'")
    outcome = core.validate(gates.reconciliation(), gates.reconciliation_frame(build_db))
    (failure,) = outcome.failures
    assert failure.name == "no_row_lost" and failure.severity == core.CRITICAL
    assert failure.sample[0]["indicator_id"] == "kolada_n15428"
    assert (failure.sample[0]["raw_rows"], failure.sample[0]["mart_rows"]) == (3, 2)  # '18' is derived


def test_volume_against_the_published_mart(build_db: Path, tmp_path: Path) -> None:
    first = gates.volume_frame(build_db, tmp_path / "none.duckdb")
    assert first.empty and not core.validate(gates.volume(), first).failures
    kept = gates.volume_frame(build_db, publish(tmp_path / "same.duckdb", 4))
    assert not core.validate(gates.volume(), kept).failures
    older = gates.volume_frame(build_db, publish(tmp_path / "older.duckdb", 4, population=False))
    assert set(older["source"]) == {"kolada", "fohm"}  # a mart without fct_population: nothing to compare
    lost = gates.volume_frame(build_db, publish(tmp_path / "lost.duckdb", 5))  # 4 of 5: 20 % lost
    outcome = core.validate(gates.volume(), lost)
    assert outcome.failed_names == {"volume_kept"}
    assert outcome.failures[0].sample == [{"source": "kolada", "previous_rows": 5, "current_rows": 4,
                                           "kept_share": 0.8}]  # fmt: skip


def test_coverage_warns_on_gaps_only_at_levels_an_indicator_is_published_for(build_db: Path) -> None:
    frame = gates.coverage_frame(build_db)
    shares = {(r.indicator_id, r.region_level): r.share for r in frame.itertuples()}
    assert shares == {
        ("kolada_n15428", "county"): 1.0,
        ("kolada_n15428", "municipality"): 0.5,  # 1880 has no value
        ("fohm_x", "county"): 0.5,  # county-only source: no municipality row at all
    }
    outcome = core.validate(gates.coverage(), frame)
    assert outcome.failed_names == {"coverage"} and not outcome.errors


def test_freshness_against_the_catalogue_cadence(build_db: Path) -> None:
    cadence = gates.load_cadence()
    sources = {i.source for i in load_catalog()}
    assert sources <= set(cadence["sources"])
    frame = gates.freshness_frame(build_db, date(2026, 6, 1), cadence)
    ages = {r.indicator_id: (r.age_years, r.max_age_years) for r in frame.itertuples()}
    assert ages["kolada_n15428"] == (2.0, 2.0)
    assert ages["fohm_x"] == (6.0, cadence["sources"]["fohm"]["max_lag_years"])
    outcome = core.validate(gates.freshness(), frame)
    assert outcome.failed_names == {"newest_period_fresh"} and not outcome.errors
    assert [row["indicator_id"] for row in outcome.failures[0].sample] == ["fohm_x"]
    assert outcome.failures[0].ids == ("fohm_x",)
    assert "(indicator_id: fohm_x)" in outcome.describe()  # make run's WARN line names it


def test_a_survey_spec_sets_its_cadence(build_db: Path) -> None:
    """A survey run every third year is fresh three years after its last wave and one more while
    its results arrive; without cadence_years, the default one year makes it late at once."""
    with duckdb.connect(str(build_db)) as con:
        con.execute(
            "insert into mart.fct_indicator_value values"
            " ('survey_y', '1780', 2023, 2023, 40.0, 'survey:y', 'ok'),"
            " ('survey_z', '1780', 2023, 2023, 40.0, 'survey:z', 'ok')"
        )
        con.execute(
            "create table raw.survey_indicators as select * from (values"
            " ('survey_y', 'survey:y', 3), ('survey_z', 'survey:z', null::integer)"
            ") t(indicator_id, source, cadence_years)"
        )
    assert gates.survey_cadence(build_db) == {"survey:y": {"max_lag_years": 4}}
    frame = gates.freshness_frame(build_db, date(2026, 6, 1))
    ages = {r.indicator_id: (r.age_years, r.max_age_years) for r in frame.itertuples()}
    assert ages["survey_y"] == (3.0, 4.0) and ages["survey_z"] == (3.0, 1.0)
    outcome = core.validate(gates.freshness(), frame)
    assert "survey_z" in outcome.failures[0].ids and "survey_y" not in outcome.failures[0].ids
