"""The code location loads the way `dagster dev` and `make run` load it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from ingest.catalog import load_pxweb_tables
from orchestration.definitions import defs

ROOT = Path(__file__).resolve().parents[1]


def test_asset_graph_runs_from_kolada_through_dbt_to_the_published_mart() -> None:
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {
        "kolada/kolada_values",
        "kolada/kolada_municipality",
        "kolada/kolada_kpi",
        "stg_kolada__values",
        "mart/fct_indicator_value",
        "mart/dim_region",
        "mart/dim_indicator",
        "published_mart",
    } <= keys
    # dbt sources are wired to the ingest assets, marts to the publish step
    staging = graph.get(AssetKey("stg_kolada__values"))
    assert AssetKey(["kolada", "kolada_values"]) in staging.parent_keys
    for key in graph.get_all_asset_keys():  # no dbt source left dangling on an asset nobody makes
        for parent in graph.get(key).parent_keys:
            assert graph.get(parent).is_materializable, f"{key} reads {parent}, which no step makes"
    published = graph.get(AssetKey("published_mart"))
    assert AssetKey(["mart", "fct_indicator_value"]) in published.parent_keys
    # dbt tests are asset checks
    checks = {c.name for c in graph.asset_check_keys}
    assert any("accepted_values_dim_region_region_level" in name for name in checks)
    for key in graph.get_all_asset_keys():
        assert graph.get(key).group_name, f"{key} has no group"


def test_jobs_and_schedule() -> None:
    assert defs.resolve_job_def("refresh_mart") is not None
    assert defs.resolve_job_def("rebuild_mart") is not None
    schedule = defs.resolve_schedule_def("monthly_refresh")
    assert schedule.cron_schedule == "0 5 2 * *"
    assert schedule.job_name == "refresh_mart"


def test_workspace_yaml_loads_the_code_location(tmp_path: Path) -> None:
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dagster = Path(sys.executable).with_name("dagster")
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "barnhalsa" in proc.stdout + proc.stderr


def run_refresh_mart(
    tmp_path: Path, config: str, urls: dict[str, str], fresh_home: bool = True, *args: str
) -> subprocess.CompletedProcess:
    """`make run`'s command in a fresh process, with its own Dagster home and warehouse."""
    home = tmp_path / "home"
    if fresh_home:
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    config_file = tmp_path / "run.json"
    config_file.write_text(config)
    env = {
        **os.environ,
        **urls,
        "DAGSTER_HOME": str(home),
        "BARNHALSA_WAREHOUSE_DIR": str(tmp_path / "warehouse"),
    }
    return subprocess.run(
        [sys.executable, "-m", "orchestration.run", "refresh_mart", "-c", str(config_file), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_runner_exits_non_zero_naming_the_failing_request(tmp_path: Path) -> None:
    proc = run_refresh_mart(
        tmp_path,
        '{"resources": {"kolada_api": {"config": {"retries": 0}}, "pxweb": {"config": {"retries": 0}}}}',
        {
            "KOLADA_BASE_URL": "http://127.0.0.1:9/v3/",
            "SCB_BASE_URL": "http://127.0.0.1:9/api/v2/",
            "FOHM_BASE_URL": "http://127.0.0.1:9/fohm/api/v1/sv/",
        },
        True,
        "--no-preflight",  # the run itself: no Kolada batch yet, so the failed fetch fails it
    )
    assert proc.returncode == 1
    assert "refresh_mart: run" in proc.stderr and "FAILED" in proc.stderr
    assert "landing__kolada: ingest.http.TransportError: kolada: GET http://127.0.0.1:9/v3/municipality" in (
        proc.stderr
    )
    # SCB and Folkhälsodata fail as tables (named in the log), Kolada's missing region list fails the run
    assert "scb: GET http://127.0.0.1:9/api/v2/config" in proc.stderr
    assert not (tmp_path / "warehouse" / "mart.duckdb").exists()


def test_runner_publishes_from_the_local_sources_through_429s(tmp_path: Path) -> None:
    """What README's offline `make run` does: the runner against localsources."""
    import duckdb

    from localsources import build, serve
    from localsources.kolada_server import SMALL_REGIONS

    sources = build(list(SMALL_REGIONS), [2025, 2026], ["2025", "2026"])
    sources.kolada.fault("429", match="/data/", times=2, retry_after="1")
    with serve(sources):
        config = '{"resources": {"kolada_api": {"config": {"years": 2, "last_year": 2026}}}}'
        proc = run_refresh_mart(tmp_path, config, sources.env)
        reports = tmp_path / "warehouse" / "reports"
        built = sorted(p.relative_to(reports).as_posix() for p in reports.glob("*/barnhalsorapport-*"))
        # only the county reports are missing: the next run builds them and nothing else
        shutil.rmtree(reports / "17")
        again = run_refresh_mart(tmp_path, config, sources.env, fresh_home=False)
        rebuilt = (reports / "17" / "barnhalsorapport-17.pdf").exists()
        unchanged = run_refresh_mart(tmp_path, config, sources.env, fresh_home=False)
    # published; the three catalogued tables with no shape on record are absent: exit 3
    assert proc.returncode == 3, proc.stderr[-3000:]
    assert "refresh_mart: run" in proc.stderr and "succeeded" in proc.stderr
    summary = [line for line in proc.stderr.splitlines() if line.startswith("  fohm: ")]
    failed = [line for line in summary if ": failed (no value in the mart)" in line]
    unverified = {t.table for t in load_pxweb_tables() if not t.verified}
    assert len(failed) == len(unverified) == 3  # each table that is not fresh named once
    assert all(any(table in line for line in failed) for table in unverified)
    assert built == [f"{c}/barnhalsorapport-{c}.{ext}" for c in ("09", "13", "17") for ext in ("html", "pdf")]
    assert again.returncode == 3 and "building the county reports" in again.stderr, again.stderr[-3000:]
    assert "build_county_reports: run" in again.stderr and rebuilt
    assert unchanged.returncode == 3 and "no run started" in unchanged.stderr, unchanged.stderr[-3000:]
    assert sum(1 for path, status in sources.kolada.log if status == 429) == 2
    with duckdb.connect(str(tmp_path / "warehouse" / "mart.duckdb"), read_only=True) as con:
        counts = dict(con.execute("select source, count(*) from fct_indicator_value group by 1").fetchall())
        regions = con.execute("select count(distinct region_code) from fct_population").fetchone()[0]
    assert set(counts) == {"kolada", "fohm"} and all(counts.values())
    assert regions == len(SMALL_REGIONS)
