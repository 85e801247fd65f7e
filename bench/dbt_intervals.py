"""What the confidence intervals, significance verdicts and trend tests add to the dbt build;
prints figures, asserts nothing.

The same build database (raw tables) is built by two dbt projects: this tree's, and the one at
``--base`` (default: the commit before the interval macros were added). Each ``dbt build``
(seeds, models, data and unit tests) runs in a fresh copy of the database, alternating between
the two, ``--repeat`` times; the figures are medians: the whole build's wall time, and from
dbt's ``run_results.json`` the seconds of the models this work changed (``fct_indicator_value``
and the three views) and of their tests.

Without ``--build-db`` the raw tables come from one full run against local sources (all 312
regions, the catalogue's KPIs over ``--years`` years, as bench/mart_views.py; county report
for 17 only, no PDF).

    python bench/dbt_intervals.py [--build-db warehouse/build.duckdb] [--base REF] [--repeat 3]
                                  [--save-build-db FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

CHANGED = ("fct_indicator_value", "v_indicator_comparison", "v_indicator_trend", "v_county_profile")
DBT = Path(sys.executable).with_name("dbt")


def default_base() -> str:
    """The parent of the commit that added the interval macros (HEAD when none has yet)."""
    added = subprocess.run(
        ["git", "log", "--diff-filter=A", "--format=%H", "--", "dbt_project/macros/confidence_intervals.sql"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return f"{added[-1]}^" if added else "HEAD"


def export_project(ref: str | None, into: Path) -> Path:
    """dbt_project and catalog of ``ref`` (None: this working tree) under ``into``."""
    into.mkdir(parents=True)
    if ref is None:
        for part in ("dbt_project", "catalog"):
            shutil.copytree(
                ROOT / part, into / part, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
            )
    else:
        archive = subprocess.run(
            ["git", "archive", ref, "dbt_project", "catalog"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "dbt_project"


def dbt_build(project: Path, build_db: Path, work: Path) -> tuple[float, dict[str, float], int]:
    """One ``dbt build`` on a fresh copy of ``build_db``: wall time, seconds per node, nodes."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copy(build_db, work / "build.duckdb")
    env = {**os.environ, "BARNHALSA_WAREHOUSE_DIR": str(work), "DO_NOT_TRACK": "1"}
    target = work / "target"
    started = time.perf_counter()
    proc = subprocess.run(
        [
            str(DBT),
            "build",
            "--full-refresh",  # seeds recreated: the base project's catalogue may have other columns
            "--profiles-dir",
            str(project),
            "--target-path",
            str(target),
            "--log-path",
            str(work),
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:])
        raise SystemExit(f"dbt build failed in {project}")
    results = json.loads((target / "run_results.json").read_text())["results"]
    return wall, {r["unique_id"]: r["execution_time"] for r in results}, len(results)


def changed_seconds(nodes: dict[str, float]) -> tuple[float, float]:
    """Seconds of the changed models, and of the tests on them (data and unit tests)."""
    models = sum(t for uid, t in nodes.items() if uid.startswith("model.") and uid.split(".")[-1] in CHANGED)
    tests = sum(
        t
        for uid, t in nodes.items()
        if (uid.startswith("test.") or uid.startswith("unit_test."))
        and any(name in uid for name in CHANGED + ("comparison_agrees", "rank_follows", "trend_direction"))
    )
    return models, tests


def scb_code(kolada_id: str) -> str:
    return kolada_id[2:] if len(kolada_id) == 4 and kolada_id.startswith("00") else kolada_id


