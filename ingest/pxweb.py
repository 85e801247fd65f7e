"""One PxWeb client for both dialects: PxWebApi 2.0 (SCB) and PxWeb v1 (Folkhälsodata).

- Limits (cells per call, calls per time window) are read from the API's own config.
- A query whose cell count exceeds the limit is split on a grid into the fewest calls that
  fit (``plan_split``); every call on a host goes through one limiter for that host.
- Bodies are landed unchanged; ``parse_*`` turn json-stat2, json-stat (v1) and v1 ``json``
  into cells, with PX dot markers kept as flags (``..`` never becomes 0; ``-`` is a real 0).
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import re
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from ingest.http import JsonHttpClient, SourceError
from ingest.landing import LandedBody

V1 = "v1"
V2 = "v2"
DEFAULT_BASE_URLS = {
    "scb": "https://statistikdatabasen.scb.se/api/v2/",
    "fohm": "https://fohm-app.folkhalsomyndigheten.se/Folkhalsodata/api/v1/sv/",
}
BASE_URL_VARIABLES = {"scb": "SCB_BASE_URL", "fohm": "FOHM_BASE_URL"}
DIALECTS = {"scb": V2, "fohm": V1}

# PX dot markers: value NULL plus the flag, except '-' (magnitude zero), which is a real 0.
MARKERS = {
    "..": "not_available",
    ".": "not_applicable",
    "...": "not_yet_available",
    "…": "not_yet_available",
    "-": "magnitude_zero",
}


def base_url(source: str) -> str:
    """``SCB_BASE_URL`` / ``FOHM_BASE_URL``, or the live API."""
    url = os.environ.get(BASE_URL_VARIABLES[source]) or DEFAULT_BASE_URLS[source]
    return url if url.endswith("/") else url + "/"


# --------------------------------------------------------------------------- limits and pacing


@dataclass(frozen=True)
class Limits:
    max_cells: int
    max_calls: int
    window_seconds: float


# Pacing before a host's config has been read: SCB's published rate.
CONSERVATIVE = Limits(max_cells=1000, max_calls=30, window_seconds=10.0)


class HostLimiter:
    """At most ``max_calls`` calls in any ``window`` seconds (sliding window), thread-safe."""

    def __init__(self, max_calls: int, window_seconds: float, margin: float = 0.05) -> None:
        self.max_calls = max_calls
        self.window = window_seconds
        self.margin = margin
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                while self._calls and now - self._calls[0] >= self.window + self.margin:
                    self._calls.popleft()
                if len(self._calls) < self.max_calls:
                    self._calls.append(now)
                    return
                pause = self._calls[0] + self.window + self.margin - now
                self.waited += pause
                time.sleep(pause)


_LIMITERS: dict[str, HostLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(url: str, limits: Limits) -> HostLimiter:
    """The one limiter of a host, shared by every client and thread in the process.

    Limits read later from the API's config update the limiter in place, so calls already
    made (the config call itself) still count against the window.
    """
    host = urlsplit(url).netloc
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(host)
        if limiter is None:
            limiter = _LIMITERS[host] = HostLimiter(limits.max_calls, limits.window_seconds)
        else:
            limiter.max_calls, limiter.window = limits.max_calls, limits.window_seconds
        return limiter


# --------------------------------------------------------------------------- query splitting


def _factorisations(product: int, bounds: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Ordered tuples (m_1..m_k), 1 <= m_i <= bounds[i], whose product is ``product``."""
    if not bounds:
        if product == 1:
            yield ()
        return
    first, rest = bounds[0], bounds[1:]
    for m in range(1, min(first, product) + 1):
        if product % m == 0:
            for tail in _factorisations(product // m, rest):
                yield (m, *tail)


def plan_split(sizes: Sequence[int], max_cells: int) -> tuple[int, ...]:
    """Pieces per dimension so every call holds at most ``max_cells`` cells, in fewest calls.

    A call takes one piece of every dimension, so calls = the product of the pieces and a
    call's cells = the product of the piece sizes, ceil(n_i / m_i). The search walks call
    counts upwards from the lower bound ceil(cells / max_cells); the first that fits wins.
    """
    if max_cells < 1:
        raise ValueError("max_cells must be positive")
    total = math.prod(sizes)
    if total <= max_cells:
        return tuple(1 for _ in sizes)
    upper = math.prod(sizes)
    for calls in range(math.ceil(total / max_cells), upper + 1):
        best: tuple[int, ...] | None = None
        for pieces in _factorisations(calls, list(sizes)):
            cells = math.prod(math.ceil(n / m) for n, m in zip(sizes, pieces, strict=True))
            if cells <= max_cells:
                best = pieces
                break
        if best is not None:
            return best
    raise ValueError(f"no split of {sizes} fits {max_cells} cells")  # pragma: no cover


def naive_calls(sizes: Sequence[int], max_cells: int) -> int:
    """Calls when only whole values of the largest dimensions are split off, one at a time.

    The usual hand-written approach; the figure behind "calls saved by splitting".
    """
    calls, rest = 1, list(sizes)
    while math.prod(rest) > max_cells:
        i = max(range(len(rest)), key=lambda j: rest[j])
        other = math.prod(rest) // rest[i]
        if other <= max_cells:
            per_call = max_cells // other
            calls *= math.ceil(rest[i] / per_call)
            rest[i] = min(rest[i], per_call)
        else:
            calls *= rest[i]
            rest[i] = 1
    return calls


def _chunks(values: Sequence[str], pieces: int) -> list[list[str]]:
    size = math.ceil(len(values) / pieces)
    return [list(values[i : i + size]) for i in range(0, len(values), size)]


def _grid_parts(selection: dict[str, list[str]], max_cells: int) -> list[dict[str, list[str]]]:
    names = list(selection)
    pieces = plan_split([len(selection[n]) for n in names], max_cells)
    per_dim = [_chunks(selection[n], m) for n, m in zip(names, pieces, strict=True)]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*per_dim)]


