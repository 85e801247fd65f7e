"""``make verify``: does every catalogue mapping still fit its source?

Asks each source (the same base URLs as the pipeline: ``KOLADA_BASE_URL``, ``SCB_BASE_URL``,
``FOHM_BASE_URL``, or the live APIs) for the metadata of every catalogued KPI and PxWeb table,
with no data call, and prints one line for each KPI, table and table indicator: whether it
exists, whether the variables and codes its mapping names are there (``check_mapping``, the
rules the fetch applies), the newest period (a table's last time value; Kolada's
``publ_period``), the levels published (region codes; Kolada's ``municipality_type``) and the
verdict. A summary line closes the output.

Exit status: 0 when every mapping can work; 1 when a KPI is unknown to Kolada or a verified
table (or one of its indicators) cannot be read with its mapping; 2 when a source host cannot be
reached at all. A table marked ``verified: false`` in ``catalog/pxweb_tables.yml`` that fails is
listed as ``unverified`` and does not change the exit status: the pipeline tolerates it (the
table is reported as failed and the others publish).

``--record DIR`` keeps every metadata body as received, one landing batch per source:
``DIR/<source>/<batch>/manifest.jsonl`` (URL, kind, sha256) and ``bodies/NNNNNN.json``, the
form the tests' recordings take.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest import catalog, kolada, preflight, pxweb
from ingest.catalog import PxTable
from ingest.http import HttpSettings, JsonHttpClient, SourceError
from ingest.landing import Batch, Landing
from ingest.pxweb_tables import check_mapping
from ingest.settings import Settings

PROG = "make verify"
SOURCES = ("kolada", "scb", "fohm")
SOURCE_NAMES = {"kolada": "Kolada", "scb": "SCB", "fohm": "Folkhälsodata"}
URL_VARIABLES = {"kolada": "KOLADA_BASE_URL", **pxweb.BASE_URL_VARIABLES}
# Fewer and shorter retries than a run: a check should answer in seconds.
SETTINGS = HttpSettings(connect_timeout=10.0, read_timeout=60.0, retries=2, backoff_factor=0.5)
PREFLIGHT_TIMEOUT = 3.0
# Kolada's municipality_type: which levels a KPI is published for.
KOLADA_LEVELS = {"K": "kommun", "L": "region", "A": "kommun, region"}
# A table path the server does not know: 404 (PxWebApi 2.0), 400 "Parameter error" (PxWeb v1).
NOT_FOUND = re.compile(r"answered HTTP (404|400)\b")


@dataclass
class KpiCheck:
    kpi_id: str
    indicator_ids: list[str]
    problem: str | None = None  # None: ok
    publ_period: str | None = None
    municipality_type: str | None = None
    by_sex: bool | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class TableCheck:
    spec: PxTable
    fetch_error: str | None = None  # the metadata could not be read (the message names the URL)
    problems: list[str] = field(default_factory=list)  # the mapping does not fit the table
    indicator_problems: dict[str, str] = field(default_factory=dict)
    newest: str | None = None
    updated: str | None = None
    levels: str | None = None

    @property
    def ok(self) -> bool:
        return not self.fetch_error and not self.problems and not self.indicator_problems

    @property
    def blocking(self) -> bool:
        """A failure that makes the exit status 1 (an unverified table's is tolerated)."""
        return not self.ok and self.spec.verified


# --------------------------------------------------------------------------- checks


def check_kpis(client: kolada.KoladaClient, indicators: dict[str, list[str]]) -> list[KpiCheck]:
    """Every catalogued KPI (KPI id -> its indicator ids) against Kolada's ``/kpi`` metadata."""
    checks = [KpiCheck(kpi_id, ids) for kpi_id, ids in indicators.items()]
    try:
        rows = {row["kpi_id"]: row for row in client.kpis(list(indicators))}
    except SourceError as exc:
        for check in checks:
            check.problem = str(exc)
        return checks
    for check in checks:
        row = rows.get(check.kpi_id)
        if row is None:
            check.problem = f"Kolada has no metadata for KPI {check.kpi_id} (retired or renamed?)"
            continue
        check.publ_period = row.get("publ_period")
        check.municipality_type = row.get("municipality_type")
        check.by_sex = row.get("is_divided_by_gender")
    return checks


def region_levels(codes: Sequence[str]) -> str:
    """The levels a region variable's codes cover: '00' riket, 2 digits län, 4 digits kommun."""
    riket = "00" in codes
    counties = sum(len(c) == 2 and c.isdigit() and c != "00" for c in codes)
    municipalities = sum(len(c) == 4 and c.isdigit() for c in codes)
    other = len(codes) - riket - counties - municipalities
    parts = ["riket"] if riket else []
    parts += [f"{counties} län"] if counties else []
    parts += [f"{municipalities} kommuner"] if municipalities else []
    parts += [f"{other} other codes"] if other else []
    return ", ".join(parts) if parts else "no regions"


def check_table(client: pxweb.PxWebClient, spec: PxTable) -> TableCheck:
    """One table's metadata (config, metadata and, on v1, the folder listing; no data call)."""
    check = TableCheck(spec)
    try:
        meta, _, _ = client.metadata(spec.table)
    except SourceError as exc:
        message = str(exc)
        check.fetch_error = f"table not found: {message}" if NOT_FOUND.search(message) else message
        return check
    mapping = check_mapping(spec, meta)
    check.problems.extend(mapping.table_problems)
    check.indicator_problems = dict(mapping.indicator_problems)
    check.updated = meta.updated
    variables = {v.code: v for v in meta.variables}
    if spec.time in variables and variables[spec.time].values:
        check.newest = variables[spec.time].values[-1]
    if spec.region in variables:
        check.levels = region_levels(variables[spec.region].values)
    return check


# --------------------------------------------------------------------------- output


def _kpi_lines(check: KpiCheck) -> list[tuple[str, str, str]]:
    name = f"{check.kpi_id} {', '.join(check.indicator_ids)}"
    if not check.ok:
        return [("kolada", name, f"FAILS: {check.problem}")]
    levels = KOLADA_LEVELS.get(check.municipality_type or "", "unknown")
    details = [
        f"publ_period {check.publ_period or '-'}",
        f"levels {check.municipality_type or '-'} ({levels})",
        "by sex" if check.by_sex else "total only",
    ]
    return [("kolada", name, "ok; " + ", ".join(details))]


def _failed(check: TableCheck, text: str) -> str:
    return f"unverified: {text}" if not check.spec.verified else f"FAILS: {text}"


def _table_lines(check: TableCheck) -> list[tuple[str, str, str]]:
    spec = check.spec
    details = f"newest {check.newest or '-'}, updated {check.updated or '-'}, levels {check.levels or '-'}"
    table = f"; table {spec.table}"
    if check.fetch_error:
        verdict, table = _failed(check, check.fetch_error), ""
    elif check.problems:
        verdict = _failed(check, "; ".join(check.problems))
    elif check.indicator_problems:
        verdict = _failed(check, f"indicator(s) {', '.join(check.indicator_problems)}; {details}")
    else:
        verdict = f"ok; {details}"
    lines = [(spec.source, spec.key, verdict + table)]
    for indicator_id in spec.indicators:
        if check.fetch_error or check.problems:
            text = _failed(check, "its table fails")
        elif indicator_id in check.indicator_problems:
            text = _failed(check, check.indicator_problems[indicator_id])
        else:
            text = f"ok; newest {check.newest or '-'}"
        lines.append((spec.source, f"  {indicator_id}", text))
    return lines


def summary(kpis: Sequence[KpiCheck], tables: Sequence[TableCheck]) -> str:
    ok = sum(t.ok for t in tables)
    failing = sum(t.blocking for t in tables)
    unverified = sum(not t.ok and not t.spec.verified for t in tables)
    kpis_ok = sum(k.ok for k in kpis)
    return (
        f"{ok} tables ok, {failing} failing, {unverified} unverified failing (tolerated);"
        f" {kpis_ok} KPIs ok, {len(kpis) - kpis_ok} missing"
    )


# --------------------------------------------------------------------------- main


def _unreachable(urls: dict[str, str], given: frozenset[str]) -> str | None:
    """Which hosts cannot be reached; ``given``: the sources whose URL the environment set."""
    settings = {
        (URL_VARIABLES[s] if s in given else f"{URL_VARIABLES[s]} not set, the default"): url
        for s, url in urls.items()
    }
    unreachable = preflight.unreachable_hosts(settings, PREFLIGHT_TIMEOUT)
    if not unreachable:
        return None
    hosts = len({u.address for u in unreachable})
    return "\n".join(
        [
            f"{PROG}: {hosts} source host{'s' if hosts != 1 else ''} cannot be reached; nothing was checked.",
            *(f"  {u.address or u.url}: {u.reason} ({u.setting}: {u.url})" for u in unreachable),
            "Run it on a machine with network (it asks the live APIs unless the variables point elsewhere).",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingest.verify",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--record", type=Path, metavar="DIR", help="keep every metadata body under DIR/<source>/<batch>/"
    )
    args = parser.parse_args(argv)
    settings = Settings.from_environment()  # the same base URLs as the pipeline
    urls = {s: settings.base_urls[s] for s in SOURCES}
    problem = _unreachable(urls, settings.base_urls_given)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    print(f"{PROG}: " + ", ".join(f"{SOURCE_NAMES[s]} {u}" for s, u in urls.items()), flush=True)

    batches: dict[str, Batch] = {}
    if args.record is not None:
        batches = {s: Landing(args.record, s).start_batch() for s in SOURCES}

    def http(source: str) -> JsonHttpClient:
        return JsonHttpClient(source, batches.get(source), SETTINGS)

    indicators: dict[str, list[str]] = {}
    for indicator in catalog.load_catalog():
        if indicator.source == kolada.SOURCE:
            indicators.setdefault(indicator.source_ref, []).append(indicator.indicator_id)
    specs = catalog.load_pxweb_tables()
    try:
        kpis = check_kpis(kolada.KoladaClient(http("kolada"), urls["kolada"]), indicators)
        clients = {
            s: pxweb.PxWebClient(s, http(s), urls[s], pxweb.DIALECTS[s])
            for s in dict.fromkeys(spec.source for spec in specs)
        }
        tables = [check_table(clients[spec.source], spec) for spec in specs]
    finally:
        recorded = [batch.commit({"verify": True, "base_url": urls[s]}) for s, batch in batches.items()]

    lines = [line for k in kpis for line in _kpi_lines(k)]
    lines += [line for t in tables for line in _table_lines(t)]
    width = max(len(name) for _, name, _ in lines)
    for source, name, verdict in lines:
        print(f"{source:<6}  {name:<{width}}  {verdict}")
    blocking = sum(not k.ok for k in kpis) + sum(t.blocking for t in tables)
    print(summary(kpis, tables))
    for path in recorded:
        print(f"metadata bodies recorded in {path}")
    if blocking:
        print(f"{PROG}: {blocking} mapping(s) cannot work", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
