"""SIGINT and SIGTERM stop ``python -m orchestration.run`` within 10 s.

Before and after the Dagster run a signal interrupts the runner at once (``Interrupted``).
During the run Dagster's own handlers take over: the step running is interrupted, dbt gets
SIGINT and a few seconds to stop, the run ends as failed and frees its pool slots. Dagster does
not look at a signal while a step waits for a pool slot, nor while dbt takes its time; so a
watchdog thread, woken by every signal through ``signal.set_wakeup_fd`` whatever handler is in
place, stops the process ``GRACE_SECONDS`` after the first signal (at once on a second one):
it kills the child processes (dbt), marks the run failed and frees its pool slots, removes this
process's unpublished files and unfinished landing batches, and exits with 128 + the signal.

Either way the published mart stays as it was: it is replaced only by an atomic rename.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from warehouse import housekeeping, runlock

GRACE_SECONDS = 5.0
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Stopper:
    """Installs the handlers and the watchdog for the runner's lifetime (a context manager)."""

    def __init__(self, job: str, root: Path, grace: float = GRACE_SECONDS) -> None:
        self.job, self.root, self.grace = job, root, grace
        self.signum: int | None = None
        self.instance = None  # set when the Dagster run starts, with run_id
        self.run_id: str | None = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._stopping = False
        self._mart = _identity(root / "mart.duckdb")

    @property
    def exit_status(self) -> int:
        return 128 + (self.signum or signal.SIGTERM)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum or signal.SIGTERM).name

    def __enter__(self) -> Stopper:
        self._active = threading.current_thread() is threading.main_thread()
        if not self._active:  # signals reach the main thread only: nothing to watch from here
            return self
        self._err = os.dup(2)  # the terminal: in a run Dagster points stderr at its log capture
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)
        self._old_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._old = {s: signal.signal(s, self._handler) for s in SIGNALS}
        threading.Thread(target=self._watch, name="barnhalsa-stop", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        if not self._active:
            return
        for signum, handler in self._old.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._old_fd)
        if self._timer is not None:
            self._timer.cancel()
        for fd in (self._write, self._err):  # the watchdog's read end stays: it may still be reading
            os.close(fd)

    def _handler(self, signum: int, frame) -> None:
        self.signum = self.signum or signum
        raise Interrupted(signum)

    def _watch(self) -> None:
        while True:
            try:
                data = os.read(self._read, 64)
            except OSError:
                return
            if not data:  # the runner is done (``__exit__`` closed the write end)
                os.close(self._read)
                return
            for signum in data:
                if signum in SIGNALS:
                    self._signalled(signum)

    def _signalled(self, signum: int) -> None:
        with self._lock:
            first = self._timer is None
            self.signum = self.signum or signum
            if first:
                self.say(
                    f"{self.job}: {signal.Signals(signum).name} received: stopping"
                    f" (at the latest in {self.grace:g} s)"
                )
                self._timer = threading.Timer(self.grace, self.stop_now)
                self._timer.daemon = True
                self._timer.start()
                return
        self.stop_now()  # a second signal: no more waiting

    def say(self, text: str) -> None:
        try:
            os.write(self._err, (text + "\n").encode())
        except OSError:
            print(text, file=sys.stderr)

    def stop_now(self) -> None:
        """Stop the process now: children, the run's record, this process's files; then exit."""
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
        for _, child in runlock.children():
            if runlock.kill_process(int(child["pid"]), child.get("started")):
                self.say(f"{self.job}: killed process {child['pid']} ({child.get('command') or '?'})")
        if self.instance is not None and self.run_id is not None:
            try:
                run = self.instance.get_run_by_id(self.run_id)
                if run is not None and not run.is_finished:
                    self.instance.report_run_failed(run, f"Stopped by {self.signal_name}.")
                self.instance.event_log_storage.free_concurrency_slots_for_run(self.run_id)
                self.say(f"{self.job}: run {self.run_id} marked failed, its pool slots freed")
            except Exception as exc:  # the next run's cleanup will see to it
                self.say(f"{self.job}: could not mark run {self.run_id} failed ({exc}); the next run will")
        try:
            for line in housekeeping.remove_own_files(self.root):
                self.say(f"{self.job}: {line}")
        except Exception as exc:
            self.say(f"{self.job}: could not remove this run's temporary files ({exc}); the next run will")
        runlock.clear_all()  # cleaned up: the next run need not
        self.say(f"{self.job}: stopped by {self.signal_name}; {self.mart_note()}")
        os._exit(self.exit_status)

    def mart_note(self) -> str:
        if _identity(self.root / "mart.duckdb") == self._mart:
            return "the published mart is as it was"
        return "the run had published its new mart (whole) before the signal"


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns
