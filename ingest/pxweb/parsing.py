"""json-stat2, json-stat (v1) and v1 json bodies as cells, PX markers kept as flags."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

from ingest import codes
from ingest.http import SourceError
from ingest.pxweb.sources import MARKERS

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
