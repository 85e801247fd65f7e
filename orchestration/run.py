"""Run a job of the code location in this process, recorded in the Dagster instance.

``python -m orchestration.run [refresh_mart|rebuild_mart] [-c run_config.json]``

The same as ``dagster job execute`` on the in-process executor, without the CLI's extra
code-server process (which loads the definitions a second time). Exit status 1 when a step
or a blocking check failed; failed checks are printed with the expectations that failed.

First it takes the warehouse's refresh lock (``warehouse.runlock``): while another run holds it,
it exits at once with status 4 naming that run's process and run id. With the lock, it cleans up
after runs that died (``orchestration.recovery``: leftovers, dead runs marked failed, pool slots
freed, the landing pruned), printing a ``cleanup:`` line for each thing done. SIGINT or SIGTERM
stops it within 10 s with status 130 or 143 (``orchestration.stopping``), the published mart
as it was.

``refresh_mart`` first checks that every source host can be reached at all (``ingest.preflight``:
DNS and a TCP connect, 3 s) and stops with exit status 2 and one message naming the hosts that
cannot (``--no-preflight`` skips it). It then asks the sources whether anything changed since
the published mart (``warehouse.freshness``; nothing is landed) and starts no run when nothing
did, which saves loading the code location and the Dagster run itself. ``BARNHALSA_FORCE=1``
runs anyway; a failing check just runs the job, which then reports the problem. When only the
county reports are missing or older than the published mart, it runs the
``build_county_reports`` job alone.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import uuid
from pathlib import Path

from ingest.settings import BASE_URL_VARIABLES, Settings, env_value
from orchestration import gc_tuning, outcome, stopping
from warehouse import housekeeping, runlock

FETCHING_JOBS = {"refresh_mart"}
EXIT_STALE = 3  # published, but some source tables or KPIs are stale or failed
EXIT_BUSY = 4  # another run holds the warehouse: nothing started
PREFLIGHT_TIMEOUT = 3.0


def main(argv: list[str] | None = None) -> int:
    gc_tuning.tune()  # before the big imports (orchestration/gc_tuning.py)
    parser = argparse.ArgumentParser(prog="python -m orchestration.run", description=__doc__)
    parser.add_argument("job", nargs="?", default="refresh_mart")
    parser.add_argument("-c", "--config", type=Path, help="run config as a JSON file")
    parser.add_argument(
        "--no-precheck", action="store_true", help="start the run without asking the sources first"
    )
    parser.add_argument(
        "--no-preflight", action="store_true", help="skip the check that every source host can be reached"
    )
    args = parser.parse_args(argv)
    run_config = json.loads(args.config.read_text()) if args.config else None
    settings = Settings.from_environment()  # the resources read the same when they are made
    root = warehouse_root(run_config, settings)
    if args.job in FETCHING_JOBS and not args.no_preflight:  # before the lock: nothing is written
        from ingest import preflight

        unreachable = preflight.unreachable_hosts(source_urls(run_config, settings), PREFLIGHT_TIMEOUT)
        if unreachable:
            print(preflight.message(args.job, unreachable), file=sys.stderr)
            return 2
    try:
        held = runlock.acquire(root, job=args.job)
    except runlock.WarehouseBusy as exc:
        print(f"{args.job}: {exc}", file=sys.stderr)
        return EXIT_BUSY
    try:
        with stopping.Stopper(args.job, root) as stopper:
            try:
                return _locked_main(args, run_config, root, held, stopper, settings.keep_batches)
            except stopping.Interrupted as stop:
                print(
                    f"{args.job}: stopped by {signal.Signals(stop.signum).name}; {stopper.mart_note()}",
                    file=sys.stderr,
                )
                return 128 + stop.signum
    finally:
        runlock.release(root)


def _locked_main(args, run_config: dict | None, root: Path, held, stopper, keep_batches: str) -> int:
    """``main`` with the warehouse's refresh lock held; ``keep_batches``: ``Settings.keep_batches``."""
    cleanup = [f"{args.job}: cleanup: {line}" for line in housekeeping.remove_leftovers(root, held.previous)]
    for line in cleanup:
        print(line, file=sys.stderr)
    if args.job == "refresh_mart" and not args.no_precheck:
        same, reason = nothing_changed(run_config)
        if same and reports_current(run_config):
            if held.previous:  # the last holder died: its run is still marked as running
                start_of_run(args.job, root, None, keep_batches, retention=False)
            print(
                f"{args.job}: nothing changed since the published mart ({reason}); no run started",
                file=sys.stderr,
            )
            return source_summary(run_config)
        if same:
            print(
                f"{args.job}: nothing changed since the published mart ({reason}); building the"
                " county reports it has not got yet (job build_county_reports)",
                file=sys.stderr,
            )
            args.job = "build_county_reports"

    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.recovery import process_tags

    gc_tuning.tune()  # what the definitions loaded lives as long as the run
    job = defs.resolve_job_def(args.job)
    run_id = str(uuid.uuid4())
    with DagsterInstance.get() as instance:
        start_of_run(args.job, root, instance, keep_batches, run_id=run_id)
        runlock.set_run(root, run_id, args.job)
        stopper.instance, stopper.run_id = instance, run_id
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False, run_id=run_id, tags=process_tags()
        )
    if stopper.signum is not None:
        print(
            f"{args.job}: run {result.run_id} stopped by {stopper.signal_name}; {stopper.mart_note()}",
            file=sys.stderr,
        )
        return stopper.exit_status
    checks = outcome.failed_checks(result)
    if result.success:
        print(f"{args.job}: run {result.run_id} succeeded", file=sys.stderr)
        for line in checks:
            print(f"  {line}", file=sys.stderr)
        return source_summary(run_config)
    return outcome.report_failure(args.job, result, checks)


