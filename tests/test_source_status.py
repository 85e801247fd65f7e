"""One broken source never blocks the rest: against local servers that serve the real table
shapes (three catalogued Folkhälsodata tables have no shape on record and are absent, as an
unknown path is at the real server), the mart publishes with every other source fresh and
names what failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.catalog import load_pxweb_tables
from localsources.kolada_server import KoladaServer
from localsources.pxweb_fixtures import HLV
from tests.conftest import Published
from tests.pipeline import run_pipeline
from tests.test_pipeline import mart_rows

UNVERIFIED = {t.table for t in load_pxweb_tables() if not t.verified}
STATUS_SQL = "select source_ref, status, reason, failed_indicators from meta_source_status order by all"


def statuses(mart: Path) -> dict[str, tuple]:
    return {ref: rest for ref, *rest in mart_rows(mart, STATUS_SQL)}


def test_missing_tables_are_named_and_the_rest_publishes(published: Published) -> None:
    mart = published.mart
    status = statuses(mart)
    assert len(status) == len(load_pxweb_tables()) + len(
        mart_rows(mart, "select 1 from dim_indicator where source = 'kolada'")
    )
    for table in UNVERIFIED:
        state, reason, _ = status[table]
        assert state == "failed" and "HTTP 400" in reason and "Parameter error" in reason
    fresh = {ref for ref, (state, _, failed) in status.items() if state == "fresh" and failed is None}
    assert fresh == set(status) - UNVERIFIED
    # their indicators stay catalogued, with no value (never a 0)
    missing = mart_rows(
        mart,
        "select count(*), count(v.indicator_id) from dim_indicator d"
        " left join fct_indicator_value v using (indicator_id)"
        " where d.source = 'fohm' and d.source_ref in"
        " (select source_ref from meta_source_status where status = 'failed')",
    )
    assert missing[0][0] >= 3 and missing[0][1] == 0


def test_a_failed_fetch_and_a_renamed_variable_fail_their_source_only_and_heal(
    republished: Path,
    urls: dict[str, str],
    kolada_server: KoladaServer,
    px_states,
    warehouse_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two faults that do not meet (one source each), in the same three runs: Kolada answers HTTP 500
    to every data request, and Folkhälsodata renames a variable of a verified table. All or
    nothing (``BARNHALSA_STRICT``), the run fails and the mart stays as it was. By default Kolada
    keeps its last good batch and the table its last values, each stale with its reason, every
    other source fresh, and the mart publishes. Once both answer correctly the next plain run
    is fresh."""
    _, fohm = px_states
    mart = warehouse_dir / "mart.duckdb"
    hlv_sql = f"select count(*) from fct_indicator_value where source_ref = '{HLV}'"
    hlv_rows = mart_rows(mart, hlv_sql)[0][0]
    assert hlv_rows > 0
    values_sql = "select * exclude (fetched_at) from fct_indicator_value where source = 'kolada' order by all"
    kolada_values = mart_rows(mart, values_sql)
    kolada_batches = warehouse_dir / "raw" / "kolada"
    batches = sorted(p.name for p in kolada_batches.iterdir() if p.is_dir())
    kolada_server.fault("500", match="/data/", times=100)
    sex = next(d for d in fohm.tables[HLV].dims if d.code == "Kön")
    sex.code = "Kon"  # renamed at the source
    fohm.tables[HLV].updated = "2030-01-01T00:00:00Z"

    monkeypatch.setenv("BARNHALSA_STRICT", "1")
    published = mart.read_bytes()
    result = run_pipeline(**urls, retries=1)
    assert not result.success  # all or nothing: a source and a verified table failed
    failures = [str(e.event_specific_data.error) for e in result.all_events if e.is_step_failure]
    assert any("HTTP 500" in f for f in failures), failures
    assert any(HLV in f and "Kön" in f for f in failures), failures
    assert mart.read_bytes() == published

    monkeypatch.delenv("BARNHALSA_STRICT")  # default: both stale, the mart still publishes
    assert run_pipeline(**urls, retries=1).success
    assert sorted(p.name for p in kolada_batches.iterdir() if p.is_dir()) == batches
    assert mart_rows(mart, values_sql) == kolada_values  # the last good batch
    kolada = mart_rows(
        mart,
        "select distinct status, reason like '%HTTP 500%', failing_since is not null"
        " from meta_source_status where source = 'kolada'",
    )
    assert kolada == [("stale", True, True)]
    state, reason, _ = statuses(mart)[HLV]
    assert state == "stale" and "no variable 'Kön'" in reason
    assert mart_rows(mart, hlv_sql)[0][0] == hlv_rows
    pxweb = mart_rows(mart, "select source_ref, status from meta_source_status where source <> 'kolada'")
    others = {ref: status for ref, status in pxweb if ref not in UNVERIFIED | {HLV}}
    assert len(others) >= 3 and set(others.values()) == {"fresh"}  # SCB and the tables on record

    kolada_server.faults.clear()  # both sources are right again: the next plain run is fresh
    sex.code = "Kön"
    assert run_pipeline(**urls).success
    assert tuple(statuses(mart)[HLV][:2]) == ("fresh", None)
    kolada = mart_rows(mart, "select distinct status from meta_source_status where source = 'kolada'")
    assert kolada == [("fresh",)]
