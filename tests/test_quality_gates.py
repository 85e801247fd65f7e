"""End to end: a source serves broken data; the GE checks stop the run before the mart is replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dagster import JobDefinition

from ingest.landing import Landing
from localsources.kolada_server import KoladaData, KoladaServer
from orchestration import run
from orchestration.quality import GATES
from tests.conftest import Published
from tests.pipeline import run_pipeline
from tests.test_pipeline import mart_rows


def plant_faults(data: KoladaData) -> None:
    """Two faults no parser can see, in answers that parse: a share of 140 % and KPI metadata
    whose ``operating_area`` field was renamed (left NULL)."""
    for kpi in data.kpis.values():
        kpi["verksamhetsomrade"] = kpi.pop("operating_area")
    data.objects[("N15428", "1780", 2025)]["values"][0]["value"] = 140.0  # a share (unit percent)


def test_planted_faults_block_publication_and_leave_the_mart_byte_identical(
    published: Published,
    republished: Path,
    urls: dict[str, str],
    kolada_server: KoladaServer,
    kolada_data: KoladaData,
    warehouse_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    quality = [e for name, e in published.checks.items() if name.startswith("ge_")]
    assert len(quality) == len(GATES)  # every suite and gate ran on the clean data
    assert all(e.passed or e.severity.value == "WARN" for e in quality)  # only warnings on clean data
    mart = warehouse_dir / "mart.duckdb"
    published = mart.read_bytes()

    plant_faults(kolada_data)
    result = run_pipeline(**urls)

    assert not result.success
    assert mart.read_bytes() == published
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "published_mart" not in materialised
    assert "mart/fct_indicator_value" not in materialised  # dbt did not run on the bad raw tables
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    failing = {
        name: set(e.metadata["failing_expectations"].value.split(", "))
        for name, e in evaluations.items()
        if not e.passed
    }
    assert failing == {
        "ge_raw_kolada_values": {"share_within_0_100"},
        "ge_raw_kolada_kpi": {"field_present_operating_area"},
    }
    values = evaluations["ge_raw_kolada_values"]
    assert values.severity.value == "ERROR"
    sample = values.metadata["failing_rows_sample"].value
    assert any(row["value"] == 140.0 and row["kpi_id"] == "N15428" for row in sample["share_within_0_100"])
    # the batch that failed a blocking gate is quarantined: the next run starts from the good one
    rejected = [
        b for b in Landing(warehouse_dir / "raw", "kolada").complete_batches(rejected=True) if b.rejection()
    ]
    assert len(rejected) == 1 and "ge_raw_kolada" in rejected[0].rejection()["reason"]
    # `make run` (orchestration.run) exits 1 naming check, asset and failing expectations
    monkeypatch.setattr(JobDefinition, "execute_in_process", lambda self, **kwargs: result)
    capsys.readouterr()
    assert run.main(["refresh_mart", "--no-preflight"]) == 1
    report = capsys.readouterr().err.splitlines()
    assert report[0] == f"refresh_mart: run {result.run_id} FAILED"
    assert any(
        line.strip().startswith("ERROR: blocking check ge_raw_kolada_values on kolada/kolada_values")
        and "share_within_0_100" in line
        and "share_within_0_100" in line
        for line in report
    )
    assert not any("DagsterAssetCheckFailedError" in line for line in report)
    # the Data Docs show the failing run
    index = (warehouse_dir / "quality" / "index.html").read_text(encoding="utf-8")
    assert "kolada_values" in index and result.run_id in index


def test_a_drifted_and_a_malformed_answer_each_cost_one_failed_run_and_the_next_heals(
    republished: Path, urls: dict[str, str], kolada_data: KoladaData, warehouse_dir: Path
) -> None:
    """Kolada answers, but not as documented, twice in a row. First every value comes under
    another field name (drift: the answers parse, the raw gate fails and quarantines the batch);
    then, that fixed, one value is given twice (the parser rejects the batch at landing). Each
    costs one failed run that publishes nothing and keeps its batch, rejected with its reason,
    for inspection; the change checks start from the last good batch. Once Kolada answers
    correctly again the next plain run publishes: no operator, no batch deleted. A source that
    cannot be reached is different: it is stale and the others publish
    (tests/test_source_status.py)."""
    mart = warehouse_dir / "mart.duckdb"
    published = mart.read_bytes()
    landing = Landing(warehouse_dir / "raw", "kolada")

    def rejected() -> list:
        return [b for b in landing.complete_batches(rejected=True) if b.rejection()]

    correct = {key: json.loads(json.dumps(obj)) for key, obj in kolada_data.objects.items()}
    for (kpi, municipality, year), obj in correct.items():  # Kolada renames the value field
        drifted = [{("varde" if k == "value" else k): v for k, v in e.items()} for e in obj["values"]]
        kolada_data.add(kpi, municipality, year, drifted)
    drifted_run = run_pipeline(**urls)
    assert not drifted_run.success
    assert mart.read_bytes() == published  # nothing published
    (drift,) = rejected()
    assert "ge_raw_kolada" in drift.rejection()["reason"] and "value" in drift.rejection()["reason"]
    assert landing.latest_or_none().path != drift.path  # change checks start from the good one

    for (kpi, municipality, year), obj in correct.items():  # the field is right again, but
        kolada_data.add(kpi, municipality, year, obj["values"])
    values = correct[("N15419", "1380", 2024)]["values"]
    kolada_data.add("N15419", "1380", 2024, [*values, dict(values[0])])  # one value given twice
    result = run_pipeline(**urls)
    assert not result.success
    assert mart.read_bytes() == published
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["landing__kolada"]  # the parser, not the gate
    error, message = failures[0].event_specific_data.error, ""
    while error is not None:  # the step's error and its causes
        message, error = message + error.message, error.cause
    assert "N15419/1380/2024/T is given twice" in message and "rejected" in message
    (malformed,) = [b for b in rejected() if b.path != drift.path]
    assert "given twice" in malformed.rejection()["reason"]
    assert (malformed.path / "manifest.jsonl").exists()  # the answers are kept for inspection

    kolada_data.add("N15419", "1380", 2024, values)  # the source answers correctly again
    assert run_pipeline(**urls).success  # a plain run, no BARNHALSA_FORCE, nothing deleted
    assert mart.read_bytes() != published
    kolada = mart_rows(mart, "select distinct status from meta_source_status where source = 'kolada'")
    assert kolada == [("fresh",)]
    assert drift.path.exists() and malformed.path.exists()  # kept for inspection
