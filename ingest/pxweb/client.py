"""The PxWeb client: metadata, splitting and pacing, landing each body."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin

from ingest.http import JsonHttpClient, SourceError
from ingest.landing import LandedBody
from ingest.pxweb.metadata import TableMeta, meta_from_jsonstat2, meta_from_v1
from ingest.pxweb.pacing import CONSERVATIVE, HostLimiter, Limits, limiter_for
from ingest.pxweb.sources import V2
from ingest.pxweb.splitting import count_cells, naive_calls, split_selection

# --------------------------------------------------------------------------- the client


@dataclass
class FetchStats:
    calls: int = 0
    data_calls: int = 0
    cells: int = 0
    naive_data_calls: int = 0
    skipped_unchanged: bool = False
    waited_seconds: float = 0.0

    def as_metadata(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "data_calls": self.data_calls,
            "cells_received": self.cells,
            "calls_saved_by_splitting": max(0, self.naive_data_calls - self.data_calls),
            "unchanged_no_data_call": self.skipped_unchanged,
            "seconds_paced": round(self.waited_seconds, 2),
        }


@dataclass
class PxWebClient:
    """Config, metadata and data calls against one PxWeb API (v1 or v2)."""

    source: str
    http: JsonHttpClient
    url: str
    dialect: str
    language: str = "sv"
    limits_override: Limits | None = None
    stats: FetchStats = field(default_factory=FetchStats)
    _limits: Limits | None = None
    _limiter: HostLimiter | None = None

    def __post_init__(self) -> None:
        self.http.before_request = self._pace

    # Pacing: the config call itself is paced by a conservative default until limits are known.
    def _pace(self) -> None:
        self.stats.calls += 1
        limiter = self._limiter or limiter_for(self.url, CONSERVATIVE)
        before = limiter.waited
        limiter.acquire()
        self.stats.waited_seconds += limiter.waited - before

    def limits(self) -> Limits:
        if self._limits is None:
            if self.limits_override is not None:
                self._limits = self.limits_override
            elif self.dialect == V2:
                config, _ = self.http.get_json(urljoin(self.url, "config"), kind="config")
                self._limits = Limits(
                    int(config["maxDataCells"]),
                    int(config.get("maxCallsPerTimeWindow") or config.get("maxCalls")),
                    float(config["timeWindow"]),
                )
            else:
                config, _ = self.http.get_json(f"{self.url}?config", kind="config")
                self._limits = Limits(
                    int(config["maxValues"]), int(config["maxCalls"]), float(config["timeWindow"])
                )
            self._limiter = limiter_for(self.url, self._limits)
        return self._limits

    def table_url(self, table: str) -> str:
        if self.dialect == V2:
            return urljoin(self.url, f"tables/{quote(table)}/")
        return urljoin(self.url, quote(table))

    def metadata(self, table: str) -> tuple[TableMeta, Any, LandedBody | None]:
        """Table metadata and its ``updated`` stamp (v1: from the folder listing)."""
        self.limits()
        if self.dialect == V2:
            url = f"{self.table_url(table)}metadata?lang={self.language}"
            body, record = self.http.get_json(url, kind="metadata")
            return meta_from_jsonstat2(table, body), body, record
        url = self.table_url(table)
        body, record = self.http.get_json(url, kind="metadata")
        if not isinstance(body, dict) or "variables" not in body:
            raise SourceError(f"{self.source}: GET {url} returned no table metadata")
        folder, _, name = table.rpartition("/")
        listing, _ = self.http.get_json(urljoin(self.url, quote(folder) + "/"), kind="listing")
        updated = next(
            (e.get("updated") for e in listing if isinstance(e, dict) and e.get("id") == name),
            None,
        )
        return meta_from_v1(table, body, updated), body, record

    def data(
        self, table: str, selection: dict[str, list[str]]
    ) -> Iterator[tuple[Any, LandedBody | None, dict[str, list[str]]]]:
        """POST the selection, split to fit the cell limit; yields (body, record, sub-selection)."""
        limits = self.limits()
        parts = split_selection(selection, limits.max_cells)
        self.stats.naive_data_calls += naive_calls([len(v) for v in selection.values()], limits.max_cells)
        for part in parts:
            if self.dialect == V2:
                url = f"{self.table_url(table)}data?lang={self.language}&outputFormat=json-stat2"
                payload = {"selection": [{"variableCode": k, "valueCodes": v} for k, v in part.items()]}
            else:
                url = self.table_url(table)
                payload = {
                    "query": [
                        {"code": k, "selection": {"filter": "item", "values": v}} for k, v in part.items()
                    ],
                    "response": {"format": "json-stat2"},
                }
            body, record = self.http.post_json(url, payload, kind="data")
            self.stats.data_calls += 1
            self.stats.cells += count_cells(part)
            yield body, record, part