@functools.lru_cache(maxsize=4096)
def _grid_calls(sizes: tuple[int, ...], max_cells: int) -> int:
    return math.prod(plan_split(sizes, max_cells))


def split_selection(selection: dict[str, list[str]], max_cells: int) -> list[dict[str, list[str]]]:
    """Split a selection (variable -> value codes) into the fewest calls under the limit.

    First the best grid (``plan_split``); when that misses the lower bound
    ceil(cells / max_cells), one cut of one variable into two blocks, each split on its own
    grid, often reaches it (e.g. 945,360 cells at 10,000: grid 96 calls, cut 95).
    """
    sizes = tuple(len(v) for v in selection.values())
    lower_bound = math.ceil(math.prod(sizes) / max_cells)
    best, cut = _grid_calls(sizes, max_cells), None
    for i, n in enumerate(sizes):
        if best == lower_bound:
            break
        for a in range(1, n):
            left = sizes[:i] + (a,) + sizes[i + 1 :]
            right = sizes[:i] + (n - a,) + sizes[i + 1 :]
            calls = _grid_calls(left, max_cells) + _grid_calls(right, max_cells)
            if calls < best:
                best, cut = calls, (i, a)
                if best == lower_bound:
                    break
    if cut is None:
        return _grid_parts(selection, max_cells)
    name = list(selection)[cut[0]]
    values = selection[name]
    return _grid_parts({**selection, name: values[: cut[1]]}, max_cells) + _grid_parts(
        {**selection, name: values[cut[1] :]}, max_cells
    )


def planned_calls(sizes: Sequence[int], max_cells: int) -> int:
    """How many calls ``split_selection`` makes for a selection of these sizes."""
    return len(split_selection({str(i): [str(j) for j in range(n)] for i, n in enumerate(sizes)}, max_cells))


def count_cells(selection: dict[str, list[str]]) -> int:
    return math.prod(len(v) for v in selection.values())


# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class Variable:
    code: str
    label: str
    values: list[str]
    value_labels: list[str]
    elimination: bool = False
    time: bool = False


@dataclass(frozen=True)
class TableMeta:
    table: str
    title: str
    variables: list[Variable]
    updated: str | None

    def variable(self, code: str) -> Variable:
        for variable in self.variables:
            if variable.code == code:
                return variable
        raise KeyError(code)


def meta_from_v1(table: str, body: dict[str, Any], updated: str | None) -> TableMeta:
    variables = [
        Variable(
            code=v["code"],
            label=v.get("text", v["code"]),
            values=[str(x) for x in v["values"]],
            value_labels=[str(x) for x in v.get("valueTexts", v["values"])],
            elimination=bool(v.get("elimination", False)),
            time=bool(v.get("time", False)),
        )
        for v in body["variables"]
    ]
    return TableMeta(table, body.get("title", table), variables, updated)


def meta_from_jsonstat2(table: str, body: dict[str, Any]) -> TableMeta:
    time_dims = set((body.get("role") or {}).get("time") or [])
    variables = []
    for code in body["id"]:
        dim = body["dimension"][code]
        values = _category_codes(dim)
        labels = (dim.get("category") or {}).get("label") or {}
        variables.append(
            Variable(
                code=code,
                label=dim.get("label", code),
                values=values,
                value_labels=[str(labels.get(v, v)) for v in values],
                elimination=bool((dim.get("extension") or {}).get("elimination", False)),
                time=code in time_dims,
            )
        )
    return TableMeta(table, body.get("label", table), variables, body.get("updated"))


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Cell:
    """One cell: its coordinates (variable -> value code), value and PX marker."""

    coords: dict[str, str]
    value: float | None
    marker: str | None


