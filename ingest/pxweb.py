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

from ingest import codes
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


# A number as a PxWeb body writes it in text, once ',' is read as '.' and thousands spaces are
# gone: ASCII digits only (float() would also take '1_000', 'nan', 'inf' and other scripts' digits).
NUMBER_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# Keys of a sparse json-stat 'value' or 'status' object: a cell's position, written canonically.
POSITION = re.compile(r"0|[1-9]\d*", re.ASCII)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _value_and_marker(raw: Any, status: Any, where: str) -> tuple[float | None, str | None]:
    """A cell's value and PX marker from its raw value and its status.

    A no-value marker ('..', '.', '...') leaves no value even beside a number (a placeholder
    such as 0 is not a figure); '-' is a real 0 and contradicts any other number. A status that
    is no PX marker (':', 'e') is kept on a null cell and dropped beside a number. Text values
    are numbers with '.' or ',' and optional thousands spaces, or a PX marker; nothing else
    (no 'nan', 'inf', '1_000') and no number that is not finite.
    """
    if status is not None and not isinstance(status, str):
        raise SourceError(f"{where}: cell status {_short(status)} is not text")
    flag = status.strip() or None if status is not None else None
    if isinstance(raw, str):
        text = raw.strip()
        if text in MARKERS:
            return (0.0 if text == "-" else None), text
        compact = text.replace(",", ".").replace("\u00a0", "").replace(" ", "")
        if not NUMBER_TEXT.fullmatch(compact):
            raise SourceError(f"{where}: cell value {_short(raw)} is neither a number nor a PX marker")
        number: float | None = float(compact)
    elif raw is None:
        number = None
    elif isinstance(raw, bool) or not isinstance(raw, int | float):
        raise SourceError(f"{where}: cell value {_short(raw)} is not a number")
    else:
        try:
            number = float(raw)
        except OverflowError:
            number = math.inf
    if number is not None and not math.isfinite(number):
        raise SourceError(f"{where}: cell value {_short(raw)} is not a finite number")
    if flag == "-":
        if number not in (None, 0.0):
            raise SourceError(f"{where}: cell value {_short(raw)} beside the marker '-' (a real zero)")
        return 0.0, flag
    if flag in MARKERS:
        return None, flag
    return number, flag if number is None else None


def _dimension_codes(dim: Any, name: str, where: str) -> list[str]:
    """A data body's category codes of one dimension, in value order; SourceError when they are
    not distinct or their index is not a list or an object of positions 0..n-1."""
    category = dim.get("category") if isinstance(dim, dict) else None
    if not isinstance(category, dict):
        raise SourceError(f"{where}: dimension {name!r} has no category object")
    index = category.get("index")
    if isinstance(index, list):
        codes = index
    elif isinstance(index, dict):
        positions = list(index.values())
        if not all(isinstance(p, int) and not isinstance(p, bool) for p in positions) or sorted(
            positions
        ) != list(range(len(positions))):
            raise SourceError(
                f"{where}: dimension {name!r}: category index positions {_short(positions)}"
                f" are not 0..{len(positions) - 1}"
            )
        codes = sorted(index, key=index.__getitem__)
    elif index is None and isinstance(category.get("label"), dict) and len(category["label"]) == 1:
        codes = list(category["label"])  # a single category may leave its index out (json-stat 2.0)
    else:
        raise SourceError(f"{where}: dimension {name!r} has no category index list or object")
    if not all(isinstance(c, str) or (isinstance(c, int) and not isinstance(c, bool)) for c in codes):
        raise SourceError(
            f"{where}: dimension {name!r} has category codes that are not text: {_short(codes)}"
        )
    codes = [str(c) for c in codes]
    if len(set(codes)) != len(codes):
        raise SourceError(f"{where}: dimension {name!r} names a category twice: {_short(codes)}")
    return codes


def _per_cell(container: Any, total: int, what: str, where: str) -> Any:
    """``value`` or ``status`` as a function of the cell position: a list of one entry per cell,
    an object keyed by position (missing positions are null), a string for every cell, or None."""
    if isinstance(container, list):
        if len(container) != total:
            entries = "values" if what == "value" else f"{what} entries"
            raise SourceError(f"{where}: {len(container)} {entries} for {total} cells (truncated?)")
        return container.__getitem__
    if isinstance(container, dict):
        bad = [k for k in container if not POSITION.fullmatch(k) or int(k) >= total]
        if bad:
            raise SourceError(f"{where}: {what} at {_short(bad[:5])}, which is no cell of {total}")
        return lambda i: container.get(str(i))
    if what == "status" and (container is None or isinstance(container, str)):
        return lambda i: container
    raise SourceError(f"{where}: dataset has no {what} list or object (got {type(container).__name__})")


