"""Fuzzed parsers: any body ends in rows or an error naming its source, never a wrong row.

Each parser gets two kinds of property:

- **valid but varied** bodies, generated from the structure of the real bodies on record in
  ../shared/recordings (their dimension ids and codes, extra fields, envelope fields): the
  parser's rows equal an expectation computed here from the generated cube or list (value None
  exactly where the cell is null or marked, the marker kept, '-' a real 0 with its marker);
- **mutated** bodies (fields removed, wrong types, truncated lists, sizes that disagree with the
  values, garbage strings, random JSON or bytes): rows that keep every invariant of their raw
  table, or ``SourceError`` / ``SurveyError`` whose message names the source and the request
  (or the file); never another exception. A mutation that only touches a field the parser
  does not read leaves the rows exactly as expected.

The recordings are read from ../shared (never copied here); the tests that need them skip with
the reason when that folder is absent. Settings are fixed (derandomized, no example database)
so a run is the same everywhere and the file stays well under a minute.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ingest import kolada, surveys
from ingest.codes import SEXES
from ingest.http import SourceError
from ingest.landing import LandedBody
from ingest.pxweb import Cell, parse_body
from ingest.surveys import RegionIndex, SurveyError
from localsources.kolada_server import SMALL_REGIONS
from tests.conftest import RECORDINGS
from warehouse.raw_tables import RAW_TABLES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "surveys"

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
SURVEY = settings(FUZZ, max_examples=150)  # a file written and read per example
FEW = settings(FUZZ, max_examples=100)  # the slower XLSX properties

NO_VALUE_MARKERS = ("..", ".", "...", "…")


def _recorded(*parts: str) -> Any | None:
    path = RECORDINGS.joinpath(*parts)
    if not path.exists():
        return None
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    return json.loads(path.read_text(encoding="utf-8"))


needs_recordings = pytest.mark.skipif(
    not (RECORDINGS / "PROVENANCE.md").exists(),
    reason=f"recordings not present at {RECORDINGS} (../shared/recordings is not beside the repo)",
)


# =========================================================================== generic JSON fuzzing

GARBAGE = st.sampled_from(
    [
        "", " ", "..", ".", "...", "…", "-", ":", "..x", "1_000", "nan", "NaN", "inf", "-Infinity",
        "1e999", "١٢", "１２", "²", "0x1f", "12,5,3", "1 234,5", "null", "None", "true", "false",
        "\u00a0", "Missing", "T", "K", "M", "F", "0180", "2023", "N15428", "G1", "[]", "{}",
    ]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    GARBAGE,
    st.text(max_size=6),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids, max_size=4),
    max_leaves=12,
)
KNOWN_KEYS = st.sampled_from(
    [
        "class", "id", "size", "dimension", "category", "index", "label", "value", "status",
        "dataset", "columns", "data", "key", "values", "code", "type", "kpi", "municipality",
        "period", "gender", "count", "isdeleted", "is_deleted", "members", "member_id", "title",
        "next_url", "next_page", "publ_period", "is_divided_by_gender",
    ]
)  # fmt: skip
OPS = ("delete", "replace", "garbage", "truncate", "duplicate", "add_key", "nudge")


def _nodes(obj: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.extend(_nodes(value, (*path, key)))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            out.extend(_nodes(value, (*path, i)))
    return out


def _get(obj: Any, path: tuple) -> Any:
    for part in path:
        obj = obj[part]
    return obj


@st.composite
def mutated(draw, body: Any, max_mutations: int = 3) -> tuple[Any, list[tuple]]:
    """``body`` changed in 1..max_mutations places; returns it and the paths touched."""
    body = copy.deepcopy(body)
    touched: list[tuple] = []
    for _ in range(draw(st.integers(1, max_mutations))):
        path = draw(st.sampled_from(_nodes(body)))
        node = _get(body, path)
        op = draw(st.sampled_from(OPS))
        new: Any = node
        if op == "delete" and path:
            parent = _get(body, path[:-1])
            del parent[path[-1]]
            touched.append(path)
            continue
        if op == "truncate" and isinstance(node, list | str) and node:
            new = node[: draw(st.integers(0, len(node) - 1))]
        elif op == "truncate" and isinstance(node, dict) and node:
            keep = draw(st.integers(0, len(node) - 1))
            new = dict(itertools.islice(node.items(), keep))
        elif op == "duplicate" and isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            new = [*node[: i + 1], copy.deepcopy(node[i]), *node[i + 1 :]]
        elif op == "add_key" and isinstance(node, dict):
            key = draw(KNOWN_KEYS | st.text(max_size=5))
            node[key] = draw(JSON_VALUES)
            touched.append((*path, key))
            continue
        elif op == "nudge" and isinstance(node, bool):
            new = not node
        elif op == "nudge" and isinstance(node, int | float):
            new = node + draw(st.sampled_from([-1, 1, 2, 0.5, 10**9, -(10**12)]))
        elif op == "nudge" and isinstance(node, str):
            new = node + draw(GARBAGE | st.text(max_size=2))
        elif op == "garbage":
            new = draw(GARBAGE)
        else:
            new = draw(JSON_VALUES)
        if path:
            _get(body, path[:-1])[path[-1]] = new
        else:
            body = new
        touched.append(path)
    return body, touched


def _numbers(obj: Any) -> set[float]:
    """Every finite number in a JSON tree, numeric or written as text ('3,5', '5 157 443')."""
    found: set[float] = set()
    for path in _nodes(obj):
        node = _get(obj, path)
        if isinstance(node, bool):
            continue
        if isinstance(node, int | float) and math.isfinite(node):
            found.add(float(node))
        elif isinstance(node, str):
            text = node.strip().replace(",", ".").replace("\u00a0", "").replace(" ", "")
            if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
                found.add(float(text))
    return found


def _names_source(exc: BaseException, *parts: str) -> None:
    message = str(exc)
    for part in parts:
        assert part in message, f"{part!r} not in the error {message!r}"


# =========================================================================== PxWeb: json-stat2


@dataclass(frozen=True)
class DimTemplate:
    code: str
    codes: list[str]
    labels: dict[str, str]
    extra: dict[str, Any]  # the dimension's other fields (label, extension, note, link)
    category_extra: dict[str, Any]  # the category's other fields (unit, note)


@dataclass(frozen=True)
class CubeTemplate:
    name: str
    source: str
    top: dict[str, Any]  # the body's other fields (version, label, source, updated, note, role, ...)
    dims: list[DimTemplate]


JSONSTAT_RECORDINGS = [
    ("scb", "scb_v2_TAB638_riket_ogifta_0ar_man_2024_jsonstat2.json"),
    ("scb", "scb_v2_TAB638_region_0180_1480_2023-2024_trimmed-fixture.json"),
    ("scb", "scb_v2_TAB638_metadata.json"),
    ("scb", "scb_v2_TAB5974_0ar_kon_2026_jsonstat2.json"),
    ("scb", "scb_v2_TAB6471_data_jsonstat2.json"),
    ("scb", "scb_v2_TAB6471_metadata.json"),
    ("fohm", "fohm_v1_HBSC_MobbningReg_data_jsonstat2_trimmed-fixture.json"),
    ("other", "ssb_v1_jsonstat2_dotdot-status.json"),
    ("scb", "scb_v1_BefolkningNy_kon1_2017_format-jsonstat.json"),
]


def _codes_in_order(category: dict[str, Any]) -> list[str]:
    index = category.get("index")
    if isinstance(index, list):
        return list(index)
    if isinstance(index, dict):
        return sorted(index, key=index.__getitem__)
    return list(category.get("label") or {})


def _cube_templates() -> list[CubeTemplate]:
    templates = []
    for folder, name in JSONSTAT_RECORDINGS:
        body = _recorded(folder, name)
        if body is None:
            continue
        dataset = body.get("dataset", body)
        dims_holder = dataset["dimension"]
        ids = dataset.get("id") or dims_holder["id"]
        dims = []
        for code in ids:
            dim = dims_holder[code]
            category = dim["category"]
            dims.append(
                DimTemplate(
                    code=code,
                    codes=_codes_in_order(category),
                    labels=dict(category.get("label") or {}),
                    extra={k: v for k, v in dim.items() if k != "category"},
                    category_extra={k: v for k, v in category.items() if k not in ("index", "label")},
                )
            )
        skip = {"id", "size", "dimension", "value", "status"}
        templates.append(
            CubeTemplate(name, folder, {k: v for k, v in dataset.items() if k not in skip}, dims)
        )
    return templates


CUBE_TEMPLATES = _cube_templates()

NUMBERS = st.integers(-(10**9), 10**9) | st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
# One cell as the source writes it: (kind, raw value, status) with its expected (value, marker).
CUBE_CELLS = st.one_of(
    NUMBERS.map(lambda v: (v, None, (float(v), None))),
    st.just((None, None, (None, None))),
    st.tuples(st.sampled_from(NO_VALUE_MARKERS), st.sampled_from([None, None, 0])).map(
        lambda t: (t[1], t[0], (None, t[0]))  # a placeholder 0 beside '..' is no value either
    ),
    st.sampled_from([0, 0.0, None]).map(lambda raw: (raw, "-", (0.0, "-"))),
    st.sampled_from([":", "e", "p"]).map(lambda flag: (None, flag, (None, flag))),
)
CUBE_BUDGET = 64  # cells at most, so a property stays fast


@st.composite
def cubes(draw) -> tuple[dict[str, Any], list[tuple], str]:
    """A json-stat2 (or json-stat 1 wrapped) body shaped like a recorded one, its expected cells
    (coordinates, value, marker) in value order, and where the parser is told it came from."""
    template = draw(st.sampled_from(CUBE_TEMPLATES))
    chosen: list[tuple[DimTemplate, list[str]]] = []
    total = 1
    for dim in template.dims:
        most = max(1, min(len(dim.codes), 5, CUBE_BUDGET // total))
        size = draw(st.integers(1, most))
        codes = draw(st.lists(st.sampled_from(dim.codes), min_size=size, max_size=size, unique=True))
        chosen.append((dim, codes))
        total *= size
    cells = draw(st.lists(CUBE_CELLS, min_size=total, max_size=total))
    ids = [dim.code for dim, _ in chosen]
    dimension: dict[str, Any] = {}
    for dim, codes in chosen:
        form = draw(st.sampled_from(["dict", "list", "none"] if len(codes) == 1 else ["dict", "list"]))
        category: dict[str, Any] = dict(dim.category_extra)
        if form == "dict":
            order = draw(st.permutations(codes))  # insertion order differs from position order
            category["index"] = {c: codes.index(c) for c in order}
        elif form == "list":
            category["index"] = list(codes)
        if form == "none" or draw(st.booleans()):
            category["label"] = {c: dim.labels.get(c, c) for c in codes}
        dimension[dim.code] = {**dim.extra, "category": category}
    dimension = dict(draw(st.permutations(list(dimension.items()))))
    raws = [raw for raw, _, _ in cells]
    statuses = [status for _, status, _ in cells]
    if draw(st.booleans()):
        value: Any = raws
    else:  # sparse: only the cells that are not null (and some explicit nulls)
        value = {str(i): raw for i, raw in enumerate(raws) if raw is not None or draw(st.booleans())}
    forms = ["dict", "list"] if any(statuses) else ["absent", "null", "empty"]
    if len(set(statuses)) == 1 and statuses[0] is not None:
        forms.append("string")
    status_form = draw(st.sampled_from(forms))
    status: Any = {
        "dict": {str(i): s for i, s in enumerate(statuses) if s is not None},
        "list": [s if s is not None else draw(st.sampled_from([None, ""])) for s in statuses],
        "string": statuses[0],
        "null": None,
        "empty": {},
    }.get(status_form)
    wrapped = template.name.endswith("format-jsonstat.json") or draw(st.integers(0, 5)) == 0
    if wrapped:  # PxWeb v1's json-stat 1: id, size and role inside 'dimension'
        dimension.update(id=ids, size=[len(c) for _, c in chosen], role=template.top.get("role") or {})
        dataset = {k: v for k, v in template.top.items() if k != "role"}
        dataset.update(dimension=dimension, value=value)
        if status_form != "absent":
            dataset["status"] = status
        body: dict[str, Any] = {"dataset": dataset}
    else:
        body = {**template.top, "class": "dataset", "id": ids, "size": [len(c) for _, c in chosen]}
        body.update(dimension=dimension, value=value)
        if status_form != "absent":
            body["status"] = status
    expected = [
        (tuple(zip(ids, combo, strict=True)), *cell[2])
        for combo, cell in zip(itertools.product(*[c for _, c in chosen]), cells, strict=True)
    ]
    where = f"{template.source}: table {template.name} (POST https://example.test/{template.name})"
    return body, expected, where


def _as_tuples(cells: list[Cell]) -> list[tuple]:
    return [(tuple(c.coords.items()), c.value, c.marker) for c in cells]


def _check_cells(cells: Any, body: Any) -> None:
    """What every parsed cell must be, whatever the body."""
    assert isinstance(cells, list)
    numbers = _numbers(body)
    seen = set()
    for cell in cells:
        assert isinstance(cell, Cell)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in cell.coords.items())
        key = tuple(sorted(cell.coords.items()))
        assert key not in seen, f"two cells at {key}"
        seen.add(key)
        assert cell.marker is None or (
            isinstance(cell.marker, str) and cell.marker.strip() == cell.marker != ""
        )
        if cell.marker in NO_VALUE_MARKERS:
            assert cell.value is None, f"a value beside the marker {cell.marker!r}"
        elif cell.marker == "-":
            assert cell.value == 0.0
        elif cell.value is not None:
            assert isinstance(cell.value, float) and math.isfinite(cell.value)
            assert cell.value in numbers, f"{cell.value} is in no cell of the body"
    if len({tuple(sorted(c.coords)) for c in cells}) > 1:
        raise AssertionError("cells with different dimensions")


JSONSTAT_TOP_UNREAD = {"label", "note", "source", "updated", "version", "extension", "role", "link", "href"}
JSONSTAT_READ = {"class", "id", "size", "dimension", "value", "status", "dataset", "columns", "data"}


def _jsonstat_cosmetic(path: tuple, wrapped: bool) -> bool:
    """Whether a mutation at ``path`` touches only what parse_body does not read."""
    if wrapped:
        if not path or path[0] != "dataset":
            return False
        path = path[1:]
        if len(path) >= 2 and path[0] == "dimension" and path[1] == "role":
            return True
    if not path:
        return False
    if path[0] in JSONSTAT_TOP_UNREAD or path[0] not in JSONSTAT_READ:
        return True
    if path[0] == "dimension" and len(path) >= 3 and path[2] in ("label", "note", "extension", "link"):
        return True
    return path[0] == "dimension" and len(path) >= 4 and path[2] == "category" and path[3] in ("unit", "note")


@needs_recordings
@FUZZ
@given(cubes())
def test_jsonstat2_cells_equal_the_generated_cube(case: tuple) -> None:
    body, expected, where = case
    assert _as_tuples(parse_body(body, where)) == expected


@needs_recordings
@FUZZ
@given(cubes().flatmap(lambda case: st.tuples(st.just(case), mutated(case[0]))))
def test_mutated_jsonstat2_gives_sound_cells_or_an_error_naming_the_table(args: tuple) -> None:
    (original, expected, where), (body, touched) = args
    try:
        cells = parse_body(body, where)
    except SourceError as exc:
        _names_source(exc, where)
        return
    _check_cells(cells, body)
    wrapped = "dataset" in original
    if all(_jsonstat_cosmetic(path, wrapped) for path in touched):
        assert _as_tuples(cells) == expected


@FUZZ
@given(JSON_VALUES)
def test_any_json_body_gives_cells_or_an_error_naming_the_table(body: Any) -> None:
    where = "scb: table TAB1 (POST https://example.test/data)"
    try:
        cells = parse_body(body, where)
    except SourceError as exc:
        _names_source(exc, where)
        return
    _check_cells(cells, body)


# =========================================================================== PxWeb v1: json


def _v1_template() -> dict[str, Any] | None:
    body = _recorded("scb", "scb_v1_BefolkningNy_civilstand_2015-2017_format-json.json")
    meta = _recorded("scb", "scb_v2_TAB638_metadata.json")  # the same table (BefolkningNy = TAB638)
    if body is None or meta is None:
        return None
    pools = {
        c["code"]: sorted({row["key"][i] for row in body["data"]})
        for i, c in enumerate(body["columns"])
        if c["type"] != "c"
    }
    texts = {c["code"]: c["text"] for c in body["columns"]}
    for code in ("Region", "Alder", "Kon", "Civilstand", "Tid"):
        dim = meta["dimension"][code]
        pools[code] = sorted(set(pools.get(code, [])) | set(_codes_in_order(dim["category"])))
        texts.setdefault(code, dim["label"])
    contents = _codes_in_order(meta["dimension"]["ContentsCode"]["category"])
    content_texts = meta["dimension"]["ContentsCode"]["category"]["label"]
    rest = {k: v for k, v in body.items() if k not in ("columns", "data")}
    return {
        "pools": pools,
        "texts": texts,
        "contents": contents,
        "content_texts": content_texts,
        "rest": rest,
    }


V1_TEMPLATE = _v1_template()


@st.composite
def v1_number(draw) -> tuple[Any, tuple]:
    """A v1 ``json`` value as the API writes it (text) and its expected (value, marker)."""
    kind = draw(st.sampled_from(["int", "decimal", "marker", "dash", "null"]))
    if kind == "int":
        n = draw(st.integers(-(10**8), 10**8))
        text = str(n)
        if abs(n) >= 1000 and draw(st.integers(0, 4)) == 0:
            text = f"{n:,}".replace(",", draw(st.sampled_from([" ", "\u00a0"])))
        return text, (float(n), None)
    if kind == "decimal":
        units, places = draw(st.integers(-(10**7), 10**7)), draw(st.integers(1, 3))
        text = f"{units / 10**places:.{places}f}"
        return text.replace(".", draw(st.sampled_from([".", ","]))), (float(text), None)
    if kind == "marker":
        marker = draw(st.sampled_from(NO_VALUE_MARKERS))
        return marker, (None, marker)
    if kind == "dash":
        return "-", (0.0, "-")
    return None, (None, None)


@st.composite
def v1_bodies(draw) -> tuple[dict[str, Any], list[tuple], str]:
    template = V1_TEMPLATE
    codes = draw(st.lists(st.sampled_from(sorted(template["pools"])), min_size=1, max_size=4, unique=True))
    chosen = []
    total = 1
    for code in codes:
        pool = template["pools"][code]
        size = draw(st.integers(1, max(1, min(4, len(pool), 32 // total))))
        chosen.append(
            (code, draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size, unique=True)))
        )
        total *= size
    contents = draw(st.lists(st.sampled_from(template["contents"]), min_size=1, max_size=2, unique=True))
    columns = [
        {"code": code, "text": template["texts"][code], "type": "t" if code == "Tid" else "d"}
        for code, _ in chosen
    ] + [{"code": c, "text": template["content_texts"][c], "type": "c"} for c in contents]
    combos = list(itertools.product(*[values for _, values in chosen]))
    combos = draw(st.permutations(combos)) if draw(st.booleans()) else combos
    data, expected = [], []
    for combo in combos:
        written = [draw(v1_number()) for _ in contents]
        data.append({"key": list(combo), "values": [text for text, _ in written]})
        coords = tuple(zip([c for c, _ in chosen], combo, strict=True))
        for content, (_, (value, marker)) in zip(contents, written, strict=True):
            expected.append(((*coords, ("ContentsCode", content)), value, marker))
    body = {"columns": columns, "comments": [], "data": data, **template["rest"]}
    return body, expected, "scb: table BefolkningNy (POST https://api.scb.se/OV0104/v1/doris/sv/ssd/BE)"


needs_v1 = pytest.mark.skipif(V1_TEMPLATE is None, reason=f"v1 recordings not present under {RECORDINGS}")


@needs_v1
@FUZZ
@given(v1_bodies())
def test_v1_json_cells_equal_the_generated_rows(case: tuple) -> None:
    body, expected, where = case
    assert _as_tuples(parse_body(body, where)) == expected


@needs_v1
@FUZZ
@given(v1_bodies().flatmap(lambda case: st.tuples(st.just(case), mutated(case[0]))))
def test_mutated_v1_json_gives_sound_cells_or_an_error_naming_the_table(args: tuple) -> None:
    (_, expected, where), (body, touched) = args
    try:
        cells = parse_body(body, where)
    except SourceError as exc:
        _names_source(exc, where)
        return
    _check_cells(cells, body)
    if all(_v1_cosmetic(path) for path in touched):
        assert _as_tuples(cells) == expected


def _v1_cosmetic(path: tuple) -> bool:
    """Whether a mutation at ``path`` touches only what parse_body does not read in a v1 body."""
    if not path:
        return False
    if path[0] not in ("columns", "data"):
        return path[0] not in JSONSTAT_READ  # 'comments', 'metadata', unknown keys
    return len(path) >= 3 and path[2] not in (("code", "type") if path[0] == "columns" else ("key", "values"))


# =========================================================================== Kolada envelopes

KOLADA_URL = "https://api.kolada.se/v3/data/kpi/N15428,N00945/year/2022,2023?per_page=5000"
RECORD = LandedBody(
    seq=1, kind="data", method="GET", url=KOLADA_URL, request_body=None, status=200,
    fetched_at="2026-12-01T10:00:00+00:00", sha256="ab" * 32, bytes=0, file="0001.json",
)  # fmt: skip


def _kolada_pools() -> dict[str, list[Any]] | None:
    kpis = _recorded("kolada", "rkolada_v3_kpi_catalogue.csv")
    regions = _recorded("kolada", "rkolada_v3_municipality_list.csv")
    groups = _recorded("kolada", "rkolada_v3_municipality_groups_DERIVED.json")
    if kpis is None or regions is None or groups is None:
        return None
    return {"kpis": kpis[::40], "regions": regions, "groups": groups[::25]}


KOLADA = _kolada_pools()
needs_kolada = pytest.mark.skipif(KOLADA is None, reason=f"Kolada recordings not present under {RECORDINGS}")
DELETED = st.sampled_from([None, None, None, False, True])  # None: no isdeleted field


def _with_deleted(item: dict[str, Any], deleted: bool | None) -> dict[str, Any]:
    return item if deleted is None else {**item, "isdeleted": deleted}


@st.composite
def envelope(draw, values: list[Any]) -> dict[str, Any]:
    """Kolada's page envelope (research/sources.md §1.3) around ``values``."""
    body: dict[str, Any] = {"count": len(values), "values": values}
    next_url = draw(st.sampled_from([None, "", f"{KOLADA_URL}&page=2"]))
    if draw(st.booleans()):
        body["next_url"] = next_url
        body["previous_url"] = draw(st.sampled_from([None, f"{KOLADA_URL}&page=1"]))
    return body