def _category_codes(dim: dict[str, Any]) -> list[str]:
    category = dim.get("category") or {}
    index = category.get("index")
    if isinstance(index, list):
        return [str(c) for c in index]
    if isinstance(index, dict):
        return [str(c) for c, _ in sorted(index.items(), key=lambda item: item[1])]
    return [str(c) for c in (category.get("label") or {})]


def _value_and_marker(raw: Any, status: str | None, where: str) -> tuple[float | None, str | None]:
    if isinstance(raw, str):
        text = raw.strip()
        if text in MARKERS:
            return (0.0 if text == "-" else None), text
        try:
            return float(text.replace(",", ".").replace("\u00a0", "").replace(" ", "")), None
        except ValueError as exc:
            raise SourceError(f"{where}: cell value {raw!r} is neither a number nor a PX marker") from exc
    if raw is None:
        marker = status.strip() if isinstance(status, str) and status.strip() else None
        if marker == "-":
            return 0.0, marker
        return None, marker
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise SourceError(f"{where}: cell value {raw!r} is not a number")
    marker = status.strip() if isinstance(status, str) and status.strip() in MARKERS else None
    return float(raw), marker


def parse_jsonstat2(body: dict[str, Any], where: str) -> list[Cell]:
    """json-stat 2.0 dataset (or a json-stat 1 ``{"dataset": ...}`` wrapper) into cells."""
    if "dataset" in body and "id" not in body:  # json-stat 1.x, v1 API
        dataset = body["dataset"]
        dims = dataset["dimension"]
        ids, sizes = dims["id"], dims["size"]
        dimension = {k: dims[k] for k in ids}
        values, statuses = dataset.get("value"), dataset.get("status")
    else:
        if body.get("class") != "dataset" or "id" not in body:
            raise SourceError(f"{where}: not a json-stat2 dataset (keys {sorted(body)[:8]})")
        ids, sizes, dimension = body["id"], body["size"], body["dimension"]
        values, statuses = body.get("value"), body.get("status")
    codes = [_category_codes(dimension[d]) for d in ids]
    if [len(c) for c in codes] != list(sizes):
        raise SourceError(f"{where}: dimension sizes {sizes} do not match the categories")
    total = math.prod(sizes)
    if isinstance(values, list):
        if len(values) != total:
            raise SourceError(f"{where}: {len(values)} values for {total} cells (truncated?)")
        value_at = values.__getitem__
    elif isinstance(values, dict):
        value_at = lambda i: values.get(str(i))  # noqa: E731
    else:
        raise SourceError(f"{where}: dataset has no 'value'")
    if isinstance(statuses, list):
        status_at = lambda i: statuses[i] if i < len(statuses) else None  # noqa: E731
    elif isinstance(statuses, dict):
        status_at = lambda i: statuses.get(str(i))  # noqa: E731
    elif isinstance(statuses, str):
        status_at = lambda i: statuses  # noqa: E731
    else:
        status_at = lambda i: None  # noqa: E731
    cells = []
    for i, combo in enumerate(itertools.product(*codes)):
        value, marker = _value_and_marker(value_at(i), status_at(i), where)
        cells.append(Cell(dict(zip(ids, combo, strict=True)), value, marker))
    return cells


def parse_v1_json(body: dict[str, Any], where: str) -> list[Cell]:
    """PxWeb v1 ``json`` format: ``columns`` + ``data[{key, values}]``, values as strings."""
    try:
        columns, data = body["columns"], body["data"]
    except KeyError as exc:
        raise SourceError(f"{where}: v1 json body without {exc}") from exc
    keys = [c["code"] for c in columns if c.get("type") != "c"]
    contents = [c["code"] for c in columns if c.get("type") == "c"]
    cells = []
    for row in data:
        coords = dict(zip(keys, row["key"], strict=True))
        for content, raw in zip(contents, row["values"], strict=True):
            value, marker = _value_and_marker(raw, None, where)
            cells.append(Cell({**coords, "ContentsCode": content}, value, marker))
    return cells


def parse_body(body: Any, where: str) -> list[Cell]:
    if isinstance(body, dict) and "columns" in body and "data" in body:
        return parse_v1_json(body, where)
    if isinstance(body, dict):
        return parse_jsonstat2(body, where)
    raise SourceError(f"{where}: expected a JSON object, got {type(body).__name__}")


PERIOD = re.compile(r"^(\d{4})(?:\s*-\s*(\d{4}))?$")


def parse_period(label: str, where: str) -> tuple[int, int]:
    """'2024' -> (2024, 2024); pooled '2021-2022' -> (2021, 2022)."""
    match = PERIOD.match(label.strip())
    if not match:
        raise SourceError(f"{where}: time value {label!r} is not a year or a 'YYYY-YYYY' period")
    start = int(match.group(1))
    end = int(match.group(2) or start)
    if end < start:
        raise SourceError(f"{where}: period {label!r} ends before it starts")
    return start, end


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
