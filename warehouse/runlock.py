"""One refresh at a time: an exclusive lock on ``<warehouse>/refresh.lock``.

The lock is an ``flock`` held by the process for as long as its run lasts; the operating system
drops it when the process ends, however it ends (kill -9 included), so a crash never leaves a
stale lock behind. The file itself says who holds it (process id and start time, host, job, run
id, command, and the child processes it started, such as ``dbt build``), so a second run can name
the one it waits for, and the next holder knows what a holder that died left running.

The file is written in place, never replaced: the lock belongs to its inode. Inside one process
the lock is re-entrant (``python -m orchestration.run`` takes it before Dagster starts the run,
and the run's warehouse resource takes it again).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_FILE = "refresh.lock"


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse's refresh lock."""

    def __init__(self, path: Path, holder: dict[str, Any]) -> None:
        self.path = path
        self.holder = holder
        super().__init__(busy_message(path, holder))


def busy_message(path: Path, holder: dict[str, Any]) -> str:
    pid = holder.get("pid")
    if not pid:
        return (
            f"another refresh holds {path} (it is starting; its process has not written its name yet);"
            " nothing started"
        )
    run = holder.get("run_id") or "not started yet"
    command = holder.get("command") or "?"
    since = holder.get("since") or "?"
    return (
        f"another refresh is running on {path.parent}: process {pid} ({command}), job"
        f" {holder.get('job') or '?'}, run {run}, since {since}; nothing started. Wait for it to"
        f" finish, or stop it (kill {pid})."
    )


# -- processes ---------------------------------------------------------------------------------


def _boot_time() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (state first), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def process_start(pid: int) -> float | None:
    """When the process started (seconds since the epoch, Linux /proc), or None."""
    fields = _proc_stat(pid)
    boot = _boot_time()
    if fields is None or boot is None or len(fields) < 20:
        return None
    return round(boot + int(fields[19]) / _CLOCK_TICKS, 2)


def process_alive(pid: int, started: float | None = None, started_before: float | None = None) -> bool:
    """Whether process ``pid`` runs (a zombie does not), and is the one meant: it started at
    ``started`` (within 2 s), or no later than ``started_before``; a reused pid is not it."""
    if pid <= 0:
        return False
    fields = _proc_stat(pid)
    if fields is not None:
        if fields[0] in {"Z", "X", "x"}:
            return False
        begun = process_start(pid)
        if begun is not None:
            if started is not None and abs(begun - started) > 2:
                return False
            if started_before is not None and begun > started_before + 2:
                return False
        return True
    if Path("/proc/self/stat").exists():  # /proc is there, the pid is not
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def command_line(pid: int | None = None) -> str:
    """A process's command line, shortened (this process: as started)."""
    try:
        raw = Path(f"/proc/{pid or 'self'}/cmdline").read_bytes()
        parts = [p.decode(errors="replace") for p in raw.split(b"\0") if p]
    except OSError:
        parts = [Path(sys.executable).name, *sys.argv] if pid is None else []
    parts = [Path(parts[0]).name, *parts[1:]] if parts else []
    text = " ".join(parts)
    return text if len(text) <= 200 else text[:197] + "..."


def this_process() -> dict[str, Any]:
    """Who this process is, as the lock file and the run tags record it."""
    pid = os.getpid()
    return {"pid": pid, "started": process_start(pid), "host": socket.gethostname()}


def kill_process(pid: int, started: float | None) -> bool:
    """SIGKILL ``pid`` when it still runs and is the process that was recorded."""
    if not process_alive(pid, started=started):
        return False
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


# -- the lock ----------------------------------------------------------------------------------


@dataclass
class Held:
    """The lock as this process holds it."""

    path: Path
    fd: int
    info: dict[str, Any]
    previous: dict[str, Any] | None  # what the file said when we took it: a holder that died
    count: int = 1
    fresh: bool = True  # False when this acquisition re-entered a lock the process held already
    children: list[dict[str, Any]] = field(default_factory=list)

    def write(self) -> None:
        data = json.dumps({**self.info, "children": self.children}, ensure_ascii=False).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, data + b"\n", 0)


_held: dict[Path, Held] = {}
_guard = threading.RLock()


def lock_path(root: Path) -> Path:
    return Path(root).resolve() / LOCK_FILE


def read_holder(path: Path) -> dict[str, Any]:
    """What the lock file says (empty when it is empty or being written)."""
    for _ in range(5):
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return {}
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            time.sleep(0.05)  # the holder is writing it
    return {}


def acquire(root: Path, *, job: str = "", run_id: str = "") -> Held:
    """Take the warehouse's refresh lock, or raise ``WarehouseBusy`` naming its holder at once.

    In a process that holds it already, count one more user (and note ``run_id``).
    """
    path = lock_path(root)
    with _guard:
        held = _held.get(path)
        if held is not None:
            held.count += 1
            if run_id and held.info.get("run_id") != run_id:
                held.info["run_id"] = run_id
                held.write()
            return Held(held.path, held.fd, held.info, held.previous, held.count, fresh=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WarehouseBusy(path, read_holder(path)) from None
        previous = read_holder(path) or None
        info = {
            **this_process(),
            "command": command_line(),
            "job": job,
            "run_id": run_id,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        held = Held(path, fd, info, previous)
        held.write()
        _held[path] = held
        return held


def set_run(root: Path, run_id: str, job: str | None = None) -> None:
    """Record the run this process is executing now."""
    with _guard:
        held = _held.get(lock_path(root))
        if held is not None:
            held.info["run_id"] = run_id
            if job:
                held.info["job"] = job
            held.write()


def note_child(root: Path, pid: int, command: str) -> None:
    """Record a child process (dbt) so that the next holder can stop it if this one dies first."""
    with _guard:
        held = _held.get(lock_path(root))
        if held is not None:
            held.children.append({"pid": pid, "started": process_start(pid), "command": command})
            held.write()


def forget_child(root: Path, pid: int) -> None:
    with _guard:
        held = _held.get(lock_path(root))
        if held is not None:
            held.children = [c for c in held.children if c["pid"] != pid]
            held.write()


def children() -> list[tuple[Path, dict[str, Any]]]:
    """Every child process recorded under any lock this process holds."""
    with _guard:
        return [(held.path, child) for held in _held.values() for child in held.children]


def release(root: Path) -> None:
    """One user fewer; the last empties the file (a clean end) and drops the lock."""
    path = lock_path(root)
    with _guard:
        held = _held.get(path)
        if held is None:
            return
        held.count -= 1
        if held.count > 0:
            return
        del _held[path]
        try:
            os.ftruncate(held.fd, 0)
        finally:
            os.close(held.fd)  # closing the last descriptor drops the flock


def clear_all() -> None:
    """Empty every lock file this process holds, as at a clean end, without dropping the locks
    (for a process about to exit that has cleaned up after itself)."""
    with _guard:
        for held in _held.values():
            try:
                os.ftruncate(held.fd, 0)
            except OSError:
                pass


def is_held(root: Path) -> bool:
    with _guard:
        return lock_path(root) in _held