@st.composite
def data_bodies(draw, max_objects: int = 6) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    kpi_ids = [k["id"] for k in KOLADA["kpis"]]
    regions = [r["id"] for r in KOLADA["regions"]] + [g["id"] for g in KOLADA["groups"][:20]]
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(kpi_ids), st.sampled_from(regions), st.integers(1998, 2026)),
            max_size=max_objects,
            unique=True,
        )
    )
    objects, expected = [], []
    for kpi, municipality, period in keys:
        genders = draw(st.lists(st.sampled_from(kolada.GENDERS), max_size=3, unique=True))
        object_deleted = draw(DELETED)
        entries = []
        for gender in genders:
            value = draw(st.none() | NUMBERS)
            status = draw(st.sampled_from(["", None, "Missing"] if value is None else ["", None]))
            entry: dict[str, Any] = {"gender": gender, "status": status, "value": value}
            if draw(st.integers(0, 5)):
                entry["count"] = draw(st.integers(1, 290))
            entry_deleted = draw(DELETED)
            entries.append(_with_deleted(entry, entry_deleted))
            if not object_deleted and not entry_deleted:
                expected.append(
                    {
                        "kpi_id": kpi,
                        "municipality_id": municipality,
                        "period": period,
                        "gender": gender,
                        "value": None if value is None else float(value),
                        "status": status or None,
                        "count": entry.get("count"),
                        "request_url": RECORD.url,
                        "fetched_at": RECORD.fetched_at,
                        "body_sha256": RECORD.sha256,
                    }
                )
        obj = {"kpi": kpi, "municipality": municipality, "period": period, "values": entries}
        objects.append(_with_deleted(obj, object_deleted))
    return draw(envelope(objects)), expected


def _check_types(rows: Any, table: str) -> None:
    """Rows fit their raw table: the columns it has, and values DuckDB takes for its types."""
    assert isinstance(rows, list)
    columns = RAW_TABLES[table]
    for row in rows:
        assert set(row) == set(columns), set(row) ^ set(columns)
        for column, kind in columns.items():
            value = row[column]
            if value is None:
                continue
            if kind == "varchar":
                assert isinstance(value, str), (column, value)
            elif kind == "integer":
                assert isinstance(value, int) and not isinstance(value, bool), (column, value)
                assert -(2**31) <= value < 2**31, (column, value)
            elif kind == "double":
                assert isinstance(value, float) and math.isfinite(value), (column, value)
            elif kind == "boolean":
                assert isinstance(value, bool), (column, value)


def _check_value_rows(rows: Any, body: Any) -> None:
    _check_types(rows, "kolada_values")
    numbers = _numbers(body)
    keys = set()
    for row in rows:
        assert row["kpi_id"] and row["municipality_id"], row
        assert (
            row["kpi_id"].strip() == row["kpi_id"]
            and row["municipality_id"].strip() == row["municipality_id"]
        )
        assert isinstance(row["period"], int) and 1000 <= row["period"] <= 9999, row
        assert row["gender"] in kolada.GENDERS
        assert row["value"] is None or row["value"] in numbers, f"{row['value']} is in no entry of the body"
        assert row["count"] is None or row["count"] >= 0
        assert row["request_url"] == RECORD.url
        key = (row["kpi_id"], row["municipality_id"], row["period"], row["gender"])
        assert key not in keys, f"two rows for {key}"
        keys.add(key)


