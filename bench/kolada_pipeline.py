"""Benchmark the main job against a local Kolada-shaped server; prints figures, asserts nothing.

All regions (the recorded Kolada municipality list when ../shared/recordings is present,
otherwise 312 generated ids), the catalogue's KPIs, 15 years. The job runs as a user runs
it (``dagster job execute`` in a fresh process), once on the in-process executor the project
uses and once on Dagster's default multiprocess executor.

    python bench/kolada_pipeline.py [--years 15] [--skip-multiprocess]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.catalog import source_refs  # noqa: E402
from ingest.kolada import minimum_requests  # noqa: E402
from tests.kolada_server import KoladaServer, synthetic_data  # noqa: E402

RECORDED_REGIONS = ROOT.parent / "shared" / "recordings" / "kolada" / "rkolada_v3_municipality_list.csv"
STAGES = {"kolada_raw": "ingest", "barnhalsa_dbt": "dbt", "published_mart": "publish"}


def regions() -> tuple[list[dict], str]:
    if RECORDED_REGIONS.exists():
        with RECORDED_REGIONS.open(encoding="utf-8") as handle:
            rows = [{"id": r["id"], "title": r["title"], "type": r["type"]} for r in csv.DictReader(handle)]
        return rows, "recorded Kolada municipality list"
    counties = [
        f"{c:02d}" for c in (1, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 17, 18, 19, 20, 21, 22, 23, 24, 25)
    ]
    rows = [{"id": "0000", "title": "Riket", "type": "L"}]
    rows += [{"id": f"00{c}", "title": f"Region {c}", "type": "L"} for c in counties]
    rows += [
        {"id": f"{counties[i % 21]}{80 + i // 21:02d}", "title": f"Kommun {i}", "type": "K"}
        for i in range(290)
    ]
    return rows, "generated ids (recordings absent)"


def run_job(command: list[str], env: dict[str, str], config: dict) -> float:
    """Run one job in a fresh process; return its wall time."""
    config_file = Path(env["DAGSTER_HOME"]) / "run_config.json"
    config_file.write_text(json.dumps(config))
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", *command, "-c", str(config_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"{' '.join(command)} failed with exit status {proc.returncode}")
    return wall


def step_seconds(dagster_home: Path) -> tuple[dict[str, float], dict]:
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    from dagster import AssetKey, DagsterInstance

    instance = DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    stats = instance.get_run_step_stats(run.run_id)
    seconds = {s.step_key: (s.end_time or 0) - (s.start_time or 0) for s in stats}
    run_stats = instance.get_run_stats(run.run_id)
    seconds["__run__"] = (run_stats.end_time or 0) - (run_stats.start_time or 0)
    run_stats = instance.get_run_stats(run.run_id)
    seconds["__run__"] = (run_stats.end_time or 0) - (run_stats.start_time or 0)
    event = instance.get_latest_materialization_event(AssetKey(["kolada", "kolada_values"]))
    meta = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    return seconds, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--last-year", type=int, default=2026)
    parser.add_argument("--skip-multiprocess", action="store_true")
    args = parser.parse_args()

    kpis = source_refs("kolada")
    year_list = list(range(args.last_year - args.years + 1, args.last_year + 1))
    region_rows, region_origin = regions()
    data = synthetic_data(kpis, year_list, region_rows)
    server = KoladaServer(data)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(
        f"Local Kolada server: {len(region_rows)} regions ({region_origin}), {len(kpis)} KPIs,"
        f" {len(year_list)} years, {len(data.objects):,} data objects"
    )

    results = {}
    cli = ["dagster", "job", "execute", "-m"]
    runs = [("make run", ["orchestration.run", "refresh_mart"])]
    if not args.skip_multiprocess:
        runs += [
            ("cli in-process", [*cli, "orchestration.definitions", "-j", "refresh_mart"]),
            (
                "cli multiprocess",
                [*cli, "bench.multiprocess_defs", "-j", "refresh_mart_multiprocess"],
            ),
        ]
    for name, command in runs:
        with tempfile.TemporaryDirectory(prefix="barnhalsa-bench-") as tmp:
            home = Path(tmp) / "dagster_home"
            home.mkdir()
            (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
            env = {
                **os.environ,
                "DAGSTER_HOME": str(home),
                "BARNHALSA_WAREHOUSE_DIR": str(Path(tmp) / "warehouse"),
                "KOLADA_BASE_URL": server.base_url,
                "GX_ANALYTICS_ENABLED": "false",
            }
            config = {
                "resources": {"kolada_api": {"config": {"years": args.years, "last_year": args.last_year}}}
            }
            before = len(server.log)
            wall = run_job(command, env, config)
            steps, meta = step_seconds(home)
            results[name] = (wall, steps, meta, len(server.log) - before)

    wall, steps, meta, http_requests = results["make run"]
    print("\nMain job as `make run` runs it (python -m orchestration.run, in-process executor)")
    print(f"  wall time            {wall:7.1f} s")
    for step, stage in STAGES.items():
        print(f"  {stage:<20} {steps.get(step, float('nan')):7.1f} s")
    in_steps = sum(v for k, v in steps.items() if k in STAGES)
    overhead = wall - in_steps
    outside_run = wall - steps["__run__"]
    print(f"  orchestration        {overhead:7.1f} s  ({overhead / wall:.0%} of wall), of which")
    print(f"    process start and code-location load {outside_run:5.1f} s")
    print(f"    run bookkeeping between steps        {steps['__run__'] - in_steps:5.1f} s")
    objects = len(data.objects)
    # + /municipality, /municipality_groups and /kpi
    minimum = minimum_requests(len(kpis), len(year_list), objects) + 3
    print("\nRequests")
    print(
        f"  made                 {http_requests:7d}  (pages {meta.get('pages')}, "
        f"data queries {meta.get('data_queries')})"
    )
    print(
        f"  minimum the API allows {minimum:5d}  (data: ceil({objects:,} objects / 5,000) with"
        " ≤25 ids per segment, + /municipality, /municipality_groups, /kpi)"
    )
    if len(results) > 1:
        print("\nExecutor comparison: `dagster job execute`, same job, same data")
        for name in ("cli in-process", "cli multiprocess"):
            run_wall, run_steps, _, _ = results[name]
            in_steps = sum(v for k, v in run_steps.items() if k in STAGES)
            print(f"  {name:<20} {run_wall:7.1f} s  (steps {in_steps:.1f} s)")
        print("  The multiprocess executor starts a process per step, re-importing the code location.")
    server.shutdown()


if __name__ == "__main__":
    main()
