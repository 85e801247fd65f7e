"""What a run finds left by runs that died, and the raw landing's retention.

Run with the warehouse's refresh lock held (``warehouse.runlock``): no other refresh writes the
warehouse then, so every temporary file of another process is a leftover.

- ``remove_leftovers``: the child processes (dbt) a holder that died left running, the
  unpublished ``mart.duckdb.tmp-<pid>`` (and its ``.wal``), ``export/.staging-<pid>``, landing
  batches never finished (``raw/**/<batch>.partial``), ``failure.tmp``, and county report files
  staged by a process that is gone. ``build.duckdb.wal`` is DuckDB's own: it replays it when the
  file is next opened.
- ``prune_batches``: keep the newest ``BARNHALSA_KEEP_BATCHES`` (default 5) accepted batches of
  every landing folder, plus every batch the published mart was built from and every batch the
  build database holds now, and the rejected batches newer than those; delete the older ones.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ingest import settings
from ingest.landing import REJECTED_FILE
from warehouse import runlock, state

KEEP_BATCHES_VARIABLE = settings.KEEP_BATCHES
DEFAULT_KEEP_BATCHES = 5
PARTIAL_SUFFIX = ".partial"
BATCH_NAME = re.compile(r"^\d{8}T\d{12}Z$")


def size_text(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _remove(path: Path, root: Path, lines: list[str], what: str) -> int:
    try:
        size = _size(path)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return 0
    lines.append(f"removed {what} {path.relative_to(root).as_posix()} ({size_text(size)})")
    return size


def _pid_of(name: str, marker: str) -> int | None:
    tail = name.split(marker, 1)[1] if marker in name else ""
    digits = re.match(r"\d+", tail)
    return int(digits.group()) if digits else None


def remove_leftovers(root: Path, previous: dict[str, Any] | None = None) -> list[str]:
    """Clean what runs that died left in the warehouse ``root``; one line per thing done.

    ``previous`` is what the lock file said when this process took the lock: a holder that did
    not release it (it died), with the child processes it had recorded.
    """
    root = Path(root).resolve()
    lines: list[str] = []
    me = os.getpid()
    if previous and previous.get("pid") and previous.get("pid") != me:
        for child in previous.get("children") or []:
            if runlock.kill_process(int(child["pid"]), child.get("started")):
                lines.append(
                    f"killed process {child['pid']} ({child.get('command') or '?'}) left running by"
                    f" process {previous['pid']} (run {previous.get('run_id') or '?'}), which died"
                )
    mart = root / "mart.duckdb"
    for path in sorted(root.glob(f"{mart.name}.tmp-*")):
        if _pid_of(path.name, ".tmp-") != me:
            _remove(path, root, lines, "unpublished mart")
    export = root / "export"
    for path in sorted(export.glob(".staging-*")) if export.is_dir() else []:
        if _pid_of(path.name, ".staging-") != me:
            _remove(path, root, lines, "staged export")
    raw = root / "raw"
    if raw.is_dir():
        for path in sorted(raw.rglob(f"*{PARTIAL_SUFFIX}")):
            if path.is_dir() and BATCH_NAME.match(path.name[: -len(PARTIAL_SUFFIX)]):
                _remove(path, root, lines, "unfinished landing batch")
        for path in sorted(raw.rglob("failure.tmp")):
            _remove(path, root, lines, "unfinished failure note")
    reports = root / "reports"
    for path in sorted(reports.glob("*/*.tmp-*")) if reports.is_dir() else []:
        pid = _pid_of(path.name, ".tmp-")
        if pid is not None and pid != me and not runlock.process_alive(pid):  # `make report` takes no lock
            _remove(path, root, lines, "staged report file")
    return lines


def remove_own_files(root: Path) -> list[str]:
    """What this process would leave if it stopped now: its unpublished mart, its staged export,
    and every unfinished landing batch (with the lock held, they are this process's)."""
    root = Path(root).resolve()
    lines: list[str] = []
    tmp = root / f"mart.duckdb.tmp-{os.getpid()}"
    for path in (tmp, Path(f"{tmp}.wal"), root / "export" / f".staging-{os.getpid()}"):
        if path.exists():
            _remove(path, root, lines, "unpublished file")
    raw = root / "raw"
    for path in sorted(raw.rglob(f"*{PARTIAL_SUFFIX}")) if raw.is_dir() else []:
        if path.is_dir() and BATCH_NAME.match(path.name[: -len(PARTIAL_SUFFIX)]):
            _remove(path, root, lines, "unfinished landing batch")
    return lines


# -- retention ---------------------------------------------------------------------------------


def keep_batches(raw: str) -> int:
    """``BARNHALSA_KEEP_BATCHES`` as given (``Settings.keep_batches``): complete batches kept per
    landing folder (default 5 for '', at least 1)."""
    if not raw:
        return DEFAULT_KEEP_BATCHES
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{KEEP_BATCHES_VARIABLE} must be a whole number, 1 or more, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{KEEP_BATCHES_VARIABLE} must be 1 or more (the newest batch stays), not {value}")
    return value


def landing_folders(raw_dir: Path) -> list[Path]:
    """Every folder that holds landing batches: raw/<source>/ and raw/<source>/<table key>/."""
    if not raw_dir.is_dir():
        return []
    sources = [p for p in raw_dir.iterdir() if p.is_dir()]
    candidates = [*sources, *(p for source in sources for p in source.iterdir() if p.is_dir())]
    return sorted(c for c in candidates if any(BATCH_NAME.match(p.name) and p.is_dir() for p in c.iterdir()))


def protected_batches(build_db: Path, mart_db: Path) -> set[str] | None:
    """Batch names no pruning may delete: those the published mart was built from and those the
    build database holds now. None when a mart is published but what it was built from is not on
    record (built before this was recorded, or ``build.duckdb`` deleted): prune nothing then."""
    recorded = state.read_state(build_db)
    protected = set(state.loaded_batches(recorded))
    if not mart_db.exists():
        return protected
    published = recorded.get(state.PUBLISHED_BATCHES)
    if published is not None:
        return protected | set(filter(None, published.split(",")))
    if recorded.get(state.PUBLISHED) and recorded[state.PUBLISHED] == state.build_fingerprint(
        build_db, state.dbt_project_digest()
    ):
        return protected  # published from exactly the batches loaded now
    return None


def _rejected(batch: Path) -> bool:
    return (batch / REJECTED_FILE).exists()


def prune_batches(raw_dir: Path, keep: int, protected: Iterable[str]) -> list[str]:
    """Delete every accepted batch older than the newest ``keep`` accepted ones of its folder,
    unless protected, and every rejected batch older than the oldest accepted batch kept (newer
    rejected batches stay for inspection); one line per folder that lost any."""
    protected = set(protected)
    lines = []
    for folder in landing_folders(raw_dir):
        batches = sorted(p for p in folder.iterdir() if p.is_dir() and BATCH_NAME.match(p.name))
        accepted = [b for b in batches if not _rejected(b)]
        kept_accepted = accepted[-keep:]
        oldest_kept = kept_accepted[0].name if kept_accepted else ""
        removed, freed = [], 0
        for batch in batches:
            if batch.name in protected or batch in kept_accepted:
                continue
            if _rejected(batch) and batch.name > oldest_kept:
                continue
            freed += _size(batch)
            shutil.rmtree(batch, ignore_errors=True)
            removed.append(batch.name)
        if removed:
            extra = sum(1 for b in accepted if b.name in protected and b not in kept_accepted)
            names = removed[0] if len(removed) == 1 else f"{removed[0]} … {removed[-1]}"
            lines.append(
                f"retention: {folder.relative_to(raw_dir).as_posix()}: removed {len(removed)} batch(es)"
                f" ({names}, {size_text(freed)}); kept the newest {keep} accepted"
                + (f" and {extra} older the published mart or the build was made from" if extra else "")
            )
    return lines


def apply_retention(root: Path, keep: str) -> list[str]:
    """Prune the landing of warehouse ``root``, keeping ``keep`` batches per folder (the text of
    ``Settings.keep_batches``); say so, or why nothing was pruned."""
    root = Path(root).resolve()
    try:
        kept = keep_batches(keep)
    except ValueError as exc:
        return [f"retention: skipped: {exc}"]
    try:
        protected = protected_batches(root / "build.duckdb", root / "mart.duckdb")
    except Exception as exc:  # e.g. build.duckdb opened for writing by another program
        return [f"retention: skipped, could not read what the published mart was built from ({exc})"]
    if protected is None:
        return [
            "retention: skipped: the published mart's landing batches are not on record yet"
            " (the next publish records them)"
        ]
    try:
        return prune_batches(root / "raw", kept, protected)
    except OSError as exc:  # never fail a run over it: the next run prunes again
        return [f"retention: stopped: {exc}"]
