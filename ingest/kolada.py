"""Kolada v3 (RKA's KPI database): fetch into the raw landing and parse into tidy rows.

Facts the client relies on (v3): pages are followed through ``next_url`` until it is
missing or empty; at most 25 ids fit in one comma-separated path segment; ``per_page``
is at most 5000; ``value`` may be null and ``status`` carries a flag; ``isdeleted``
rows are dropped; an unknown KPI gives 200 with no values, so an empty result for a
KPI the catalogue expects is an error. ``/municipality_groups`` lists Kolada's municipality
groups (``{"id": "G…", "title": …, "members": [{"member_id", "member_title"}]}``; older
descriptions name the member keys ``id``/``title``, both are accepted), among them SKR's
kommungrupper; ``from_date`` on a data query returns only values changed after that date.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from ingest.http import JsonHttpClient, SourceError
from ingest.landing import CompleteBatch, LandedBody

SOURCE = "kolada"
DEFAULT_BASE_URL = "https://api.kolada.se/v3/"
MAX_IDS_PER_SEGMENT = 25
MAX_PER_PAGE = 5000
GENDERS = ("T", "K", "M")

KIND_MUNICIPALITY = "municipality"
KIND_KPI = "kpi"
KIND_DATA = "data"
KIND_MUNICIPALITY_GROUPS = "municipality_groups"


def base_url() -> str:
    """The Kolada base URL: ``KOLADA_BASE_URL`` or the live v3 API."""
    url = os.environ.get("KOLADA_BASE_URL") or DEFAULT_BASE_URL
    return url if url.endswith("/") else url + "/"


def default_years(count: int = 16, today: datetime | None = None) -> list[int]:
    """The latest ``count`` calendar years up to and including the current one."""
    this_year = (today or datetime.now(UTC)).year
    return list(range(this_year - count + 1, this_year + 1))


def batches(ids: Sequence[Any], size: int = MAX_IDS_PER_SEGMENT) -> list[list[str]]:
    """Split ids into path segments of at most ``size`` ids, keeping order."""
    items = [str(i) for i in ids]
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass
class FetchSummary:
    """What one Kolada fetch did, for materialisation metadata and benchmarks."""

    data_queries: int = 0
    pages: int = 0
    rows_per_kpi: dict[str, int] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)
    kpis_without_metadata: list[str] = field(default_factory=list)


class KoladaClient:
    """Fetches Kolada metadata and values; every page is landed by the HTTP client."""

    def __init__(self, http: JsonHttpClient, url: str | None = None, per_page: int = MAX_PER_PAGE) -> None:
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be 1..{MAX_PER_PAGE}, got {per_page}")
        self.http = http
        self.base_url = url or base_url()
        self.per_page = per_page
        self.summary = FetchSummary()

    def pages(
        self, path: str, kind: str, query: str = ""
    ) -> Iterator[tuple[dict[str, Any], LandedBody | None]]:
        """GET ``path`` (plus ``query``, e.g. ``&from_date=…``) and every page through ``next_url``."""
        url: str | None = f"{urljoin(self.base_url, path)}?per_page={self.per_page}{query}"
        seen: set[str] = set()
        while url:
            body, record = self.http.get_json(url, kind=kind)
            check_envelope(body, url)
            seen.add(url)
            self.summary.pages += 1
            self.summary.urls.append(url)
            yield body, record
            # v3 names the link next_url; a page that names it next_page (v2) is followed too,
            # so no page is silently left out
            next_url = body.get("next_url") or body.get("next_page")
            if not body["values"] or not next_url:
                break
            url = urljoin(url, next_url)
            if url in seen:
                raise SourceError(
                    f"{SOURCE}: GET {record.url if record else url}: next_url {url} was read before"
                )

    def municipalities(self) -> list[dict[str, Any]]:
        """All municipalities, regions and Riket (``/municipality``)."""
        rows: list[dict[str, Any]] = []
        for body, record in self.pages("municipality", KIND_MUNICIPALITY):
            rows.extend(parse_municipalities(body, record.url if record else self.base_url))
        return rows

    def municipality_groups(self) -> list[dict[str, Any]]:
        """Every municipality group with its members (``/municipality_groups``), one row a member."""
        rows: list[dict[str, Any]] = []
        for body, record in self.pages("municipality_groups", KIND_MUNICIPALITY_GROUPS):
            rows.extend(parse_municipality_groups(body, record.url if record else self.base_url))
        if not rows:
            raise SourceError(
                f"{SOURCE}: GET {urljoin(self.base_url, 'municipality_groups')} returned no groups;"
                " the kommungrupp classification of dim_region needs them"
            )
        return rows

    def kpis(self, kpi_ids: Sequence[str]) -> list[dict[str, Any]]:
        """KPI metadata (``/kpi/{id,...}``), batched 25 ids per request."""
        rows: list[dict[str, Any]] = []
        for segment in batches(kpi_ids):
            for body, record in self.pages(f"kpi/{','.join(segment)}", KIND_KPI):
                rows.extend(parse_kpis(body, record.url if record else self.base_url))
        # A KPI Kolada does not know is named by the load step (warehouse.source_status), not
        # raised here: one retired KPI must not stop the others.
        self.summary.kpis_without_metadata = sorted(set(kpi_ids) - {r["kpi_id"] for r in rows})
        return rows

    def values(
        self,
        kpi_ids: Sequence[str],
        years: Sequence[int],
        municipality_ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Values for every KPI × year (× municipality, when given), 25 ids per segment.

        Without municipality ids the API returns every municipality, region and Riket,
        which needs the fewest requests.
        """
        rows: list[dict[str, Any]] = []
        muni_segments = batches(municipality_ids) if municipality_ids else [None]
        for kpi_segment in batches(kpi_ids):
            for year_segment in batches(years):
                for muni_segment in muni_segments:
                    path = f"data/kpi/{','.join(kpi_segment)}"
                    if muni_segment:
                        path += f"/municipality/{','.join(muni_segment)}"
                    path += f"/year/{','.join(year_segment)}"
                    self.summary.data_queries += 1
                    for body, record in self.pages(path, KIND_DATA):
                        rows.extend(parse_values(body, record))
        self.summary.rows_per_kpi = count_per_kpi(rows)
        return rows

    def unchanged_since(
        self, previous: CompleteBatch, kpi_ids: Sequence[str], years: Sequence[int]
    ) -> tuple[bool, str]:
        """Whether Kolada has nothing new since the ``previous`` batch was fetched.

        Asked with this client (give it no landing batch: nothing is landed): the batch covers
        the same KPIs and years; no data object of them changed since the day before that fetch
        (``from_date``, one query per KPI × year segment, an empty answer when nothing changed);
        and the region, group and KPI metadata equal the batch's. Any doubt answers False, which
        only costs a full fetch.
        """
        info = previous.info()
        same_scope = info.get("kpis") == list(kpi_ids) and info.get("years") == list(years)
        if not same_scope or not info.get("fetched_at"):
            return False, f"batch {previous.batch_id} covers other KPIs or years (or predates change checks)"
        since = (datetime.fromisoformat(info["fetched_at"]) - timedelta(days=1)).date().isoformat()
        changed = 0
        for kpi_segment in batches(kpi_ids):
            for year_segment in batches(years):
                path = f"data/kpi/{','.join(kpi_segment)}/year/{','.join(year_segment)}"
                for body, _ in self.pages(path, KIND_DATA, f"&from_date={since}"):
                    changed += len(body["values"])
        if changed:
            return False, f"{changed} data object(s) changed since {since}"
        before: dict[str, list[dict[str, Any]]] = {
            KIND_MUNICIPALITY: [],
            KIND_MUNICIPALITY_GROUPS: [],
            KIND_KPI: [],
        }
        for record in previous.records():
            if record.kind in before:
                body = previous.read_json(record)
                before[record.kind].extend(_parse_metadata(record.kind, body, record.url))
        now = {
            KIND_MUNICIPALITY: self.municipalities(),
            KIND_MUNICIPALITY_GROUPS: self.municipality_groups(),
            KIND_KPI: self.kpis(kpi_ids),
        }
        for kind, rows in now.items():
            if _canonical(rows) != _canonical(before[kind]):
                return False, f"/{kind} differs from batch {previous.batch_id}"
        return True, f"no data object changed since {since}; regions, groups and KPI metadata unchanged"


def _parse_metadata(kind: str, body: dict[str, Any], url: str) -> list[dict[str, Any]]:
    if kind == KIND_MUNICIPALITY:
        return parse_municipalities(body, url)
    if kind == KIND_MUNICIPALITY_GROUPS:
        return parse_municipality_groups(body, url)
    return parse_kpis(body, url)


def _canonical(rows: Iterable[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True, ensure_ascii=False) for r in rows)


def minimum_requests(n_kpis: int, n_years: int, n_objects: int) -> int:
    """Fewest data requests the API allows: 25 ids per segment, 5000 objects per page."""
    queries = math.ceil(n_kpis / MAX_IDS_PER_SEGMENT) * math.ceil(n_years / MAX_IDS_PER_SEGMENT)
    return max(queries, math.ceil(n_objects / MAX_PER_PAGE))


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
