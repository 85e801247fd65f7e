"""Each catalogued table's and KPI group's state after a load: fresh, stale or failed.

One rule for every source: a table whose fetch failed keeps its last good landing batch and
is *stale* (since its first failed fetch); one with no good batch, a mapping that does not
fit, or no row at all is *failed*; otherwise it is *fresh*. Indicators of a table that got no
row are named in ``failed_indicators`` with their reason. The rows go to ``raw.pxweb_status``
and ``raw.kolada_status`` and from there to the mart's ``meta_source_status``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FRESH, STALE, FAILED = "fresh", "stale", "failed"


@dataclass
class SourceStatus:
    source: str
    source_ref: str
    table_key: str
    verified: bool
    status: str
    reason: str | None
    failing_since: str | None
    last_good_fetch: str | None
    landing_batch: str | None
    rows: int
    failed_indicators: str | None

    def as_row(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def line(self) -> str:
        """One line for a person: what failed, since when, and what the mart holds instead."""
        where = f"{self.source}: {self.source_ref}"
        if self.status == FRESH:
            return f"{where}: fresh, but no rows for {self.failed_indicators}"
        if self.status == STALE:
            return (
                f"{where}: stale since {self.failing_since} (the mart keeps the batch fetched"
                f" {self.last_good_fetch}): {self.reason}"
            )
        return f"{where}: failed (no value in the mart): {self.reason}"


def table_status(
    *,
    source: str,
    source_ref: str,
    table_key: str,
    verified: bool,
    batch: Any,
    failure: dict[str, Any] | None,
    rows: list[dict[str, Any]] | None,
    load_error: str | None = None,
    empty_indicators: dict[str, str] | None = None,
    expected_indicators: int = 0,
) -> SourceStatus:
    """The status of one table or KPI group from its newest good batch, its failure note and
    what loading that batch gave (``rows`` None when it could not be loaded)."""
    empty = empty_indicators or {}
    fetched = fetched_at(batch)
    if batch is None:
        status, reason = FAILED, load_error or (failure or {}).get("reason") or "never fetched"
    elif load_error is not None:
        status, reason = FAILED, load_error
    elif expected_indicators and len(empty) >= expected_indicators:
        status, reason = FAILED, "no row for any of its indicators"
    elif failure is not None:
        status, reason = STALE, failure["reason"]
    else:
        status, reason = FRESH, None
    return SourceStatus(
        source=source,
        source_ref=source_ref,
        table_key=table_key,
        verified=verified,
        status=status,
        reason=reason,
        failing_since=(failure or {}).get("since"),
        last_good_fetch=fetched,
        landing_batch=batch.path.name if batch is not None else None,
        rows=len(rows or []),
        failed_indicators="; ".join(f"{i} ({why})" for i, why in empty.items()) or None,
    )


def load_key(batch: Any, failure: dict[str, Any] | None) -> str:
    """What a load depends on: the newest good batch, and whether the fetch fails now (so a
    new failure, or its end, reloads and rebuilds; the same failure again does not)."""
    key = batch.path.name if batch is not None else "none"
    return f"{key}!failing-since-{failure['since']}" if failure else key


def problems(statuses: list[SourceStatus]) -> list[SourceStatus]:
    """The statuses a person must hear about: not fresh, or fresh with indicators lacking rows."""
    return [s for s in statuses if s.status != FRESH or s.failed_indicators]


def read_problems(mart_db: Path) -> list[str]:
    """A line per table or KPI of the published mart that is not fresh or has indicators
    without rows (empty before the first publication)."""
    if not mart_db.exists():
        return []
    from warehouse.publish import open_published

    with open_published(mart_db) as con:
        cursor = con.execute(
            "select * from meta_source_status where status <> 'fresh' or failed_indicators is not null"
            " order by status, source, source_ref"
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    lines = []
    for row in rows:
        for key in ("failing_since", "last_good_fetch"):
            row[key] = row[key].date().isoformat() if row[key] is not None else None
        lines.append(SourceStatus(**row).line)
    return lines


def fetched_at(batch: Any) -> str | None:
    """When a landing batch was fetched: its first body's fetch time."""
    if batch is None:
        return None
    for record in batch.records():
        return record.fetched_at
    return None
