"""Raw landing: every response body as received, plus a manifest of requests.

Layout under the landing root::

    <root>/<source>/<batch_id>/manifest.jsonl     one JSON line per body
    <root>/<source>/<batch_id>/bodies/<n>.json    the body, byte for byte (a dropped file keeps
                                                  its own suffix: .csv, .xlsx, .yml)

A batch is written into ``<batch_id>.partial`` and renamed when the fetch finished,
so a failed fetch never replaces the last complete batch. The mart is rebuilt from
the newest complete batch of each source without any request to the source.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PARTIAL_SUFFIX = ".partial"
FAILURE_FILE = "failure.json"
REJECTED_FILE = "rejected.json"


class LandingError(RuntimeError):
    """The raw landing is missing or damaged."""


@dataclass(frozen=True)
class LandedBody:
    """One manifest line: what was asked, when, and where the body is."""

    seq: int
    kind: str
    method: str
    url: str
    request_body: Any
    status: int
    fetched_at: str
    sha256: str
    bytes: int
    file: str


class Batch:
    """A landing batch being written by one fetch."""

    def __init__(self, source_dir: Path, batch_id: str) -> None:
        self.final_dir = source_dir / batch_id
        self.dir = source_dir / f"{batch_id}{PARTIAL_SUFFIX}"
        (self.dir / "bodies").mkdir(parents=True, exist_ok=False)
        self._manifest = (self.dir / "manifest.jsonl").open("a", encoding="utf-8")
        self._seq = 0

    def write(
        self,
        *,
        kind: str,
        method: str,
        url: str,
        request_body: Any,
        status: int,
        body: bytes,
        fetched_at: datetime,
        suffix: str = ".json",
    ) -> LandedBody:
        self._seq += 1
        name = f"bodies/{self._seq:06d}{suffix}"
        (self.dir / name).write_bytes(body)
        record = LandedBody(
            seq=self._seq,
            kind=kind,
            method=method,
            url=url,
            request_body=request_body,
            status=status,
            fetched_at=fetched_at.isoformat(timespec="microseconds"),
            sha256=hashlib.sha256(body).hexdigest(),
            bytes=len(body),
            file=name,
        )
        self._manifest.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")
        self._manifest.flush()
        return record

    def commit(self, info: dict[str, Any] | None = None) -> Path:
        """Mark the batch complete; from now on it is what a rebuild reads.

        ``info`` (e.g. the source's ``updated`` stamp) is kept beside the manifest.
        """
        self._manifest.close()
        if info is not None:
            (self.dir / "batch.json").write_text(json.dumps(info, ensure_ascii=False, indent=1))
        os.replace(self.dir, self.final_dir)
        return self.final_dir

    def abort(self) -> None:
        """Drop a batch whose fetch failed."""
        self._manifest.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class CompleteBatch:
    """A finished batch, read back for parsing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.batch_id = path.name

    def info(self) -> dict[str, Any]:
        """What the fetch recorded about the batch (empty when nothing was)."""
        path = self.path / "batch.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def records(self) -> Iterator[LandedBody]:
        manifest = self.path / "manifest.jsonl"
        if not manifest.exists():
            raise LandingError(f"landing batch {self.path} has no manifest.jsonl")
        with manifest.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    yield LandedBody(**json.loads(line))

    def read(self, record: LandedBody) -> bytes:
        body = (self.path / record.file).read_bytes()
        if hashlib.sha256(body).hexdigest() != record.sha256:
            raise LandingError(
                f"landing body {self.path / record.file} ({record.method} {record.url})"
                " does not match its sha256 in the manifest"
            )
        return body

    def read_json(self, record: LandedBody) -> Any:
        return json.loads(self.read(record))

    # -- quarantine: a batch whose load or blocking gate failed is kept, but never read again
    def reject(self, reason: str) -> None:
        """Mark the batch rejected (kept for inspection, with the reason); change checks and
        loads then use the newest batch that was not rejected, so the next run fetches again."""
        rejection = {"reason": reason, "at": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = self.path / f"{REJECTED_FILE}.tmp"
        tmp.write_text(json.dumps(rejection, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path / REJECTED_FILE)

    def rejection(self) -> dict[str, Any] | None:
        """``{"reason", "at"}`` for a rejected batch, else None."""
        try:
            return json.loads((self.path / REJECTED_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None


class Landing:
    """The raw landing area of one source."""

    def __init__(self, root: Path, source: str) -> None:
        self.source = source
        self.source_dir = Path(root) / source

    # -- the outcome of the last fetch: ``failure.json`` beside the batches while it fails
    @property
    def failure_path(self) -> Path:
        return self.source_dir / FAILURE_FILE

    def record_failure(self, reason: str) -> dict[str, Any]:
        """Note that the last fetch failed; ``since`` keeps the first failure of a series."""
        previous = self.failure() or {}
        now = datetime.now(UTC).isoformat(timespec="seconds")
        failure = {"reason": reason, "since": previous.get("since", now), "last_attempt": now}
        self.source_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.failure_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(failure, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.failure_path)
        return failure

    def clear_failure(self) -> None:
        """The last fetch succeeded (landed or found unchanged)."""
        self.failure_path.unlink(missing_ok=True)

    def failure(self) -> dict[str, Any] | None:
        """``{"reason", "since", "last_attempt"}`` while the fetch fails, else None."""
        try:
            return json.loads(self.failure_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def start_batch(self) -> Batch:
        batch_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        return Batch(self.source_dir, batch_id)

    def complete_batches(self, *, rejected: bool = False) -> list[CompleteBatch]:
        """Finished batches, oldest first: the accepted ones (``rejected``: also the rejected)."""
        if not self.source_dir.exists():
            return []
        batches = [
            CompleteBatch(p)
            for p in sorted(self.source_dir.iterdir())
            if p.is_dir() and not p.name.endswith(PARTIAL_SUFFIX)
        ]
        return batches if rejected else [b for b in batches if b.rejection() is None]

    def newest_rejected(self) -> CompleteBatch | None:
        """The newest batch when it was rejected (newer than every accepted one), else None."""
        batches = self.complete_batches(rejected=True)
        return batches[-1] if batches and batches[-1].rejection() is not None else None

    def latest_or_none(self) -> CompleteBatch | None:
        batches = self.complete_batches()
        return batches[-1] if batches else None

    def latest(self) -> CompleteBatch:
        batches = self.complete_batches()
        if not batches:
            raise LandingError(
                f"no complete landing batch for source '{self.source}' under {self.source_dir};"
                " run the fetch first"
            )
        return batches[-1]