VALUES_READ = {
    "values",
    "kpi",
    "municipality",
    "period",
    "gender",
    "value",
    "status",
    "count",
    "isdeleted",
    "is_deleted",
}
ENVELOPE_UNREAD = {"count", "next_url", "previous_url", "next_page", "previous_page"}


def _kolada_cosmetic(path: tuple, read: set[str]) -> bool:
    if path and path[0] in ENVELOPE_UNREAD:
        return True
    return any(isinstance(p, str) and p not in read for p in path)


def _kolada_error(exc: SourceError) -> None:
    _names_source(exc, "kolada", RECORD.url)


@needs_kolada
@FUZZ
@given(data_bodies())
def test_kolada_values_equal_the_generated_objects(case: tuple) -> None:
    body, expected = case
    assert kolada.parse_values(body, RECORD) == expected


@needs_kolada
@FUZZ
@given(data_bodies().flatmap(lambda case: st.tuples(st.just(case), mutated(case[0]))))
def test_mutated_kolada_values_give_sound_rows_or_an_error_naming_the_request(args: tuple) -> None:
    (_, expected), (body, touched) = args
    try:
        rows = kolada.parse_values(body, RECORD)
    except SourceError as exc:
        _kolada_error(exc)
        return
    _check_value_rows(rows, body)
    if all(_kolada_cosmetic(path, VALUES_READ) for path in touched):
        assert rows == expected


@st.composite
def kpi_bodies(draw) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = draw(st.lists(st.sampled_from(KOLADA["kpis"]), max_size=8, unique_by=lambda r: r["id"]))
    values, expected = [], []
    for row in rows:
        item: dict[str, Any] = {k: v for k, v in row.items() if v != "" or draw(st.booleans())}
        item["is_divided_by_gender"] = row["is_divided_by_gender"] == "True"
        item["has_ou_data"] = row["has_ou_data"] == "True"
        if row["publ_period"].isdigit():
            item["publ_period"] = draw(st.sampled_from([row["publ_period"], int(row["publ_period"])]))
        values.append(item)
        expected.append(
            {
                "kpi_id": row["id"],
                "title": item.get("title"),
                "description": item.get("description"),
                "is_divided_by_gender": item["is_divided_by_gender"],
                "municipality_type": item.get("municipality_type"),
                "operating_area": item.get("operating_area"),
                "publ_period": None if item.get("publ_period") is None else str(item["publ_period"]),
            }
        )
    return draw(envelope(values)), expected


KPI_READ = {
    "values",
    "id",
    "title",
    "description",
    "is_divided_by_gender",
    "municipality_type",
    "operating_area",
    "publ_period",
}


@needs_kolada
@FUZZ
@given(kpi_bodies())
def test_kolada_kpis_equal_the_generated_metadata(case: tuple) -> None:
    body, expected = case
    assert kolada.parse_kpis(body, RECORD.url) == expected


@needs_kolada
@FUZZ
@given(kpi_bodies().flatmap(lambda case: st.tuples(st.just(case), mutated(case[0]))))
def test_mutated_kolada_kpis_give_sound_rows_or_an_error_naming_the_request(args: tuple) -> None:
    (_, expected), (body, touched) = args
    try:
        rows = kolada.parse_kpis(body, RECORD.url)
    except SourceError as exc:
        _kolada_error(exc)
        return
    _check_types(rows, "kolada_kpi")
    assert all(r["kpi_id"] for r in rows)
    if all(_kolada_cosmetic(path, KPI_READ) for path in touched):
        assert rows == expected


@st.composite
def municipality_bodies(draw) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = draw(st.lists(st.sampled_from(KOLADA["regions"]), max_size=10, unique_by=lambda r: r["id"]))
    values, expected = [], []
    for row in rows:
        deleted = draw(DELETED)
        values.append(_with_deleted(dict(row), deleted))
        if not deleted:
            expected.append({"municipality_id": row["id"], "title": row["title"], "type": row["type"]})
    return draw(envelope(values)), expected


@st.composite
def group_bodies(draw) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    groups = draw(st.lists(st.sampled_from(KOLADA["groups"]), max_size=5, unique_by=lambda g: g["id"]))
    values, expected = [], []
    for group in groups:
        members = draw(
            st.lists(st.sampled_from(group["members"]), max_size=6, unique_by=lambda m: m["member_id"])
        )
        old_keys = draw(st.booleans())  # older descriptions: members as {id, title}
        written = [
            {"id": m["member_id"], "title": m["member_title"]} if old_keys else dict(m) for m in members
        ]
        deleted = draw(DELETED)
        values.append(
            _with_deleted({"id": group["id"], "title": group["title"], "members": written}, deleted)
        )
        if not deleted:
            expected.extend(
                {
                    "group_id": group["id"],
                    "group_title": group["title"],
                    "member_id": m["member_id"],
                    "member_title": m["member_title"],
                }
                for m in members
            )
    return draw(envelope(values)), expected


REGION_READ = {"values", "id", "title", "type", "isdeleted", "is_deleted"}
GROUP_READ = {"values", "id", "title", "members", "member_id", "member_title", "isdeleted", "is_deleted"}


@needs_kolada
@FUZZ
@given(municipality_bodies(), group_bodies())
def test_kolada_regions_and_groups_equal_the_generated_lists(regions: tuple, groups: tuple) -> None:
    assert kolada.parse_municipalities(regions[0], RECORD.url) == regions[1]
    assert kolada.parse_municipality_groups(groups[0], RECORD.url) == groups[1]


@needs_kolada
@FUZZ
@given(municipality_bodies().flatmap(lambda case: st.tuples(st.just(case), mutated(case[0]))))
def test_mutated_kolada_regions_give_sound_rows_or_an_error_naming_the_request(args: tuple) -> None:
    (_, expected), (body, touched) = args
    try:
        rows = kolada.parse_municipalities(body, RECORD.url)
    except SourceError as exc:
        _kolada_error(exc)
        return
    _check_types(rows, "kolada_municipality")
    assert all(r["municipality_id"] and r["title"] for r in rows)
    if all(_kolada_cosmetic(path, REGION_READ) for path in touched):
        assert rows == expected


@needs_kolada
@FUZZ
@given(group_bodies().flatmap(lambda case: st.tuples(st.just(case), mutated(case[0]))))
def test_mutated_kolada_groups_give_sound_rows_or_an_error_naming_the_request(args: tuple) -> None:
    (_, expected), (body, touched) = args
    try:
        rows = kolada.parse_municipality_groups(body, RECORD.url)
    except SourceError as exc:
        _kolada_error(exc)
        return
    _check_types(rows, "kolada_municipality_groups")
    assert all(r["group_id"] and r["member_id"] for r in rows)
    if all(_kolada_cosmetic(path, GROUP_READ) for path in touched):
        assert rows == expected


class PagedHttp:
    """Answers GETs from a dict of URL -> body, as the HTTP client would (a 404 is a SourceError)."""

    def __init__(self, pages: dict[str, Any]) -> None:
        self.pages = pages
        self.asked: list[str] = []

    def get_json(self, url: str, kind: str) -> tuple[Any, LandedBody]:
        self.asked.append(url)
        assert len(self.asked) < 50, "the client keeps asking"
        if url not in self.pages:
            raise SourceError(f"kolada: GET {url} answered 404")
        return copy.deepcopy(self.pages[url]), LandedBody(
            len(self.asked), kind, "GET", url, None, 200, RECORD.fetched_at, RECORD.sha256, 0, "x.json"
        )


PAGED_BASE = "https://api.kolada.se/v3/"
PAGED_FIRST = f"{PAGED_BASE}data/kpi/N15428/year/2023?per_page=5000"


