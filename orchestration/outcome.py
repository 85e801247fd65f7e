"""What a finished run says when it is not a plain success: the steps and checks that failed,
each in the words of the source, dbt or the check (``python -m orchestration.run``)."""

from __future__ import annotations

import sys


def report_failure(job: str, result, checks: list[str]) -> int:
    failed = [
        f"{event.step_key}: {root_cause(event.event_specific_data.error)}"
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE"
        and event.event_specific_data.error.cls_name != "DagsterAssetCheckFailedError"  # listed below
    ]
    print(f"{job}: run {result.run_id} FAILED", file=sys.stderr)
    for line in [*failed, *checks]:
        print(f"  {line}", file=sys.stderr)
    return 1


def failed_checks(result) -> list[str]:
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


def root_cause(error) -> str:
    """The first error below Dagster's wrappers: the source's or dbt's own words."""
    while error is not None and error.cause is not None and (error.cls_name or "").startswith("Dagster"):
        error = error.cause
    return error.message.strip() if error is not None else "unknown error"
