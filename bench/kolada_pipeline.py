"""Benchmark the main job against local sources; prints figures, asserts nothing.

Kolada: all regions (the recorded Kolada municipality list when ../shared/recordings is
present, otherwise 312 generated ids), the catalogue's KPIs, 15 years; SCB and Folkhälsodata
(localsources/__init__.py) for the same regions. The job runs as a user runs
it (``dagster job execute`` in a fresh process), once on the in-process executor the project
uses and once on Dagster's default multiprocess executor.

    python bench/kolada_pipeline.py [--years 15] [--skip-multiprocess]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.catalog import source_refs  # noqa: E402
from ingest.kolada import minimum_requests  # noqa: E402
from localsources import all_regions, build, serve  # noqa: E402


def stage_of(step: str) -> str:
    """ingest (fetch and load steps), dbt, checks (asset-check steps: GE and the others), publish,
    reports (every county's HTML and PDF)."""
    if step.startswith("landing__") or step.endswith("_raw"):
        return "ingest"
    stages = {"barnhalsa_dbt": "dbt", "published_mart": "publish", "county_reports": "reports"}
    return stages.get(step, "checks")


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
    if proc.returncode not in (0, 3):  # 3: published, some source tables not fresh
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
    event = instance.get_latest_materialization_event(AssetKey(["landing", "kolada"]))
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
    region_rows, region_origin = all_regions()
    sources = build(region_rows, year_list, [str(y) for y in year_list])
    with serve(sources):
        bench(args, sources, kpis, year_list, region_rows, region_origin)


def bench(args: argparse.Namespace, sources, kpis, year_list, region_rows, region_origin) -> None:
    server, data = sources.kolada, sources.kolada.data
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
            # the project's instance settings: one step at a time per pool
            (home / "dagster.yaml").write_text((ROOT / "dagster_home" / "dagster.yaml").read_text())
            env = {
                **os.environ,
                "DAGSTER_HOME": str(home),
                "BARNHALSA_WAREHOUSE_DIR": str(Path(tmp) / "warehouse"),
                **sources.env,
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
    stage_seconds = {"ingest": 0.0, "dbt": 0.0, "checks": 0.0, "publish": 0.0, "reports": 0.0}
    for step, seconds in steps.items():
        if not step.startswith("__"):
            stage_seconds[stage_of(step)] += seconds
    for stage, seconds in stage_seconds.items():
        print(f"  {stage:<20} {seconds:7.1f} s")
    in_steps = sum(stage_seconds.values())
    overhead = wall - in_steps
    outside_run = wall - steps["__run__"]
    print(f"  orchestration        {overhead:7.1f} s  ({overhead / wall:.0%} of wall), of which")
    print(f"    process start and code-location load {outside_run:5.1f} s")
    print(f"    run bookkeeping between steps        {steps['__run__'] - in_steps:5.1f} s")
    objects = len(data.objects)
    # + /municipality, /municipality_groups and /kpi
    minimum = minimum_requests(len(kpis), len(year_list), objects) + 3
    print("\nKolada requests")
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
            in_steps = sum(v for k, v in run_steps.items() if not k.startswith("__"))
            print(f"  {name:<20} {run_wall:7.1f} s  (steps {in_steps:.1f} s)")
        print("  The multiprocess executor starts a process per step, re-importing the code location.")


if __name__ == "__main__":
    main()
