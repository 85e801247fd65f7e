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
from ingest.pxweb import Cell, PxWebClient, TableMeta, parse_body, parse_period


def landing_for(root: Path, spec: PxTable) -> Landing:
    """One landing folder per table: <root>/<source>/<key>/<batch>."""
    return Landing(root / spec.source, spec.key)


def build_selection(spec: PxTable, meta: TableMeta) -> dict[str, list[str]]:
    """The catalogue's selection resolved against the table's metadata ("all" -> every code)."""
    where = f"{spec.source}: table {spec.table}"
    codes = {v.code: v for v in meta.variables}
    selection: dict[str, list[str]] = {}
    for name, wanted in spec.select.items():
        if name not in codes:
            raise SourceError(
                f"{where} has no variable {name!r} (it has {', '.join(codes)}): renamed at the source?"
            )
        available = codes[name].values
        if wanted == "all":
            selection[name] = list(available)
            continue
        missing = [str(c) for c in wanted if str(c) not in available]
        if missing:
            raise SourceError(f"{where}: variable {name!r} has no value(s) {', '.join(missing)}")
        selection[name] = [str(c) for c in wanted]
    for variable in meta.variables:
        if variable.code not in selection and not variable.elimination:
            raise SourceError(
                f"{where}: variable {variable.code!r} cannot be eliminated; select it in the catalogue"
            )
    return selection


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
        info = {"table": spec.table, "updated": meta.updated, "selection": digest}
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


def indicator_rows(spec: PxTable, batch: CompleteBatch) -> list[dict[str, Any]]:
    """Rows of ``raw.pxweb_values``: one per indicator, region, period, sex and age group."""
    rows: dict[tuple, dict[str, Any]] = {}
    role_of = {code: role for role, code in spec.measure_codes.items()}
    for record in batch.records():
        if record.kind != "data":
            continue
        where = _where(spec, record.url)
        for cell in parse_body(batch.read_json(record), where):
            indicator_id = next(
                (
                    i
                    for i, match in spec.indicators.items()
                    if all(cell.coords.get(k) == v for k, v in match.items())
                ),
                None,
            )
            if indicator_id is None:
                continue
            role = "value"
            if spec.measure_variable is not None:
                role = role_of.get(cell.coords.get(spec.measure_variable, ""), "")
                if not role:
                    continue
            label = cell.coords[spec.time]
            start, end = parse_period(label, where)
            age = cell.coords.get(spec.age) if spec.age else None
            key_coords = {k: v for k, v in cell.coords.items() if k != spec.measure_variable}
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
                }
            row[role] = cell.value
            if role == "value":
                row["marker"] = cell.marker
    out = list(rows.values())
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


def population_rows(spec: PxTable, batch: CompleteBatch) -> list[dict[str, Any]]:
    """Rows of ``raw.scb_population``: one per region, year, age and sex."""
    rows = []
    for record in batch.records():
        if record.kind != "data":
            continue
        where = _where(spec, record.url)
        for cell in parse_body(batch.read_json(record), where):
            start, end = parse_period(cell.coords[spec.time], where)
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
