"""Catalogued PxWeb tables: check each mapping against the table's metadata and fetch into the
raw landing, skipping unchanged tables (``ingest.pxweb_rows`` maps the landed cells)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ingest.catalog import PxTable
from ingest.http import SourceError
from ingest.landing import CompleteBatch, Landing
from ingest.pxweb import PxWebClient, TableMeta


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
    return _same_as(previous, meta, selection_digest(build_selection(spec, meta)))


def _same_as(previous: CompleteBatch | None, meta: TableMeta, digest: str) -> bool:
    """The one "table unchanged" rule: a known ``updated`` stamp and the selection both equal
    those of the newest landed batch."""
    if previous is None or meta.updated is None:
        return False
    info = previous.info()
    return info.get("updated") == meta.updated and info.get("selection") == digest


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
        if not force and _same_as(previous, meta, digest):
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