def full_run_build_db(tmp: Path, years: int, last_year: int) -> Path:
    """Raw tables of a full run against local sources (all regions), as bench/mart_views.py."""
    from ingest.catalog import source_refs
    from localsources import all_regions, pxweb_server
    from localsources.kolada_server import KoladaServer, synthetic_data
    from localsources.pxweb_fixtures import pxweb_states

    year_list = list(range(last_year - years + 1, last_year + 1))
    region_rows, origin = all_regions()
    kolada = KoladaServer(synthetic_data(source_refs("kolada"), year_list, region_rows))
    threading.Thread(target=kolada.serve_forever, daemon=True).start()
    codes = [scb_code(r["id"]) for r in region_rows]
    counties = [c for c in codes if len(c) == 2 and c != "00"]
    scb_state, fohm_state = pxweb_states(
        ["00", *counties], codes, [str(y) for y in year_list], max_calls=1000, max_cells=150_000
    )
    with pxweb_server.serve(scb_state) as scb, pxweb_server.serve(fohm_state) as fohm:
        home = tmp / "dagster_home"
        home.mkdir()
        (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        warehouse = tmp / "warehouse"
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
        config = tmp / "run_config.json"
        config.write_text(
            json.dumps(
                {
                    "resources": {"kolada_api": {"config": {"years": years, "last_year": last_year}}},
                    "ops": {"county_reports": {"config": {"counties": ["17"], "pdf": False}}},
                }
            )
        )
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "orchestration.run", "refresh_mart", "-c", str(config)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if proc.returncode not in (0, 3):  # 3: published, some source tables not fresh
            sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
            raise SystemExit(f"refresh_mart failed with exit status {proc.returncode}")
        print(
            f"Raw tables from a full run on {len(region_rows)} regions ({origin}),"
            f" {years} years: {time.perf_counter() - started:.1f} s"
        )
    kolada.shutdown()
    return warehouse / "build.duckdb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-db", type=Path, help="a build.duckdb with raw tables (default: a full run)")
    parser.add_argument("--base", help="git ref of the dbt project to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save-build-db", type=Path, help="keep the full run's build.duckdb here")
    parser.add_argument("--years", type=int, default=15)
    parser.add_argument("--last-year", type=int, default=2026)
    args = parser.parse_args()
    base = args.base or default_base()

    with tempfile.TemporaryDirectory(prefix="barnhalsa-bench-dbt-") as tmp_name:
        tmp = Path(tmp_name)
        build_db = args.build_db or full_run_build_db(tmp, args.years, args.last_year)
        if args.save_build_db and not args.build_db:
            shutil.copy(build_db, args.save_build_db)
        raw = tmp / "raw.duckdb"
        shutil.copy(build_db, raw)
        projects = {
            "base": export_project(base, tmp / "base"),
            "this tree": export_project(None, tmp / "new"),
        }
        print(
            f"dbt build on {build_db} ({raw.stat().st_size / 2**20:.1f} MiB), base {base},"
            f" {args.repeat} runs each"
        )
        runs: dict[str, list[tuple[float, dict[str, float], int]]] = {name: [] for name in projects}
        for _ in range(args.repeat):
            for name, project in projects.items():
                runs[name].append(dbt_build(project, raw, tmp / "work"))
        with duckdb.connect(str(tmp / "work" / "build.duckdb"), read_only=True) as con:
            rows = con.execute("select count(*) from mart.fct_indicator_value").fetchone()[0]
        print(f"fct_indicator_value: {rows:,} rows")
        print(f"  {'project':<12}{'wall s':>9}{'nodes':>7}{'changed models s':>18}{'their tests s':>15}")
        medians = {}
        for name, results in runs.items():
            wall = statistics.median(r[0] for r in results)
            models = statistics.median(changed_seconds(r[1])[0] for r in results)
            tests = statistics.median(changed_seconds(r[1])[1] for r in results)
            medians[name] = (wall, models, tests)
            print(f"  {name:<12}{wall:9.2f}{results[0][2]:7d}{models:18.2f}{tests:15.2f}")
        (b_wall, b_models, b_tests), (n_wall, n_models, n_tests) = medians["base"], medians["this tree"]
        print(
            f"  added: {n_wall - b_wall:+.2f} s wall = {(n_wall - b_wall) / b_wall:+.1%} of the base build"
            f" (goal < 10 %); changed models {n_models - b_models:+.2f} s,"
            f" their tests {n_tests - b_tests:+.2f} s"
        )
        print(
            "  wall times per run: "
            + "; ".join(f"{k}: " + ", ".join(f"{r[0]:.1f}" for r in v) for k, v in runs.items())
        )


if __name__ == "__main__":
    main()