def start_of_run(
    job: str, root: Path, instance, keep_batches: str, run_id: str | None = None, retention: bool = True
) -> None:
    """Mark the runs whose process died failed and free their pool slots; prune the landing."""
    from orchestration import recovery

    if instance is None:
        from dagster import DagsterInstance

        with DagsterInstance.get() as instance:
            return start_of_run(job, root, instance, keep_batches, run_id, retention)
    lines = recovery.fail_dead_runs(instance, recovery.noticed_by(run_id), run_id)
    if retention:
        lines += housekeeping.apply_retention(root, keep_batches)
    for line in lines:
        print(f"{job}: cleanup: {line}", file=sys.stderr)


def warehouse_root(run_config: dict | None, settings: Settings) -> Path:
    """The warehouse folder the job will use (as ``WarehouseResource.root``), without Dagster."""
    configured = (run_config or {}).get("resources", {}).get("warehouse", {}).get("config", {}).get("dir")
    return Path(configured).resolve() if configured else settings.warehouse_dir


def source_summary(run_config: dict | None) -> int:
    """After a successful run: one line per table or KPI that is not fresh and per indicator
    older than its cadence; ``EXIT_STALE`` when any table or KPI is stale or failed."""
    from orchestration.resources import WarehouseResource
    from warehouse.source_status import read_problems

    resources = (run_config or {}).get("resources", {})
    warehouse = WarehouseResource(**resources.get("warehouse", {}).get("config", {}))
    problems = read_problems(warehouse.mart_db)
    for line in late_indicators(warehouse.build_db):
        print(f"  late: {line}", file=sys.stderr)
    if not problems:
        return 0
    print(
        f"  published, but {len(problems)} source table(s) or KPI(s) are not fresh"
        " (meta_source_status; BARNHALSA_STRICT=1 fails the run instead):",
        file=sys.stderr,
    )
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    return EXIT_STALE


def late_indicators(build_db: Path) -> list[str]:
    """Each indicator whose newest period with a value is older than its cadence allows
    (catalog/freshness.yml), with its id."""
    from expectations.gates import freshness_frame

    if not build_db.exists():
        return []
    frame = freshness_frame(build_db)
    late = frame[frame["age_years"] > frame["max_age_years"]]
    return [
        f"{r.indicator_id} ({r.source}): newest period {int(r.newest_period)}, {int(r.age_years)}"
        f" years old; its cadence allows {int(r.max_age_years)}"
        for r in late.itertuples()
    ]


def source_urls(run_config: dict | None, settings: Settings) -> dict[str, str]:
    """Each source's base URL as the job resolves it, keyed by where it is set.

    The run config's resource setting, else the environment variable, else the live API (as
    ``KoladaResource`` and ``PxWebResource`` do), without loading Dagster.
    """
    resources = (run_config or {}).get("resources", {})
    urls = {}
    for resource, key, source in [
        ("kolada_api", "base_url", "kolada"),
        *(("pxweb", f"{s}_base_url", s) for s in ("scb", "fohm")),
    ]:
        value = resources.get(resource, {}).get("config", {}).get(key)
        if isinstance(value, dict) and "env" in value:  # {"env": "VAR"}: Dagster reads the variable
            value = env_value(value["env"])
        variable = BASE_URL_VARIABLES[source]
        if value:
            urls[f"resources.{resource}.config.{key}"] = value
        elif source in settings.base_urls_given:
            urls[variable] = settings.base_urls[source]
        else:
            urls[f"{variable} not set, the default"] = settings.base_urls[source]
    return urls


def nothing_changed(run_config: dict | None) -> tuple[bool, str]:
    """The sources' and the build's change check, with the resources the job would get."""
    from ingest import catalog
    from orchestration.resources import KoladaResource, PxWebResource, WarehouseResource
    from warehouse import freshness

    resources = (run_config or {}).get("resources", {})

    def config(name: str) -> dict:
        return resources.get(name, {}).get("config", {})

    kolada_api, pxweb = KoladaResource(**config("kolada_api")), PxWebResource(**config("pxweb"))
    warehouse = WarehouseResource(**config("warehouse"))  # each reads the environment when made
    try:
        return freshness.unchanged(
            raw_dir=warehouse.raw_dir,
            build_db=warehouse.build_db,
            mart_db=warehouse.mart_db,
            kolada_client=kolada_api.client(None),
            kpi_ids=catalog.source_refs("kolada"),
            years=kolada_api.year_list(),
            pxweb_client=pxweb.client,
            tables=catalog.load_pxweb_tables(),
            surveys_dir=warehouse.surveys_dir,
            force=warehouse.settings.force,
        )
    except Exception as exc:  # the job will meet the same problem and report it properly
        return False, f"change check failed: {exc}"


def reports_current(run_config: dict | None) -> bool:
    """Whether every county report was built from the mart now published (any doubt: rebuild)."""
    from orchestration.report import configured_counties
    from orchestration.resources import WarehouseResource
    from report.build import reports_current as current

    resources = (run_config or {}).get("resources", {})
    warehouse = WarehouseResource(**resources.get("warehouse", {}).get("config", {}))
    config = (run_config or {}).get("ops", {}).get("county_reports", {}).get("config", {})
    counties = config.get("counties") or configured_counties(None, warehouse) or None
    try:
        return current(warehouse.mart_db, warehouse.reports_dir, counties, pdf=config.get("pdf", True))
    except Exception:
        return False


if __name__ == "__main__":
    sys.exit(main())
