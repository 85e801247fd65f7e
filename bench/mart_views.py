"""Benchmark the mart end to end against local sources; prints figures, asserts nothing.

Local Kolada (every region of the recorded municipality list, or 312 generated ids when the
recordings are absent: Sweden, 21 counties, 290 municipalities), SCB (population of the same 312
regions) and Folkhälsodata (Sweden and the 21 counties) servers; the catalogue's indicators over
15 years. Three figures:

1. a full run as ``make run`` runs it (``python -m orchestration.run refresh_mart``, fresh
   process): wall time split into ingest (fetch + load), dbt, checks and publish;
2. a second run in which no source changed, twice: as ``make run`` (its change check before
   any run finds nothing and starts none) and as a Dagster run (``--no-precheck``: every step
   checks and skips); wall time, share of the full run, and the requests made (Kolada: change
   check with ``from_date`` + metadata; PxWeb: metadata only);
3. the latency of the four analyst views for one county on the published file, read-only.

    python bench/mart_views.py [--years 15] [--county 17] [--repeat 25]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from bench.kolada_pipeline import regions  # noqa: E402
from ingest.catalog import source_refs  # noqa: E402
from localsources import pxweb_server  # noqa: E402
from localsources.kolada_server import KoladaServer, synthetic_data  # noqa: E402
from localsources.pxweb_fixtures import pxweb_states  # noqa: E402

VIEW_QUERIES = {
    "v_indicator_comparison": "select * from v_indicator_comparison where county_code = ?",
    "v_indicator_trend": "select * from v_indicator_trend where county_code = ?",
    "v_county_profile": "select * from v_county_profile where county_code = ?",
    "v_coverage": "select * from v_coverage where county_code = ?",
}


def scb_code(kolada_id: str) -> str:
    return kolada_id[2:] if len(kolada_id) == 4 and kolada_id.startswith("00") else kolada_id


def stage_of(step: str) -> str:
    if step.startswith("landing"):
        return "ingest: fetch"
    if step in {"kolada_raw", "pxweb_raw"}:
        return "ingest: load"
    if step == "barnhalsa_dbt":
        return "dbt build"
    if step == "published_mart":
        return "publish"
    return "checks"


def latest_run_id(home: str) -> str | None:
    os.environ["DAGSTER_HOME"] = home
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        runs = instance.get_runs(limit=1)
        return runs[0].run_id if runs else None


def run_job(env: dict[str, str], config: dict, *extra: str) -> tuple[float, dict[str, float], float, str]:
    """One refresh_mart in a fresh process: wall time, seconds per stage, run time, last message.

    The stages and run time are zero when no Dagster run was started (make run's change check
    found nothing changed)."""
    config_file = Path(env["DAGSTER_HOME"]) / "run_config.json"
    config_file.write_text(json.dumps(config))
    before = latest_run_id(env["DAGSTER_HOME"])
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "orchestration.run", "refresh_mart", "-c", str(config_file), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 3):  # 3: published, some source tables not fresh
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"refresh_mart failed with exit status {proc.returncode}")
    message = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    if latest_run_id(env["DAGSTER_HOME"]) == before:
        return wall, {}, 0.0, message
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        stages: dict[str, float] = {}
        for s in instance.get_run_step_stats(run.run_id):
            if s.start_time and s.end_time:
                stage = stage_of(s.step_key)
                stages[stage] = stages.get(stage, 0.0) + s.end_time - s.start_time
        run_stats = instance.get_run_stats(run.run_id)
        in_run = (run_stats.end_time or 0) - (run_stats.start_time or 0)
    return wall, stages, in_run, message


def print_run(title: str, wall: float, stages: dict[str, float], in_run: float, message: str) -> None:
    print(f"\n{title}")
    print(f"  wall time (process start to exit)   {wall:7.2f} s")
    if not in_run:
        print(f"  no Dagster run started: {message}")
        return
    for stage in ("ingest: fetch", "ingest: load", "dbt build", "checks", "publish"):
        print(f"  {stage:<36}{stages.get(stage, 0.0):7.2f} s")
    print(f"  run bookkeeping between steps       {in_run - sum(stages.values()):7.2f} s")
    print(f"  process start + code-location load  {wall - in_run:7.2f} s")


def latencies(mart: Path, county: str, repeat: int) -> dict[str, tuple[float, float, float, int]]:
    """Per view, on one read-only connection: the first query and the median of ``repeat``
    queries fetched as Python tuples (ms), the median fetched column by column as NumPy arrays
    (closer to what columnar BI drivers do), and the rows."""
    out = {}
    with duckdb.connect(str(mart), read_only=True) as con:
        for view, sql in VIEW_QUERIES.items():
            times, arrow = [], []
            for _ in range(repeat + 1):
                started = time.perf_counter()
                rows = con.execute(sql, [county]).fetchall()
                times.append((time.perf_counter() - started) * 1000)
            for _ in range(repeat):
                started = time.perf_counter()
                con.execute(sql, [county]).fetchnumpy()
                arrow.append((time.perf_counter() - started) * 1000)
            out[view] = (times[0], statistics.median(times[1:]), statistics.median(arrow), len(rows))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--last-year", type=int, default=2026)
    parser.add_argument("--county", default="17")
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()

    year_list = list(range(args.last_year - args.years + 1, args.last_year + 1))
    region_rows, origin = regions()
    kolada_data = synthetic_data(source_refs("kolada"), year_list, region_rows)
    kolada = KoladaServer(kolada_data)
    threading.Thread(target=kolada.serve_forever, daemon=True).start()
    codes = [scb_code(r["id"]) for r in region_rows]
    counties = [c for c in codes if len(c) == 2 and c != "00"]
    scb_state, fohm_state = pxweb_states(
        ["00", *counties], codes, [str(y) for y in year_list], max_calls=1000, max_cells=150_000
    )
    with (
        tempfile.TemporaryDirectory(prefix="barnhalsa-bench-") as tmp,
        pxweb_server.serve(scb_state) as scb,
        pxweb_server.serve(fohm_state) as fohm,
    ):
        home = Path(tmp) / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        warehouse = Path(tmp) / "warehouse"
        env = {
            **os.environ,
            "DAGSTER_HOME": str(home),
            "BARNHALSA_WAREHOUSE_DIR": str(warehouse),
            "KOLADA_BASE_URL": kolada.base_url,
            "SCB_BASE_URL": scb.v2_url,
            "FOHM_BASE_URL": fohm.v1_url,
            "GX_ANALYTICS_ENABLED": "false",
        }
        env.pop("BARNHALSA_FORCE", None)
        config = {"resources": {"kolada_api": {"config": {"years": args.years, "last_year": args.last_year}}}}
        print(
            f"Local sources: {len(region_rows)} regions ({origin}), {len(source_refs('kolada'))} Kolada KPIs"
            f" × {len(year_list)} years ({len(kolada_data.objects):,} data objects), SCB population"
            f" {len(codes)} regions × {len(year_list)} years, Folkhälsodata {len(counties) + 1} regions"
        )

        full = run_job(env, config)
        print_run("1. Full run (make run: fetch, load, dbt build + tests, checks, publish)", *full)
        with duckdb.connect(str(warehouse / "mart.duckdb"), read_only=True) as con:
            sizes = con.execute(
                "select table_name, estimated_size from duckdb_tables() order by table_name"
            ).fetchall()
        print("  published tables (rows): " + ", ".join(f"{n} {r:,}" for n, r in sizes))

        for title, extra in (
            ("2a. Second run, no source changed: make run (change check before any run)", ()),
            ("2b. The same as a Dagster run (--no-precheck: each step checks and skips)", ("--no-precheck",)),
        ):
            kolada.log.clear()
            scb_state.log.clear()
            fohm_state.log.clear()
            mart_before = (warehouse / "mart.duckdb").stat().st_mtime_ns
            second = run_job(env, config, *extra)
            print_run(title, *second)
            print(f"  share of the full run's wall time   {second[0] / full[0]:7.1%}  (target < 15 %)")
            if second[2]:
                print(f"  share of the full run's run time    {second[2] / full[2]:7.1%}  (no process start)")
            kolada_paths = [p for p, _ in kolada.log]
            data = [p for p in kolada_paths if "/data/" in p]
            print(
                f"  Kolada requests                     {len(kolada_paths):7d}  ({len(data)} data queries,"
                f" all with from_date: {all('from_date=' in p for p in data)}; answers empty)"
            )
            for name, state in (("SCB", scb_state), ("Folkhälsodata", fohm_state)):
                posts = sum(1 for entry in state.log if entry[0] == "POST")
                print(f"  {name + ' requests':<36}{len(state.log):7d}  ({posts} data calls)")
            republished = (warehouse / "mart.duckdb").stat().st_mtime_ns != mart_before
            print(f"  mart republished                    {'yes' if republished else 'no':>7}")

        print(f"\n3. View latency for county {args.county} on the published file (read-only, ms)")
        print(
            f"  {'view':<26}{'first':>8}{'median':>9}{'columnar':>10}{'rows':>8}   (medians of {args.repeat})"
        )
        timings = latencies(warehouse / "mart.duckdb", args.county, args.repeat)
        for view, (first, median, columnar, rows) in timings.items():
            print(f"  {view:<26}{first:8.2f}{median:9.2f}{columnar:10.2f}{rows:8d}")
        print("  first, median: rows fetched as Python tuples; columnar: fetched as NumPy columns")
    kolada.shutdown()


if __name__ == "__main__":
    main()
