"""A crash never blocks the next run.

A run whose process was killed (SIGKILL, power loss) stays STARTED in the Dagster instance and
keeps its pool slots (``kolada_api``, ``scb_api``, ``fohm_api``, ``build_db``): the next run's
step then waits for the slot forever ("Step still blocked by limit for pool kolada_api"), and
the run queue of ``dagster dev`` counts it as running. So at the start of every run (with the
warehouse's refresh lock held):

- every STARTING, STARTED or CANCELING run whose process is gone is marked failed (saying which
  process died and who noticed), and its pool slots and queued steps are freed; so are the
  slots still held by runs that have ended;
- the warehouse's leftovers are removed (``warehouse.housekeeping.remove_leftovers``: dbt left
  running, unpublished mart files, staged exports, unfinished landing batches), and the raw
  landing is pruned (``apply_retention``).

A run's process is the one its ``barnhalsa/pid`` tag names (with its start time, so a reused pid
is not taken for it: ``python -m orchestration.run`` and the warehouse resource set the tags),
else the one its Dagster engine events name. In ``dagster dev`` the ``dead_run_sensor`` does the
first part every 30 s, so a run killed outside it never holds the run queue for long.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from warehouse import housekeeping, runlock

PID_TAG = "barnhalsa/pid"
STARTED_TAG = "barnhalsa/process_started"
HOST_TAG = "barnhalsa/host"
WATCHED = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]
ENDED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


def process_tags() -> dict[str, str]:
    """Run tags naming this process (pid, its start time, host)."""
    me = runlock.this_process()
    return {PID_TAG: str(me["pid"]), STARTED_TAG: str(me["started"] or ""), HOST_TAG: me["host"]}


@dataclass(frozen=True)
class RunProcess:
    pid: int
    started: float | None  # the process's start time, when recorded
    started_before: float | None  # when an event named it: the process cannot have started later


def run_process(instance: DagsterInstance, record) -> RunProcess | None:
    """The process a run executes in, or None when it is not known (or on another host)."""
    run = record.dagster_run
    tags = run.tags
    if tags.get(PID_TAG):
        if tags.get(HOST_TAG) and tags[HOST_TAG] != socket.gethostname():
            return None
        started = tags.get(STARTED_TAG)
        return RunProcess(int(tags[PID_TAG]), float(started) if started else None, None)
    found = None
    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        value = (getattr(data, "metadata", None) or {}).get("pid")
        if value is not None:  # the newest engine event naming a pid wins; its process began before it
            found = RunProcess(int(getattr(value, "value", value)), None, entry.timestamp)
    return found


def _slots_by_run(instance: DagsterInstance) -> dict[str, list[str]]:
    """Pool slots claimed and steps queued for one, per run: ["kolada_api (landing__kolada)", ...]."""
    storage = instance.event_log_storage
    if not getattr(storage, "supports_global_concurrency_limits", False):
        return {}
    held: dict[str, list[str]] = {}
    for key in sorted(storage.get_concurrency_keys()):
        info = storage.get_concurrency_info(key)
        for slot in info.claimed_slots:
            held.setdefault(slot.run_id, []).append(f"slot in pool {key} ({slot.step_key})")
        for step in info.pending_steps:
            if step.assigned_timestamp is None:  # an assigned one is the claimed slot above
                held.setdefault(step.run_id, []).append(f"queued step {step.step_key} for pool {key}")
    return held


def fail_dead_runs(
    instance: DagsterInstance, noticed_by: str, current_run_id: str | None = None
) -> list[str]:
    """Mark every run whose process is gone failed and free its pool slots; free the slots of
    runs that ended without freeing them. One line per run."""
    lines = []
    slots = _slots_by_run(instance)
    for record in instance.get_run_records(filters=RunsFilter(statuses=WATCHED)):
        run = record.dagster_run
        if run.run_id == current_run_id:
            continue
        process = run_process(instance, record)
        if process is None or runlock.process_alive(
            process.pid, started=process.started, started_before=process.started_before
        ):
            continue
        instance.report_run_failed(
            run,
            f"The process of this run ({process.pid}) is gone (killed or crashed): marked failed, and"
            f" its pool slots freed, by {noticed_by}.",
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        held = slots.pop(run.run_id, [])
        lines.append(
            f"run {run.run_id} ({run.job_name}, process {process.pid}) died: marked failed"
            + (f", freed its {', '.join(held)}" if held else "")
        )
    for run_id, held in slots.items():
        if run_id == current_run_id:
            continue
        other = instance.get_run_by_id(run_id)
        if other is None or other.status in ENDED:
            instance.event_log_storage.free_concurrency_slots_for_run(run_id)
            state = other.status.value.lower() if other else "deleted"
            lines.append(f"run {run_id} ({state}) still held its {', '.join(held)}: freed")
    return lines


def noticed_by(current_run_id: str | None = None) -> str:
    me = runlock.this_process()
    return f"process {me['pid']}" + (f" (run {current_run_id})" if current_run_id else "")


def start_of_run(
    instance: DagsterInstance,
    root: Path,
    previous: dict | None,
    current_run_id: str | None = None,
    retention: bool = True,
    *,
    keep_batches: str,
) -> list[str]:
    """Everything a run does first, with the refresh lock held; one line per thing done.
    ``keep_batches``: the landing's retention as given (``Settings.keep_batches``)."""
    lines = housekeeping.remove_leftovers(root, previous)
    lines += fail_dead_runs(instance, noticed_by(current_run_id), current_run_id)
    if retention:
        lines += housekeeping.apply_retention(root, keep_batches)
    return lines


def log_lines(lines: Iterable[str], log) -> None:
    for line in lines:
        log(f"cleanup: {line}")


@sensor(
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Marks failed every run whose process is gone (killed or crashed) and frees its pool slots,"
        " so that it does not hold the run queue or a pool; the next run cleans the warehouse."
    ),
)
def dead_run_sensor(context: SensorEvaluationContext) -> SkipReason:
    lines = fail_dead_runs(context.instance, "the dead_run_sensor of dagster dev")
    for line in lines:
        context.log.info(line)
    return SkipReason("; ".join(lines) if lines else "No run whose process is gone")
