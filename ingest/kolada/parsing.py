"""Kolada bodies as tidy rows, with every check that names the request it came from."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from ingest.http import SourceError
from ingest.kolada.api import (
    GENDERS,
    KIND_DATA,
    KIND_KPI,
    KIND_MUNICIPALITY,
    KIND_MUNICIPALITY_GROUPS,
    SOURCE,
)
from ingest.landing import CompleteBatch, LandedBody


def check_envelope(body: Any, url: str) -> None:
    """A page is an object with a ``values`` list; a ``next_url`` (or v2's ``next_page``) is text."""
    if not isinstance(body, dict) or not isinstance(body.get("values"), list):
        shape = type(body).__name__ if not isinstance(body, dict) else sorted(map(str, body))[:8]
        raise SourceError(f"{SOURCE}: GET {url} returned no 'values' list (got {shape})")
    for key in ("next_url", "next_page"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise SourceError(f"{SOURCE}: GET {url} has a {key} that is no URL: {_short(body[key])}")


def count_per_kpi(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["kpi_id"]] = counts.get(row["kpi_id"], 0) + 1
    return counts


def check_expected_kpis(
    rows: Iterable[dict[str, Any]], kpi_ids: Iterable[str], years: Sequence[int], where: str
) -> None:
    """An expected KPI without a single row is an error, never "no data"."""
    counts = count_per_kpi(rows)
    empty = [k for k in kpi_ids if not counts.get(k)]
    if empty:
        span = f"{min(years)}-{max(years)}" if years else "no years"
        raise SourceError(
            f"{SOURCE}: {where} returned no values for KPI(s) {', '.join(empty)} in {span};"
            " the catalogue expects data (unknown or retired KPI?)"
        )


def check_region_codes(values: Iterable[dict[str, Any]], municipalities: Iterable[dict[str, Any]]) -> None:
    """Every value's region must be in Kolada's own region list."""
    known = {m["municipality_id"] for m in municipalities}
    unknown: dict[str, str] = {}
    for row in values:
        if row["municipality_id"] not in known:
            unknown.setdefault(row["municipality_id"], row["request_url"])
    if unknown:
        code, url = next(iter(unknown.items()))
        raise SourceError(
            f"{SOURCE}: {len(unknown)} unknown region code(s) {', '.join(sorted(unknown))[:200]}"
            f" (not in /municipality); first seen in GET {url}"
        )


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _items(body: Any, url: str, what: str) -> Iterator[dict[str, Any]]:
    """The page's ``values`` that are not deleted; an item that is no object is an error."""
    check_envelope(body, url)
    for item in body["values"]:
        if not isinstance(item, dict):
            raise SourceError(f"{SOURCE}: GET {url} has a {what} that is no object: {_short(item)}")
        if not _is_deleted(item, url, what):
            yield item


def _is_deleted(item: dict[str, Any], url: str, what: str) -> bool:
    """v3's ``isdeleted`` (either spelling): true, false (or 1, 0) or left out; anything else is
    an error, since a garbled flag could drop or keep a row by accident."""
    for key in ("isdeleted", "is_deleted"):
        flag = item.get(key)
        if flag not in (None, True, False):  # 1 == True and 0 == False
            raise SourceError(f"{SOURCE}: GET {url} has a {what} with {key} = {_short(flag)}: {_short(item)}")
        if flag:
            return True
    return False


def _code(item: dict[str, Any], key: str, url: str, what: str) -> str:
    """An id (KPI, region, group): non-empty text as Kolada writes it (no int: '0180' is not 180)."""
    value = item.get(key)
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        raise SourceError(f"{SOURCE}: GET {url} has a {what} whose {key} is {_short(value)}: {_short(item)}")
    return value


def _text(item: dict[str, Any], key: str, url: str, what: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise SourceError(f"{SOURCE}: GET {url} has a {what} whose {key} is no text: {_short(item)}")
    return value


def parse_municipalities(body: dict[str, Any], url: str = "(not landed)") -> list[dict[str, Any]]:
    rows = []
    for m in _items(body, url, "region"):
        title = _text(m, "title", url, "region")
        if not title:
            raise SourceError(f"{SOURCE}: GET {url} has a region without a title: {_short(m)}")
        rows.append(
            {
                "municipality_id": _code(m, "id", url, "region"),
                "title": title,
                "type": _text(m, "type", url, "region"),
            }
        )
    return rows


def parse_municipality_groups(body: dict[str, Any], url: str) -> list[dict[str, Any]]:
    """One row per (group, member); a group without members or ids is an error naming the URL."""
    rows: list[dict[str, Any]] = []
    for group in _items(body, url, "municipality group"):
        group_id, members = group.get("id"), group.get("members")
        if not group_id or not isinstance(members, list):
            raise SourceError(
                f"{SOURCE}: GET {url} has a municipality group without id or members list: {str(group)[:200]}"
            )
        group_id = _code(group, "id", url, "municipality group")
        group_title = _text(group, "title", url, "municipality group")
        for member in members:
            if not isinstance(member, dict):
                raise SourceError(
                    f"{SOURCE}: GET {url}: group {group_id} has a member that is no object: {_short(member)}"
                )
            key = "member_id" if "member_id" in member else "id"
            if member.get(key) is None:
                raise SourceError(f"{SOURCE}: GET {url}: group {group_id} has a member without id: {member}")
            title_key = "member_title" if "member_title" in member else "title"
            rows.append(
                {
                    "group_id": group_id,
                    "group_title": group_title,
                    "member_id": _code(member, key, url, f"member of group {group_id}"),
                    "member_title": _text(member, title_key, url, f"member of group {group_id}"),
                }
            )
    return rows


def parse_kpis(body: dict[str, Any], url: str = "(not landed)") -> list[dict[str, Any]]:
    rows = []
    for k in _items(body, url, "KPI"):
        divided, period = k.get("is_divided_by_gender"), k.get("publ_period")
        if divided not in (None, True, False):  # v3 a boolean, v2 0 or 1
            raise SourceError(
                f"{SOURCE}: GET {url} has a KPI whose is_divided_by_gender is {_short(divided)}"
            )
        if period is not None and (isinstance(period, bool) or not isinstance(period, str | int)):
            raise SourceError(f"{SOURCE}: GET {url} has a KPI whose publ_period is {_short(period)}")
        rows.append(
            {
                "kpi_id": _code(k, "id", url, "KPI"),
                "title": _text(k, "title", url, "KPI"),
                "description": _text(k, "description", url, "KPI"),
                "is_divided_by_gender": bool(divided),
                "municipality_type": _text(k, "municipality_type", url, "KPI"),
                "operating_area": _text(k, "operating_area", url, "KPI"),
                "publ_period": None if period is None else str(period),
            }
        )
    return rows


def _period(obj: dict[str, Any], url: str) -> int:
    """A data object's year: an int (or its digits as text) of four digits."""
    period = obj.get("period")
    if isinstance(period, str) and re.fullmatch(r"\d{4}", period, re.ASCII):
        return int(period)
    if isinstance(period, int) and not isinstance(period, bool) and 1000 <= period <= 9999:
        return period
    raise SourceError(
        f"{SOURCE}: GET {url} has a data object whose period is {_short(period)}: {_short(obj)}"
    )


def parse_values(body: dict[str, Any], record: LandedBody | None) -> list[dict[str, Any]]:
    """One row per (kpi, municipality, period, gender); deleted rows are dropped.

    Whatever does not fit the raw table is an error naming the request: ids that are not text,
    a period that is no year, a value that is no finite number, a status that is no text, a
    count that is no count, or a (kpi, municipality, period, gender) given twice.
    """
    url = record.url if record else "(not landed)"
    fetched_at = record.fetched_at if record else datetime.now(UTC).isoformat()
    sha = record.sha256 if record else None
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int, str]] = set()
    for obj in _items(body, url, "data object"):
        kpi = _code(obj, "kpi", url, "data object")
        municipality = _code(obj, "municipality", url, "data object")
        period = _period(obj, url)
        entries = obj.get("values")
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise SourceError(f"{SOURCE}: GET {url}: {kpi}/{municipality}/{period} has no values list")
        for entry in entries:
            if not isinstance(entry, dict):
                raise SourceError(
                    f"{SOURCE}: GET {url}: {kpi}/{municipality}/{period} has a value that is no object"
                )
            if _is_deleted(entry, url, f"value of {kpi}/{municipality}/{period}"):
                continue
            gender, value = entry.get("gender"), entry.get("value")
            status, count = entry.get("status"), entry.get("count")
            where = f"{SOURCE}: GET {url}: {kpi}/{municipality}/{period}"
            if gender not in GENDERS:
                raise SourceError(f"{where} has gender {gender!r}, expected one of {', '.join(GENDERS)}")
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            ):
                raise SourceError(f"{where}/{gender} has a non-numeric value {_short(value)}")
            if status is not None and not isinstance(status, str):
                raise SourceError(f"{where}/{gender} has a status that is no text: {_short(status)}")
            if count is not None and (
                isinstance(count, bool) or not isinstance(count, int) or not 0 <= count < 2**31
            ):
                raise SourceError(f"{where}/{gender} has a count that is no count: {_short(count)}")
            if (kpi, municipality, period, gender) in seen:
                raise SourceError(f"{where}/{gender} is given twice")
            seen.add((kpi, municipality, period, gender))
            rows.append(
                {
                    "kpi_id": kpi,
                    "municipality_id": municipality,
                    "period": period,
                    "gender": gender,
                    "value": None if value is None else float(value),
                    "status": status or None,
                    "count": count,
                    "request_url": url,
                    "fetched_at": fetched_at,
                    "body_sha256": sha,
                }
            )
    return rows


def parse_batch(batch: CompleteBatch) -> dict[str, list[dict[str, Any]]]:
    """Re-parse a complete landing batch into the three raw tables (no network)."""
    tables: dict[str, list[dict[str, Any]]] = {
        "municipality": [],
        "municipality_groups": [],
        "kpi": [],
        "values": [],
    }
    for record in batch.records():
        body = batch.read_json(record)
        check_envelope(body, record.url)
        if record.kind == KIND_MUNICIPALITY:
            tables["municipality"].extend(parse_municipalities(body, record.url))
        elif record.kind == KIND_MUNICIPALITY_GROUPS:
            tables["municipality_groups"].extend(parse_municipality_groups(body, record.url))
        elif record.kind == KIND_KPI:
            tables["kpi"].extend(parse_kpis(body, record.url))
        elif record.kind == KIND_DATA:
            tables["values"].extend(parse_values(body, record))
        else:
            raise SourceError(f"{SOURCE}: landing {batch.path} has an unknown body kind {record.kind!r}")
    return tables