@st.composite
def paged(draw) -> tuple[dict[str, Any], list[tuple]]:
    """A chain of data pages linked by next_url (v3; absolute or relative) or next_page (v2's name)."""
    n_pages = draw(st.integers(1, 4))
    pages, expected = {}, []
    url = PAGED_FIRST
    for page in range(1, n_pages + 1):
        body, rows = draw(data_bodies(max_objects=4))
        last = page == n_pages
        for key in ("next_url", "previous_url", "next_page"):
            body.pop(key, None)
        if last:
            ending = draw(st.sampled_from(["missing", "null", "empty"]))
            if ending != "missing":
                body[draw(st.sampled_from(["next_url", "next_page"]))] = None if ending == "null" else ""
            next_url = None
        else:
            next_url = f"{PAGED_FIRST}&page={page + 1}"
            body[draw(st.sampled_from(["next_url", "next_url", "next_page"]))] = draw(
                st.sampled_from([next_url, next_url.removeprefix(PAGED_BASE + "data/kpi/N15428/year/")])
            )
        pages[url] = body
        expected.extend(
            (r["kpi_id"], r["municipality_id"], r["period"], r["gender"], r["value"]) for r in rows
        )
        if not body["values"]:
            break  # the client stops at an empty page
        url = next_url
    return pages, expected


def _values_of(pages: dict[str, Any]) -> list[tuple]:
    client = kolada.KoladaClient(PagedHttp(pages), url=PAGED_BASE)
    rows: list[dict[str, Any]] = []
    for body, record in client.pages("data/kpi/N15428/year/2023", kolada.KIND_DATA):
        rows.extend(kolada.parse_values(body, record))
    return [(r["kpi_id"], r["municipality_id"], r["period"], r["gender"], r["value"]) for r in rows]


@needs_kolada
@FUZZ
@given(paged())
def test_kolada_pages_are_all_followed(case: tuple) -> None:
    pages, expected = case
    assert _values_of(pages) == expected


@needs_kolada
@FUZZ
@given(paged().flatmap(lambda case: st.tuples(st.just(case), mutated(case[0], 2))))
def test_mutated_kolada_pages_give_rows_or_an_error_naming_the_request(args: tuple) -> None:
    _, (pages, _) = args
    if not isinstance(pages, dict) or PAGED_FIRST not in pages:
        return
    try:
        _values_of(pages)
    except SourceError as exc:
        _names_source(exc, "kolada", "GET ")


# =========================================================================== surveys: CSV and XLSX

EXAMPLE_SPEC = yaml.safe_load((EXAMPLE / "exempelenkaten.yml").read_text(encoding="utf-8"))
HEADERS: dict[str, str] = EXAMPLE_SPEC["columns"]
QUESTIONS = {i["question"]: i["id"] for i in EXAMPLE_SPEC["indicators"]}
SEX_CODES: dict[str, str] = EXAMPLE_SPEC["codes"]["sex"]
AGES = {**EXAMPLE_SPEC["codes"]["age"], "": "total", "Åk 5": "ak5"}  # an unmapped school year is read as one
REGION_SPELLINGS = {
    "Karlstad": "1780", "1780": "1780", "Karlstads kommun": "1780", "KIL": "1715", "Kil": "1715",
    "Halmstad": "1380", "Riket": "00", "00": "00", "Sverige": "00", "Region Värmland": "17",
    "Värmlands län": "17", "17": "17", "0017": "17", "Gotland": "0980", "Region Gotland": "09",
    "Hallands län": "13", " 13 ": "13",
}  # fmt: skip
PERIODS = {
    "2024": (2024, 2024), "2023/24": (2023, 2024), "2023-2024": (2023, 2024),
    "2022–23": (2022, 2023), "ht 2023": (2023, 2023), "VT2024": (2024, 2024),
}  # fmt: skip
OPTIONAL_ROLES = ("age", "n_asked", "ci_low", "ci_high")
NUMBER_ROLES = ("value", "n", "n_asked", "ci_low", "ci_high")
REGIONS = RegionIndex.from_kolada(
    [{"municipality_id": r["id"], "title": r["title"], "type": r["type"]} for r in SMALL_REGIONS]
)
CP1252_TEXT = st.text(
    st.characters(codec="cp1252", exclude_categories=["Cc"], exclude_characters="Ã"), max_size=8
)  # Ã: the file would look like UTF-8 read as windows-1252; no control characters (XLSX refuses them)
EXTRA_NAMES = st.sampled_from(["Kommentar", "Källa", "Skolform", "Viktning", "Notering", "Enkätversion"])


@dataclass
class SurveyCase:
    spec: dict[str, Any]
    header: list[str]
    rows: list[list[Any]]  # cells by column, None or '' empty; as written (text, or numbers in XLSX)
    row_numbers: list[int]  # the file row of each of ``rows`` (1 = the header)
    layout: list[int | None]  # the file's rows in order: an index into ``rows``, None for a blank row
    expected: list[dict[str, Any]]
    xlsx: bool
    separator: str = ";"  # the one the file is written with (the spec may leave it out)
    eol: str = "\r\n"
    bom: bool = False
    final_eol: bool = True


def _fixed(units: int, places: int, mark: str) -> str:
    digits = str(units).rjust(places + 1, "0")
    return digits if places == 0 else f"{digits[:-places]}{mark}{digits[-places:]}"


@st.composite
def written_number(draw, units: int | None, places: int, decimal: str, xlsx: bool, count: bool) -> Any:
    """A figure (``units`` / 10**places) as a result file holds it: text with the spec's decimal
    mark (a count perhaps with thousands spaces), in XLSX perhaps a number cell; None: empty."""
    if units is None:
        return draw(st.sampled_from([None, ""] if xlsx else ["", " "]))
    if xlsx and draw(st.booleans()):  # a number cell (the decimal mark is Excel's business)
        return units if places == 0 else units / 10**places
    if count and units >= 1000 and draw(st.booleans()):
        return f"{units:,}".replace(",", draw(st.sampled_from([" ", "\u00a0"])))
    return _fixed(units, places, decimal)


@st.composite
def survey_cases(draw, xlsx: bool = False) -> SurveyCase:
    decimal = draw(st.sampled_from([",", "."]))
    encoding = "utf-8" if xlsx else draw(st.sampled_from(["utf-8", "windows-1252"]))
    separator = draw(st.sampled_from([";", ",", "\t", None]))
    roles = [*surveys.ROLES_REQUIRED, *(r for r in OPTIONAL_ROLES if draw(st.booleans()))]
    extra = draw(st.lists(EXTRA_NAMES, max_size=3, unique=True))
    header = draw(st.permutations([HEADERS[r] for r in roles] + extra))

    def key(k: tuple) -> tuple:
        return (QUESTIONS[k[0]], REGION_SPELLINGS[k[1]], PERIODS[k[2]], SEX_CODES[k[3]], AGES[k[4]])

    age_codes = st.sampled_from(sorted(AGES)) if "age" in roles else st.just("")
    codes = [st.sampled_from(sorted(d)) for d in (QUESTIONS, REGION_SPELLINGS, PERIODS, SEX_CODES)]
    keys = draw(st.lists(st.tuples(*codes, age_codes), min_size=1, max_size=6, unique_by=key))
    rows, expected = [], []
    for question, region, period, sex, age in keys:
        places = draw(st.integers(0, 2))
        value = draw(st.none() | st.integers(0, 100 * 10**places))
        n = draw(st.integers(2, 3000))
        written: dict[str, Any] = {
            "question": question,
            "region": region,
            "period": period,
            "sex": sex,
            "age": age,
        }
        numbers: dict[str, float | None] = {
            "value": None,
            "n": float(n),
            "n_asked": None,
            "ci_low": None,
            "ci_high": None,
        }

        figures = {"value": (value, places), "n": (n, 0)}
        if draw(st.booleans()):
            figures["n_asked"] = (n + draw(st.integers(0, 2000)), 0)
        if value is not None and draw(st.booleans()):
            figures["ci_low"] = (max(0, value - draw(st.integers(0, 10 * 10**places))), places)
        if value is not None and draw(st.booleans()):
            figures["ci_high"] = (value + draw(st.integers(0, 10 * 10**places)), places)
        for role, (units, figure_places) in figures.items():
            if role in roles:
                written[role] = draw(written_number(units, figure_places, decimal, xlsx, role == "n"))
                numbers[role] = None if units is None else float(_fixed(units, figure_places, "."))
        by_header = {HEADERS[r]: written.get(r, "" if not xlsx else None) for r in roles}
        cells = [by_header[h] if h in by_header else draw(CP1252_TEXT) for h in header]
        if xlsx and draw(st.booleans()):
            cells = [int(c) if isinstance(c, str) and re.fullmatch(r"[1-9]\d{0,3}", c) else c for c in cells]
        rows.append(cells)
        start, end = PERIODS[period]
        expected.append(
            {
                "indicator_id": QUESTIONS[question],
                "region_code": REGION_SPELLINGS[region],
                "period_label": period.strip(),
                "period_start": start,
                "period_end": end,
                "sex": SEX_CODES[sex],
                "age_group": AGES[age] if "age" in roles else "total",
                **numbers,
            }
        )
    blanks = draw(st.lists(st.integers(0, len(rows)), max_size=2))
    layout: list[int | None] = []
    for i in range(len(rows) + 1):
        layout.extend([None] * blanks.count(i))
        if i < len(rows):
            layout.append(i)
    row_numbers = [0] * len(rows)
    for file_row, item in enumerate(layout, start=2):
        if item is not None:
            row_numbers[item] = file_row
    for row, file_row in zip(expected, row_numbers, strict=True):
        row["file_row"] = file_row
    spec = copy.deepcopy(EXAMPLE_SPEC)
    spec["file"] = "resultat.xlsx" if xlsx else "resultat.csv"
    spec["encoding"], spec["decimal"] = encoding, decimal
    spec["columns"] = {r: HEADERS[r] for r in roles}
    if separator is None or xlsx:
        spec.pop("separator")
    else:
        spec["separator"] = separator
    if xlsx and draw(st.booleans()):
        spec["sheet"] = "Resultat"
    case = SurveyCase(spec, header, rows, row_numbers, layout, expected, xlsx, separator or ";")
    if separator is None and not xlsx:
        case.separator = draw(st.sampled_from([";", ",", "\t"]))
    case.eol = draw(st.sampled_from(["\r\n", "\n"]))
    case.bom = encoding == "utf-8" and draw(st.booleans())
    case.final_eol = draw(st.booleans())
    return case


