"""Run a job of the code location in this process, recorded in the Dagster instance.

``python -m orchestration.run [refresh_mart|rebuild_mart] [-c run_config.json]``

The same as ``dagster job execute`` on the in-process executor, without the CLI's extra
code-server process (which loads the definitions a second time). Exit status 1 when a step
or a blocking check failed; failed checks are printed with the expectations that failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.run", description=__doc__)
    parser.add_argument("job", nargs="?", default="refresh_mart")
    parser.add_argument("-c", "--config", type=Path, help="run config as a JSON file")
    args = parser.parse_args(argv)

    from dagster import DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def(args.job)
    run_config = json.loads(args.config.read_text()) if args.config else None
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)
    checks = _failed_checks(result)
    if result.success:
        print(f"{args.job}: run {result.run_id} succeeded", file=sys.stderr)
        for line in checks:
            print(f"  {line}", file=sys.stderr)
        return 0
    failed = [
        f"{event.step_key}: {_root_cause(event.event_specific_data.error)}"
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE"
        and event.event_specific_data.error.cls_name != "DagsterAssetCheckFailedError"  # listed below
    ]
    print(f"{args.job}: run {result.run_id} FAILED", file=sys.stderr)
    for line in [*failed, *checks]:
        print(f"  {line}", file=sys.stderr)
    return 1


def _failed_checks(result) -> list[str]:
    """Failed asset checks, blocking ERRORs first: check, asset and the failing expectations."""
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        severity = getattr(evaluation.severity, "value", str(evaluation.severity))
        kind = "blocking check" if severity == "ERROR" else "check"
        lines.append(
            (
                severity != "ERROR",
                f"{severity}: {kind} {evaluation.check_name} on {evaluation.asset_key.to_user_string()}:"
                f" {evaluation.description or 'failed'}",
            )
        )
    return [line for _, line in sorted(lines, key=lambda item: item[0])]


def _root_cause(error) -> str:
    """The first error below Dagster's wrappers: the source's or dbt's own words."""
    while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    return error.message.strip() if error is not None else "unknown error"


if __name__ == "__main__":
    sys.exit(main())
