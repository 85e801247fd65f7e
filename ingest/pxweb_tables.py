"""Catalogued PxWeb tables: fetch into the raw landing (skipping unchanged tables) and map
landed cells onto the mart's codes with each table's own mapping."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.catalog import PxTable
from ingest.http import SourceError
from ingest.landing import CompleteBatch, Landing
from ingest.pxweb import Cell, PxWebClient, TableMeta, parse_body, time_period


def landing_for(root: Path, spec: PxTable) -> Landing:
    """One landing folder per table: <root>/<source>/<key>/<batch>."""
    return Landing(root / spec.source, spec.key)


@dataclass
class MappingCheck:
    """How a catalogue mapping fits a table's metadata: problems that stop the whole table and
    problems of single indicators (the table's other indicators still load)."""

    table_problems: list[str]
    indicator_problems: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.table_problems and not self.indicator_problems


def check_mapping(spec: PxTable, meta: TableMeta) -> MappingCheck:
    """Every variable and value code the mapping names, looked up in the table's metadata."""
    values = {v.code: set(v.values) for v in meta.variables}
    names = ", ".join(f"{v.code!r}" for v in meta.variables)
    table: list[str] = []

    def missing(variable: str, codes: list[str] | tuple[str, ...]) -> str | None:
        if variable not in values:
            return f"no variable {variable!r} (it has {names})"
        absent = [c for c in codes if c not in values[variable]]
        return (
            f"variable {variable!r} has no value code(s) {', '.join(map(repr, absent))}" if absent else None
        )

    for name, wanted in spec.select.items():
        problem = missing(name, [] if wanted == "all" else [str(c) for c in wanted])
        if problem:
            table.append(problem)
    for role, name in (("region", spec.region), ("time", spec.time), ("age", spec.age)):
        if name is not None and name not in spec.select:
            table.append(f"the {role} variable {name!r} is not selected")
    if spec.sex_variable:
        problem = missing(spec.sex_variable, list(spec.sex_codes))
        if problem:
            table.append(problem)
        elif spec.sex_variable in values and (extra := values[spec.sex_variable] - set(spec.sex_codes)):
            if spec.select.get(spec.sex_variable) == "all":
                table.append(
                    f"sex variable {spec.sex_variable!r} has unmapped code(s) {', '.join(sorted(extra))}"
                )
    if spec.measure_variable:
        problem = missing(spec.measure_variable, list(spec.measure_codes.values()))
        if problem:
            table.append(problem)
    for variable in meta.variables:
        if variable.code not in spec.select and not variable.elimination:
            table.append(f"variable {variable.code!r} cannot be eliminated; select it in the catalogue")
    indicators: dict[str, str] = {}
    for indicator_id, match in spec.indicators.items():
        problems = []
        for variable, codes in match.items():
            problem = missing(variable, codes)
            wanted = spec.select.get(variable)
            if problem is None and wanted not in (None, "all"):
                unselected = [c for c in codes if c not in {str(w) for w in wanted}]
                if unselected:
                    problem = f"code(s) {', '.join(unselected)} of {variable!r} are not selected"
            if problem:
                problems.append(problem)
        if problems:
            indicators[indicator_id] = "; ".join(problems)
    return MappingCheck(table, indicators)


def build_selection(spec: PxTable, meta: TableMeta) -> dict[str, list[str]]:
    """The catalogue's selection resolved against the table's metadata ("all" -> every code).

    Raises ``SourceError`` naming every way the table's mapping does not fit the table.
    """
    problems = check_mapping(spec, meta).table_problems
    if problems:
        raise SourceError(
            f"{spec.source}: table {spec.table}: {'; '.join(problems)} (renamed at the source?)"
        )
    codes = {v.code: v for v in meta.variables}
    return {
        name: list(codes[name].values) if wanted == "all" else [str(c) for c in wanted]
        for name, wanted in spec.select.items()
    }


def selection_digest(selection: dict[str, list[str]]) -> str:
    return hashlib.sha256(json.dumps(selection, sort_keys=True).encode()).hexdigest()[:16]


def table_unchanged(client: PxWebClient, spec: PxTable, landing: Landing) -> bool:
    """Whether the table's ``updated`` stamp and selection equal its newest landed batch's
    (one metadata request, nothing landed): the test fetch_table applies before any data call."""
    previous = landing.latest_or_none()
    if previous is None:
        return False
    meta, _, _ = client.metadata(spec.table)
    digest = selection_digest(build_selection(spec, meta))
    info = previous.info()
    same_stamp = meta.updated is not None and info.get("updated") == meta.updated
    return same_stamp and info.get("selection") == digest


@dataclass
class TableFetch:
    spec: PxTable
    batch: Path
    updated: str | None
    fetched: bool
    data_calls: int
    cells: int


def fetch_table(client: PxWebClient, spec: PxTable, landing: Landing, *, force: bool = False) -> TableFetch:
    """Fetch a table unless its ``updated`` stamp and selection equal the last landed batch's.

    ``force`` fetches the data anyway and lands a new batch.
    """
    previous = landing.latest_or_none()
    batch = landing.start_batch()
    client.http.batch = batch
    try:
        meta, _, _ = client.metadata(spec.table)
        selection = build_selection(spec, meta)
        digest = selection_digest(selection)
        info = {
            "table": spec.table,
            "updated": meta.updated,
            "selection": digest,
            "indicator_problems": check_mapping(spec, meta).indicator_problems,
        }
        if (
            not force
            and previous is not None
            and meta.updated is not None
            and previous.info().get("updated") == meta.updated
            and previous.info().get("selection") == digest
        ):
            batch.abort()
            client.stats.skipped_unchanged = True
            return TableFetch(spec, previous.path, meta.updated, False, 0, 0)
        calls_before, cells_before = client.stats.data_calls, client.stats.cells
        for _ in client.data(spec.table, selection):
            pass
        path = batch.commit(info)
    except BaseException:
        batch.abort()
        raise
    finally:
        client.http.batch = None
    return TableFetch(
        spec,
        path,
        meta.updated,
        True,
        client.stats.data_calls - calls_before,
        client.stats.cells - cells_before,
    )


# --------------------------------------------------------------------------- mapping


def _where(spec: PxTable, url: str) -> str:
    return f"{spec.source}: table {spec.table} (POST {url})"


def _sex(spec: PxTable, cell: Cell, where: str) -> str:
    if spec.sex_variable is None:
        return "total"
    code = cell.coords.get(spec.sex_variable)
    if code not in spec.sex_codes:
        raise SourceError(f"{where}: sex code {code!r} is not mapped for this table")
    return spec.sex_codes[code]


def _matches(spec: PxTable, cell: Cell) -> list[str]:
    """The indicators a cell belongs to (several when one sums codes another has alone)."""
    return [
        indicator_id
        for indicator_id, match in spec.indicators.items()
        if all(cell.coords.get(variable) in codes for variable, codes in match.items())
    ]


def _add_cell(
    spec: PxTable,
    rows: dict[tuple, dict[str, Any]],
    role_of: dict[str, str],
    indicator_id: str,
    cell: Cell,
    record: Any,
    where: str,
) -> None:
    """Put one cell into its indicator's row: the value (summed over the indicator's codes) or,
    on a table with a measure variable, the CI or n."""
    role = "value"
    if spec.measure_variable is not None:
        role = role_of.get(cell.coords.get(spec.measure_variable, ""), "")
        if not role:
            return
    label = cell.coords[spec.time]
    start, end = time_period(label, where)
    age = cell.coords.get(spec.age) if spec.age else None
    summed = set(spec.indicators[indicator_id])
    key_coords = {k: v for k, v in cell.coords.items() if k != spec.measure_variable and k not in summed}
    key = (indicator_id, tuple(sorted(key_coords.items())))
    row = rows.get(key)
    if row is None:
        row = rows[key] = {
            "indicator_id": indicator_id,
            "table_key": spec.key,
            "source": spec.source,
            "source_ref": spec.table,
            "region_code": cell.coords[spec.region],
            "period_label": label,
            "period_start": start,
            "period_end": end,
            "sex": _sex(spec, cell, where),
            "age_group": age or "total",
            "value": None,
            "ci_low": None,
            "ci_high": None,
            "n": None,
            "marker": None,
            "request_url": record.url,
            "fetched_at": record.fetched_at,
            "body_sha256": record.sha256,
            "_parts": 0,
        }
    if role != "value":
        row[role] = cell.value
        return
    row["_parts"] += 1
    if row["_parts"] == 1:
        row["value"], row["marker"] = cell.value, cell.marker
    elif row["value"] is None or cell.value is None:  # a missing part: the sum is missing
        markers = [m for m in (row["marker"], cell.marker) if m and m != "-"]
        row["value"], row["marker"] = None, markers[0] if markers else None
    else:
        both_zero = row["marker"] == "-" and cell.marker == "-"
        row["value"], row["marker"] = round(row["value"] + cell.value, 6), "-" if both_zero else None


def indicator_rows(spec: PxTable, batch: CompleteBatch) -> list[dict[str, Any]]:
    """Rows of ``raw.pxweb_values``: one per indicator, region, period, sex and age group.

    An indicator matching several codes of one variable (mutually exclusive answers) gets
    their sum; a marker on any part makes the sum a marker too (nothing is added up from a
    missing cell).
    """
    rows: dict[tuple, dict[str, Any]] = {}
    role_of = {code: role for role, code in spec.measure_codes.items()}
    for record in batch.records():
        if record.kind != "data":
            continue
        where = _where(spec, record.url)
        for cell in parse_body(batch.read_json(record), where):
            for indicator_id in _matches(spec, cell):
                _add_cell(spec, rows, role_of, indicator_id, cell, record, where)
    out = list(rows.values())
    for row in out:
        row.pop("_parts")
    keys = {
        (
            r["indicator_id"],
            r["region_code"],
            r["period_start"],
            r["period_end"],
            r["sex"],
            r["age_group"],
        )
        for r in out
    }
    if len(keys) != len(out):
        raise SourceError(
            f"{spec.source}: table {spec.table}: the catalogue's mapping gives several values per"
            " indicator, region, period, sex and age; narrow its 'indicators' codes"
        )
    return out


def indicators_without_rows(spec: PxTable, rows: list[dict[str, Any]]) -> list[str]:
    """The table's catalogued indicators that the landed batch gave no row at all."""
    present = {r["indicator_id"] for r in rows}
    return [i for i in spec.indicators if i not in present]


def population_rows(spec: PxTable, batch: CompleteBatch) -> list[dict[str, Any]]:
    """Rows of ``raw.scb_population``: one per region, year, age and sex."""
    rows = []
    for record in batch.records():
        if record.kind != "data":
            continue
        where = _where(spec, record.url)
        for cell in parse_body(batch.read_json(record), where):
            start, end = time_period(cell.coords[spec.time], where)
            age_code = cell.coords[spec.age] if spec.age else ""
            if not age_code.isdigit():
                raise SourceError(f"{where}: age {age_code!r} is not a single year of age")
            rows.append(
                {
                    "region_code": cell.coords[spec.region],
                    "year": end,
                    "age": int(age_code),
                    "sex": _sex(spec, cell, where),
                    "population": None if cell.value is None else int(cell.value),
                    "marker": cell.marker,
                    "source_ref": spec.table,
                    "request_url": record.url,
                    "fetched_at": record.fetched_at,
                    "body_sha256": record.sha256,
                }
            )
    return rows