def csv_bytes(case: SurveyCase) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=case.separator, lineterminator=case.eol)
    writer.writerow(case.header)
    for item in case.layout:
        writer.writerow(
            [""] * len(case.header) if item is None else ["" if c is None else c for c in case.rows[item]]
        )
    text = buffer.getvalue()
    if not case.final_eol:
        text = text.removesuffix(case.eol)
    encoding = "cp1252" if case.spec["encoding"] == "windows-1252" else "utf-8"
    return (b"\xef\xbb\xbf" if case.bom else b"") + text.encode(encoding)


def xlsx_bytes(case: SurveyCase) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    if case.spec.get("sheet"):
        sheet.title = "Om enkäten"
        sheet.append(["Påhittade exempeldata", None, 3.5])
        sheet = book.create_sheet(case.spec["sheet"])
    sheet.append(case.header)
    for item in case.layout:
        sheet.append([None] * len(case.header) if item is None else case.rows[item])
    buffer = io.BytesIO()
    book.save(buffer)
    # the same bytes for the same case, whenever it is written: hypothesis replays its draws over
    # these bytes (openpyxl stamps the save time and compresses, so the length would vary)
    stamp = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")
    return _rezip(buffer.getvalue(), lambda name, body: stamp.sub(b"2024-01-01T00:00:00Z", body))


# The spec is not what these properties vary, and the pure-Python YAML reader would take most of
# their time: libyaml's safe loader (same results) reads the spec when it is installed.
FAST_YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader), getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture(autouse=True, scope="module")
def _fast_spec_reader() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yaml, "safe_load", lambda text: yaml.load(text, Loader=FAST_YAML[0]))
        yield


def parse_case(case: SurveyCase, data: bytes, spec: dict[str, Any] | None = None) -> surveys.ParsedSurvey:
    spec = spec or case.spec
    with tempfile.TemporaryDirectory(prefix="fuzz-survey-") as tmp:
        folder = Path(tmp)
        text = yaml.dump(spec, Dumper=FAST_YAML[1], allow_unicode=True, sort_keys=False)
        (folder / "resultat.yml").write_text(text, encoding="utf-8")
        (folder / spec["file"]).write_bytes(data)
        return surveys.parse_survey(folder / "resultat.yml", REGIONS)


def _survey_error(exc: SurveyError, case: SurveyCase) -> None:
    _names_source(exc, case.spec["file"])
    assert exc.problems and all(p.file in (case.spec["file"], "resultat.yml") for p in exc.problems)


def _check_survey_rows(parsed: surveys.ParsedSurvey, case: SurveyCase) -> None:
    keys = set()
    ids = set(QUESTIONS.values())
    for row in parsed.rows:
        assert set(row) == set(case.expected[0]) if case.expected else True
        assert row["indicator_id"] in ids and row["region_code"] in REGIONS.codes and row["sex"] in SEXES
        assert isinstance(row["period_start"], int) and row["period_end"] >= row["period_start"]
        for role in NUMBER_ROLES:
            value = row[role]
            assert value is None or (isinstance(value, float) and math.isfinite(value)), (role, value)
        assert row["value"] is None or 0 <= row["value"] <= 100
        assert row["n"] is not None and row["n"] >= 0 and row["n"].is_integer()
        assert row["n_asked"] is None or row["n_asked"] >= row["n"]
        assert isinstance(row["file_row"], int) and row["file_row"] >= 2
        key = tuple(row[k] for k in surveys.CELL_KEY)
        assert key not in keys
        keys.add(key)


def _csv_table(case: SurveyCase, data: bytes) -> list[list[str]]:
    """The mutated file read here, with the csv module, as its spec says."""
    encoding = "utf-8-sig" if case.spec["encoding"] == "utf-8" else "cp1252"
    text = data.decode(encoding)
    separator = case.spec.get("separator") or max((";", ",", "\t"), key=text.split("\n", 1)[0].count)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))


@SURVEY
@given(survey_cases())
def test_survey_csv_rows_equal_the_generated_file(case: SurveyCase) -> None:
    assert parse_case(case, csv_bytes(case)).rows == case.expected


@FEW
@given(survey_cases(xlsx=True))
def test_survey_xlsx_rows_equal_the_generated_sheet(case: SurveyCase) -> None:
    assert parse_case(case, xlsx_bytes(case)).rows == case.expected


@st.composite
def byte_mutations(draw, data: bytes) -> bytes:
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["truncate", "delete", "insert", "overwrite", "replace"]))
        at = draw(st.integers(0, len(data)))
        if op == "truncate":
            data = data[:at]
        elif op == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 12)) :]
        elif op == "insert":
            chunk = draw(
                st.binary(max_size=6)
                | GARBAGE.map(str.encode)
                | st.sampled_from([b";", b",", b"\t", b'"', b"\r\n", b"\n"])
            )
            data = data[:at] + chunk + data[at:]
        elif op == "overwrite" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        else:
            data = draw(st.binary(max_size=64))
    return data


@SURVEY
@given(survey_cases().flatmap(lambda case: st.tuples(st.just(case), byte_mutations(csv_bytes(case)))))
def test_mutated_survey_csv_gives_sound_rows_or_an_error_naming_the_file(args: tuple) -> None:
    case, data = args
    try:
        parsed = parse_case(case, data)
    except SurveyError as exc:
        _survey_error(exc, case)
        return
    _check_survey_rows(parsed, case)
    table = _csv_table(case, data)
    header = [h.strip() for h in table[0]]
    for row in parsed.rows:
        cells = table[row["file_row"] - 1]
        assert len(cells) == len(header), f"row {row['file_row']} does not line up with the header"
        by_name = dict(zip(header, cells, strict=True))
        for role in NUMBER_ROLES:
            if role in case.spec["columns"]:
                text = by_name[case.spec["columns"][role]].strip()
                assert (row[role] is None) == (text == ""), (role, text, row[role])


# What result files hold where a number belongs: suppression marks, units, ranges, Python-only
# and other scripts' number forms, thousands marks.
NUMBERISH = st.sampled_from(
    [
        "<5", "*", "x", "–", "-", "..", "n/a", "12%", "12 st", "ca 12", "≈12", "12-14", "1_000",
        "١٢", "１２", "²", "1e5", "+5", "-0", ".5", "5.", "5,", "1 234", "1\u00a0234", "1.234,5",
        "1,234.5", "12,5,3", "0x10", "nan", "inf", "1e999", "12.0.1", "'12", "12'",
    ]
)  # fmt: skip


@st.composite
def garbage_cells(draw) -> tuple[SurveyCase, int, str, str]:
    case = draw(survey_cases())
    item = draw(st.integers(0, len(case.rows) - 1))
    role = draw(st.sampled_from([r for r in NUMBER_ROLES if r in case.spec["columns"]]))
    text = draw(
        NUMBERISH
        | GARBAGE
        | st.text(st.characters(codec="cp1252", exclude_characters="Ã\x00"), min_size=1, max_size=6)
    )
    if case.spec["encoding"] == "windows-1252":
        assume(_encodable(text, "cp1252"))
    case.rows[item][case.header.index(HEADERS[role])] = text
    return case, item, role, text


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?", re.ASCII)


