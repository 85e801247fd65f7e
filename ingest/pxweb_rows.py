"""Landed PxWeb cells as the mart's raw rows, through each catalogued table's mapping: the
indicators a cell belongs to, its sex, age group and period, and population rows."""

from __future__ import annotations

from typing import Any

from ingest.catalog import PxTable
from ingest.http import SourceError
from ingest.landing import CompleteBatch
from ingest.pxweb import Cell, parse_body, time_period


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