def parse_jsonstat2(body: dict[str, Any], where: str) -> list[Cell]:
    """json-stat 2.0 dataset (or a json-stat 1 ``{"dataset": ...}`` wrapper) into cells.

    Anything that does not add up (ids, sizes, category indexes, value and status entries) is a
    SourceError naming ``where``; no cell is guessed.
    """
    if "dataset" in body and "id" not in body:  # json-stat 1.x, v1 API
        dataset = body["dataset"]
        dims = dataset.get("dimension") if isinstance(dataset, dict) else None
        if not isinstance(dims, dict):
            raise SourceError(f"{where}: json-stat 'dataset' without a 'dimension' object")
        ids, sizes, dimension = dims.get("id"), dims.get("size"), dims
        values, statuses = dataset.get("value"), dataset.get("status")
    else:
        if body.get("class") != "dataset" or "id" not in body:
            raise SourceError(f"{where}: not a json-stat2 dataset (keys {sorted(map(str, body))[:8]})")
        ids, sizes, dimension = body["id"], body.get("size"), body.get("dimension")
        values, statuses = body.get("value"), body.get("status")
    if not isinstance(ids, list) or not all(isinstance(d, str) for d in ids) or len(set(ids)) != len(ids):
        raise SourceError(f"{where}: dimension ids {_short(ids)} are not a list of distinct names")
    if not isinstance(sizes, list) or not all(isinstance(n, int) and not isinstance(n, bool) for n in sizes):
        raise SourceError(f"{where}: dimension sizes {_short(sizes)} are not a list of counts")
    if not isinstance(dimension, dict):
        raise SourceError(f"{where}: dataset has no 'dimension' object")
    codes = [_dimension_codes(dimension.get(d), d, where) for d in ids]
    if [len(c) for c in codes] != sizes:
        raise SourceError(f"{where}: dimension sizes {_short(sizes)} do not match the categories")
    total = math.prod(sizes)
    value_at = _per_cell(values, total, "value", where)
    status_at = _per_cell(statuses, total, "status", where)
    cells = []
    for i, combo in enumerate(itertools.product(*codes)):
        value, marker = _value_and_marker(value_at(i), status_at(i), where)
        cells.append(Cell(dict(zip(ids, combo, strict=True)), value, marker))
    return cells


def parse_v1_json(body: dict[str, Any], where: str) -> list[Cell]:
    """PxWeb v1 ``json`` format: ``columns`` + ``data[{key, values}]``, values as strings.

    Every row's key has one code per key column and its values one entry per content column;
    a key given twice, or anything else out of shape, is a SourceError naming ``where``.
    """
    columns, data = body.get("columns"), body.get("data")
    if not isinstance(columns, list) or not isinstance(data, list):
        raise SourceError(f"{where}: v1 json body without a 'columns' and a 'data' list")
    if not all(isinstance(c, dict) and isinstance(c.get("code"), str) and c["code"] for c in columns):
        raise SourceError(f"{where}: v1 json column without a code: {_short(columns)}")
    codes = [c["code"] for c in columns]
    if len(set(codes)) != len(codes):
        raise SourceError(f"{where}: v1 json names a column twice: {_short(codes)}")
    keys = [c["code"] for c in columns if c.get("type") != "c"]
    contents = [c["code"] for c in columns if c.get("type") == "c"]
    cells, seen = [], set()
    for n, row in enumerate(data):
        key = row.get("key") if isinstance(row, dict) else None
        values = row.get("values") if isinstance(row, dict) else None
        if not isinstance(key, list) or len(key) != len(keys) or not all(isinstance(k, str) for k in key):
            raise SourceError(f"{where}: data row {n} has key {_short(key)}; the columns are {keys}")
        if not isinstance(values, list) or len(values) != len(contents):
            raise SourceError(
                f"{where}: data row {n} has values {_short(values)}; the content columns are {contents}"
            )
        if tuple(key) in seen:
            raise SourceError(f"{where}: data row {n} repeats the key {key}")
        seen.add(tuple(key))
        coords = dict(zip(keys, key, strict=True))
        for content, raw in zip(contents, values, strict=True):
            value, marker = _value_and_marker(raw, None, where)
            cells.append(Cell({**coords, "ContentsCode": content}, value, marker))
    return cells


def parse_body(body: Any, where: str) -> list[Cell]:
    if isinstance(body, dict) and "columns" in body and "data" in body:
        return parse_v1_json(body, where)
    if isinstance(body, dict):
        return parse_jsonstat2(body, where)
    raise SourceError(f"{where}: expected a JSON object, got {type(body).__name__}")


def time_period(label: str, where: str) -> tuple[int, int]:
    """A time value's first and last year (``ingest.codes.parse_period``), a ``SourceError``
    naming the table when it is none: '2024' -> (2024, 2024); pooled '2021-2022' -> (2021, 2022)."""
    try:
        return codes.parse_period(label)
    except ValueError as exc:
        raise SourceError(f"{where}: time value {exc}") from exc


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
