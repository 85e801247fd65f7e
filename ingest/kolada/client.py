"""The Kolada client: every catalogued KPI's values, regions, groups and KPI metadata, landed."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin

from ingest.http import JsonHttpClient, SourceError
from ingest.kolada.api import (
    DEFAULT_BASE_URL,
    KIND_DATA,
    KIND_KPI,
    KIND_MUNICIPALITY,
    KIND_MUNICIPALITY_GROUPS,
    MAX_PER_PAGE,
    SOURCE,
    batches,
)
from ingest.kolada.parsing import (
    check_envelope,
    count_per_kpi,
    parse_kpis,
    parse_municipalities,
    parse_municipality_groups,
    parse_values,
)
from ingest.landing import CompleteBatch, LandedBody


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
        self.base_url = url or DEFAULT_BASE_URL
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