@SURVEY
@given(garbage_cells())
def test_a_survey_cell_that_is_no_number_never_becomes_one(args: tuple) -> None:
    case, item, role, text = args
    try:
        parsed = parse_case(case, csv_bytes(case))
    except SurveyError as exc:
        _survey_error(exc, case)
        return
    compact = text.strip().replace(" ", "").replace("\u00a0", "")
    assert compact == "" or PLAIN_NUMBER.fullmatch(compact), f"{text!r} in {role} was read as a number"
    row = next(r for r in parsed.rows if r["file_row"] == case.row_numbers[item])
    if compact:
        assert row[role] == float(compact.replace(",", "."))


@st.composite
def misaligned(draw) -> tuple[SurveyCase, int]:
    """One data row with a cell split in two or two cells run together (a separator out of place)."""
    case = draw(survey_cases())
    item = draw(st.integers(0, len(case.rows) - 1))
    cells = [str(c) for c in case.rows[item]]
    at = draw(st.integers(0, len(cells) - 1))
    if len(cells) > 1 and draw(st.booleans()):
        at = min(at, len(cells) - 2)
        cells[at : at + 2] = [cells[at] + cells[at + 1]]
    else:
        cut = draw(st.integers(0, len(cells[at])))
        cells[at : at + 1] = [cells[at][:cut], cells[at][cut:]]
    case.rows[item] = cells
    return case, item


@SURVEY
@given(misaligned())
def test_a_survey_row_that_does_not_line_up_with_the_header_is_rejected(args: tuple) -> None:
    case, item = args
    with pytest.raises(SurveyError) as caught:
        parse_case(case, csv_bytes(case))
    _survey_error(caught.value, case)
    assert any(p.row == case.row_numbers[item] for p in caught.value.problems), caught.value.problems


def _rezip(data: bytes, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            body = change(name, zin.read(name))
            if body is not None:
                zout.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), body)
    return out.getvalue()


@st.composite
def xlsx_mutations(draw, case: SurveyCase) -> bytes:
    data = xlsx_bytes(case)
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        members = book.namelist()
    member = draw(st.sampled_from(members))
    op = draw(st.sampled_from(["bytes", "truncate_member", "drop_member", "garbage_value", "garbage_member"]))
    if op == "bytes":
        return draw(byte_mutations(data))
    if op == "drop_member":
        return _rezip(data, lambda name, body: None if name == member else body)
    if op == "truncate_member":
        cut = draw(st.floats(0, 1))
        return _rezip(data, lambda name, body: body[: int(len(body) * cut)] if name == member else body)
    if op == "garbage_value":
        junk = draw(GARBAGE | st.text(max_size=4)).encode()
        return _rezip(
            data, lambda name, body: re.sub(rb"<v>[^<]*</v>", b"<v>" + junk + b"</v>", body, count=1)
        )
    junk = draw(st.binary(max_size=40))
    return _rezip(data, lambda name, body: junk if name == member else body)


@FEW
@given(survey_cases(xlsx=True).flatmap(lambda case: st.tuples(st.just(case), xlsx_mutations(case))))
def test_mutated_survey_xlsx_gives_sound_rows_or_an_error_naming_the_file(args: tuple) -> None:
    case, data = args
    try:
        parsed = parse_case(case, data)
    except SurveyError as exc:
        _survey_error(exc, case)
        return
    _check_survey_rows(parsed, case)


# =========================================================================== regressions
# One plain test per parser bug the properties above found, on the smallest input that showed it.

WHERE = "scb: table TAB638 (POST https://statistikdatabasen.scb.se/api/v2/tables/TAB638/data)"


def _cube(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "class": "dataset",
        "id": ["Region", "Tid"],
        "size": [2, 1],
        "dimension": {
            "Region": {"category": {"index": {"0180": 0, "1480": 1}}},
            "Tid": {"category": {"index": ["2024"]}},
        },
        "value": [984748, 600151],
    }
    body.update(changes)
    return body


def test_a_placeholder_beside_a_no_value_marker_is_no_value_and_dash_is_only_zero() -> None:
    # found: value {"0": 0} with status {"0": ".."} gave the cell 0.0 flagged '..'
    cells = parse_body(_cube(value={"0": 0, "1": 0}, status={"0": "..", "1": "-"}), WHERE)
    assert [(c.value, c.marker) for c in cells] == [(None, ".."), (0.0, "-")]
    with pytest.raises(SourceError, match="beside the marker '-'"):
        parse_body(_cube(value=[5, 1], status={"0": "-"}), WHERE)


@pytest.mark.parametrize("raw", [math.nan, math.inf, 10**400, "nan", "inf", "1_000", "١٢", "1e999", "0x10"])
def test_a_cell_value_that_is_no_finite_plain_number_is_an_error(raw: Any) -> None:
    # found: NaN and Infinity (JSON tokens) and 'nan', '1_000', '١٢' (float() takes them) became
    # values; an int too large for a float raised OverflowError
    with pytest.raises(SourceError, match=re.escape(WHERE)):
        parse_body(_cube(value=[raw, 1]), WHERE)


@pytest.mark.parametrize(
    "region",
    [
        {"category": {"index": {"0180": 0, "1480": 0}}},  # two codes at one position
        {"category": {"index": {"0180": 0, "1480": 2}}},  # a gap
        {"category": {"index": {"0180": "0", "1480": "1"}}},  # positions as text
        {"category": {"index": ["0180", "0180"]}},  # one code twice
        {"category": {"label": {"0180": "Stockholm", "1480": "Göteborg"}}},  # no index, two codes
        {"category": ["0180", "1480"]},
        5,
    ],
)
def test_a_category_index_that_does_not_add_up_is_an_error(region: Any) -> None:
    # found: {"0180": 0, "1480": 0} was read as if the positions were 0 and 1
    body = _cube()
    body["dimension"]["Region"] = region
    with pytest.raises(SourceError, match=re.escape(WHERE)):
        parse_body(body, WHERE)


@pytest.mark.parametrize(
    "changes",
    [
        {"id": ["Region", "Region"], "size": [2, 2], "value": [1, 2, 3, 4]},  # cells at one coordinate
        {"status": [".."]},  # a truncated status list dropped the markers after it
        {"status": {"2": ".."}},  # a status of no cell
        {"value": {"0": 1, "01": 5}},  # a value at a key that is no position was lost
        {"status": {"0": 5}},
        {"id": [{"a": 1}, "Tid"]},  # TypeError: unhashable type
        {"id": ["Region", "Alder"]},  # KeyError
        {"size": 5},  # TypeError
        {"size": [True, 1]},
        {"dimension": 5},  # TypeError
        {"value": None},
    ],
)
def test_a_json_stat_body_out_of_shape_is_a_source_error(changes: dict[str, Any]) -> None:
    assert len(parse_body(_cube(), WHERE)) == 2
    with pytest.raises(SourceError, match=re.escape(WHERE)):
        parse_body(_cube(**changes), WHERE)


@pytest.mark.parametrize("dataset", [5, {"dimension": []}, {"dimension": {"id": ["Tid"], "size": [1]}}])
def test_a_json_stat_1_wrapper_out_of_shape_is_a_source_error(dataset: Any) -> None:
    # found: {"dataset": 5} raised TypeError, a dimension list AttributeError, a missing one KeyError
    with pytest.raises(SourceError, match=re.escape(WHERE)):
        parse_body({"dataset": dataset}, WHERE)


V1_BODY = {
    "columns": [
        {"code": "Civilstand", "text": "civilstånd", "type": "d"},
        {"code": "Tid", "text": "år", "type": "t"},
        {"code": "BE0101N1", "text": "Folkmängd", "type": "c"},
    ],
    "data": [{"key": ["OG", "2017"], "values": ["5347489"]}, {"key": ["G", "2017"], "values": ["3358397"]}],
}


@pytest.mark.parametrize(
    "changes",
    [
        {"data": [{"key": ["OG"], "values": ["5347489"]}]},  # ValueError from zip(strict=True)
        {"data": [{"key": ["OG", "2017"], "values": ["5347489", "1"]}]},
        {"data": [{"key": ["OG", "2017"], "values": ["1"]}, {"key": ["OG", "2017"], "values": ["2"]}]},
        {"data": [5]},  # TypeError
        {"data": [{"key": ["OG", 2017], "values": ["1"]}]},
        {"columns": 5},  # TypeError
        {"columns": [{"text": "år"}]},  # KeyError
        {"columns": [*V1_BODY["columns"], {"code": "Tid", "type": "t"}]},
        {"data": {"key": []}},
    ],
)
def test_a_v1_json_body_out_of_shape_is_a_source_error(changes: dict[str, Any]) -> None:
    where = "fohm: table A_Folkhalsodata/X.px (POST https://fohm-app.folkhalsomyndigheten.se/x.px)"
    assert len(parse_body(V1_BODY, where)) == 2
    with pytest.raises(SourceError, match=re.escape(where)):
        parse_body({**V1_BODY, **changes}, where)


