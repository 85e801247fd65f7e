"""``make dev``: ``dagster dev`` that stops within 10 s on SIGINT or SIGTERM.

``python -m orchestration.dev [dagster dev options]``

``dagster dev`` waits up to 60 s for its webserver and daemon to stop, and its code server
process lives on until its heartbeat times out (about 45 s more), as does a run it launched.
This starts ``dagster dev`` in a process group of its own and, on the first SIGINT or SIGTERM,
passes SIGINT to it (its own orderly shutdown) and SIGTERM to the rest of the group (the code
server, and a run in progress, which ends as failed, dbt with it), then SIGKILL to whatever is
left ``GRACE_SECONDS`` later. The runs whose processes it killed are marked failed
and their pool slots freed (``orchestration.recovery``), or else by the next run or the
``dead_run_sensor``. A second signal (a second later or more) kills the group at once. The
published mart stays as it was: it is only ever replaced by an atomic rename.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

GRACE_SECONDS = 3.0
RECORD_SECONDS = 6.0  # marking the killed runs failed is skipped, or cut short, past this
DUPLICATE_SECONDS = 1.0  # a signal this soon after the first is the same one, passed on


def _say(text: str) -> None:
    print(f"make dev: {text}", file=sys.stderr, flush=True)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _members(pgid) != []


def _members(pgid: int) -> list[int] | None:
    """Live (not zombie) processes of the group, from /proc; None where there is no /proc."""
    if not os.path.isdir("/proc/self"):
        return None
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in {"Z", "X"}:
            members.append(int(entry))
    return members


def _wait_group(proc: subprocess.Popen, seconds: float) -> bool:
    """Wait until every process of the group has ended; False when ``seconds`` ran out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        proc.poll()
        if not _group_alive(proc.pid):
            return True
        time.sleep(0.1)
    proc.poll()
    return not _group_alive(proc.pid)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        pass


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    received: list[int] = []
    first_at: list[float] = []
    wake = threading.Event()

    def handler(signum, frame) -> None:
        # Ctrl-C reaches this process twice: from the terminal, and passed on by `uv run`
        if first_at and time.monotonic() - first_at[0] < DUPLICATE_SECONDS:
            return
        first_at.append(time.monotonic())
        received.append(signum)
        wake.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)
    recovery: dict = {}
    threading.Thread(target=_import_recovery, args=(recovery,), daemon=True).start()
    proc = subprocess.Popen([sys.executable, "-m", "dagster", "dev", *args], process_group=0)
    while proc.poll() is None and not received:
        wake.wait(0.5)
    if not received:
        return proc.returncode
    started = time.monotonic()
    name = signal.Signals(received[0]).name
    _say(f"{name} received: stopping dagster dev (at the latest in {GRACE_SECONDS:g} s)")
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # dagster dev stops its webserver and daemon
    for pid in _members(proc.pid) or []:  # the code server, a run in progress (and its dbt)
        if pid != proc.pid:
            _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and len(received) < 2 and _group_alive(proc.pid):
        proc.poll()
        time.sleep(0.1)
    if _group_alive(proc.pid):
        _say("sending SIGKILL to what is left of dagster dev")
        _signal_group(proc.pid, signal.SIGKILL)
        _wait_group(proc, 1.0)
    proc.poll()
    left = min(2.0, RECORD_SECONDS - (time.monotonic() - started))
    module = recovery.get("module")
    if module is not None and left > 0.2:
        _fail_killed_runs(module, left)
    _say("stopped")
    return 128 + received[0]


def _import_recovery(out: dict) -> None:
    """Import Dagster while dagster dev starts, so that stopping need not wait for it."""
    try:
        from orchestration import recovery

        out["module"] = recovery
    except Exception:  # the next run or the dead_run_sensor marks the runs instead
        pass


def _fail_killed_runs(recovery, seconds: float) -> None:
    done = threading.Event()

    def work() -> None:
        try:
            from dagster import DagsterInstance

            with DagsterInstance.get() as instance:
                for line in recovery.fail_dead_runs(instance, "make dev, stopping"):
                    _say(line)
        except Exception as exc:
            _say(f"could not mark the runs it stopped failed ({exc}); the next run will")
        finally:
            done.set()

    threading.Thread(target=work, daemon=True).start()
    done.wait(seconds)


if __name__ == "__main__":
    sys.exit(main())