def _data_object(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "kpi": "N15428",
        "municipality": "0138",
        "period": 2023,
        "values": [{"count": 1, "gender": "T", "status": "", "value": 74.1}],
    }
    obj.update(changes)
    return obj


def _entry(**changes: Any) -> dict[str, Any]:
    return {"count": 1, "gender": "T", "status": "", "value": 74.1, **changes}


@pytest.mark.parametrize(
    "obj",
    [
        _data_object(municipality=None),  # became the region 'None'
        _data_object(municipality=138),  # became '138', not '0138'
        _data_object(kpi=None),  # a row without KPI
        _data_object(period=math.inf),  # OverflowError
        _data_object(period=2023.7),  # became 2023
        _data_object(period=True),  # became 1
        _data_object(values=[_entry(value=math.nan)]),  # a NaN value
        _data_object(values=[_entry(count="x")]),  # a count DuckDB cannot load
        _data_object(values=[_entry(status=5)]),
        _data_object(values=[_entry(isdeleted="false")]),  # dropped: a non-empty string is true
        _data_object(values={"T": 74.1}),  # AttributeError
        _data_object(values=[5]),  # AttributeError
        _data_object(isdeleted=[]),
        5,  # AttributeError
    ],
)
def test_a_kolada_data_object_out_of_type_is_an_error_naming_the_request(obj: Any) -> None:
    assert kolada.parse_values({"count": 1, "values": [_data_object()]}, RECORD)[0]["value"] == 74.1
    with pytest.raises(SourceError) as caught:
        kolada.parse_values({"count": 1, "values": [obj]}, RECORD)
    _kolada_error(caught.value)


def test_a_kolada_value_given_twice_is_an_error() -> None:
    # found: two T entries for one KPI, region and year gave two rows
    with pytest.raises(SourceError, match="given twice"):
        kolada.parse_values({"values": [_data_object(values=[_entry(), _entry(value=80.0)])]}, RECORD)
    with pytest.raises(SourceError, match="given twice"):
        kolada.parse_values({"values": [_data_object(), _data_object()]}, RECORD)


@pytest.mark.parametrize(
    ("parse", "body"),
    [
        (kolada.parse_kpis, {"values": [{"title": "Behöriga till yrkesprogram"}]}),  # KeyError
        (kolada.parse_kpis, {"values": [5]}),  # TypeError
        (kolada.parse_kpis, {"values": [{"id": "N15428", "is_divided_by_gender": "false"}]}),  # became True
        (kolada.parse_kpis, {"values": [{"id": "N15428", "publ_period": [2025]}]}),
        (kolada.parse_kpis, {"values": [{"id": "N15428", "title": ["x"]}]}),
        (kolada.parse_municipalities, {"values": [{"id": "0180"}]}),  # KeyError
        (kolada.parse_municipalities, {"values": [{"id": None, "title": "Stockholm"}]}),  # became 'None'
        (kolada.parse_municipalities, {"values": 5}),  # TypeError
        (kolada.parse_municipality_groups, {"values": [{"id": "G1", "members": [5]}]}),  # AttributeError
        (kolada.parse_municipality_groups, {"values": [{"id": "G1", "members": [{"member_id": 180}]}]}),
        (kolada.parse_municipality_groups, {"values": ["G1"]}),  # AttributeError
        (kolada.parse_municipality_groups, None),  # TypeError
    ],
)
def test_kolada_metadata_out_of_shape_is_an_error_naming_the_request(parse: Any, body: Any) -> None:
    with pytest.raises(SourceError) as caught:
        parse(body, RECORD.url)
    _kolada_error(caught.value)


def test_kolada_pages_follow_next_page_and_refuse_a_loop_or_a_link_that_is_no_url() -> None:
    page = {"count": 1, "values": [_data_object()]}
    second = f"{PAGED_FIRST}&page=2"
    # found: a page naming its link next_page (v2) ended the paging: page 2 was silently left out
    pages = {PAGED_FIRST: {**page, "next_page": second}, second: {"values": [_data_object(period=2024)]}}
    assert [row[2] for row in _values_of(pages)] == [2023, 2024]
    with pytest.raises(SourceError, match="was read before"):  # found: the client kept asking
        _values_of({PAGED_FIRST: {**page, "next_url": PAGED_FIRST}})
    with pytest.raises(SourceError, match="no URL"):  # found: TypeError in urljoin
        _values_of({PAGED_FIRST: {**page, "next_url": 2}})


def _survey(
    text: str, columns: tuple[str, ...] = ("region", "period", "sex", "question", "value", "n")
) -> Any:
    spec = {
        **copy.deepcopy(EXAMPLE_SPEC),
        "file": "resultat.csv",
        "columns": {r: HEADERS[r] for r in columns},
    }
    case = SurveyCase(spec, [], [], [], [], [], xlsx=False)
    return parse_case(case, text.encode("utf-8"))


SURVEY_HEADER = "Kommun;Läsår;Kön;Fråga;Andel (%);Antal svar\r\n"


def test_a_survey_row_with_a_cell_split_in_two_is_rejected() -> None:
    # found: '78,0' typed as '7;8,0' loaded value 7 and n 8, the n 420 dropped with no word
    assert (
        _survey(SURVEY_HEADER + "Karlstad;2024;Alla;Ser positivt på sin framtid;78,0;420\r\n").rows[0]["n"]
        == 420
    )
    with pytest.raises(SurveyError) as caught:
        _survey(SURVEY_HEADER + "Karlstad;2024;Alla;Ser positivt på sin framtid;7;8,0;420\r\n")
    assert [(p.file, p.row) for p in caught.value.problems] == [("resultat.csv", 2)]
    assert "7 cells, the header 6" in str(caught.value)
    with pytest.raises(SurveyError, match="the header 6"):  # a separator lost
        _survey(SURVEY_HEADER + "Karlstad;2024;Alla;Ser positivt på sin framtid;78,0420\r\n")


def test_a_survey_csv_with_a_quote_left_open_is_a_survey_error() -> None:
    # found: csv.Error 'field larger than field limit (131072)' escaped from the reader
    with pytest.raises(SurveyError, match="not a readable CSV file"):
        _survey(SURVEY_HEADER + 'Karlstad;"2024;Alla;' + "x" * 140_000)


@pytest.mark.parametrize("text", ["1_000", "١٢٠", "１２０", "1e5"])
def test_survey_numbers_are_written_with_ascii_digits(text: str) -> None:
    # found: float() read '1_000' as 1000 and '١٢٠' (Arabic-Indic digits) as 120
    row = f"Karlstad;2024;Alla;Ser positivt på sin framtid;78,0;{text}\r\n"
    if text == "1e5":
        assert _survey(SURVEY_HEADER + row).rows[0]["n"] == 100_000
        return
    with pytest.raises(SurveyError, match="bad number"):
        _survey(SURVEY_HEADER + row)


def _xlsx_case() -> SurveyCase:
    spec = {**copy.deepcopy(EXAMPLE_SPEC), "file": "resultat.xlsx", "decimal": "."}
    spec["columns"] = {r: HEADERS[r] for r in ("region", "period", "sex", "question", "value", "n")}
    spec.pop("separator")
    header = [HEADERS[r] for r in spec["columns"]]
    row = ["Karlstad", 2024, "Alla", "Ser positivt på sin framtid", 78.5, 420]
    expected = [{"n": 420.0}]
    return SurveyCase(spec, header, [row], [2], [0], expected, xlsx=True)


@pytest.mark.parametrize(
    "change",
    [
        lambda name, body: body[: len(body) // 2] if name.endswith("sheet1.xml") else body,  # ParseError
        lambda name, body: re.sub(rb"<v>420</v>", b"<v>abc</v>", body),  # ValueError from int()
        lambda name, body: None if name.endswith("sheet1.xml") else body,  # KeyError
    ],
)
def test_a_damaged_xlsx_sheet_is_a_survey_error(change: Any) -> None:
    # found: a read-only workbook reads its sheet while it is iterated, outside the try
    case = _xlsx_case()
    assert parse_case(case, xlsx_bytes(case)).rows[0]["n"] == 420
    with pytest.raises(SurveyError) as caught:
        parse_case(case, _rezip(xlsx_bytes(case), change))
    _survey_error(caught.value, case)


def test_a_filled_xlsx_cell_right_of_the_header_is_rejected() -> None:
    case = _xlsx_case()
    case.rows = [[*case.rows[0], "420"]]  # a figure in a column without a header
    with pytest.raises(SurveyError, match="right of the header's last column") as caught:
        parse_case(case, xlsx_bytes(case))
    assert [p.row for p in caught.value.problems] == [2]
