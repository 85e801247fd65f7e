"""SCB and Folkhälsodata assets: one landing asset per catalogued table, one load step."""

import time
from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from ingest.catalog import PxTable, load_pxweb_tables
from ingest.http import SourceError
from ingest.landing import LandingError
from ingest.pxweb_rows import indicator_rows, indicators_without_rows, population_rows
from ingest.pxweb_tables import fetch_table, landing_for
from orchestration.resources import PxWebResource, WarehouseResource
from warehouse import state
from warehouse.load import replace_raw_table
from warehouse.source_status import fetched_at as _fetched_at
from warehouse.source_status import load_key, table_status

SOURCE_NAMES = {"scb": "SCB", "fohm": "Folkhälsomyndigheten (Folkhälsodata)"}


def landing_asset(spec: PxTable) -> AssetsDefinition:
    """Fetch one table into its landing folder; skip the data calls when it is unchanged."""

    @asset(
        key=["landing", spec.key],
        group_name=spec.source,
        pool=f"{spec.source}_api",
        kinds={"python"},
        description=(
            f"{SOURCE_NAMES[spec.source]} table {spec.table}: responses landed under"
            f" warehouse/raw/{spec.source}/{spec.key}/. No data call when the table's"
            " `updated` stamp equals the last landed batch's."
        ),
    )
    def _landing(
        context: AssetExecutionContext, pxweb: PxWebResource, warehouse: WarehouseResource
    ) -> MaterializeResult:
        client = pxweb.client(spec.source)
        landing = landing_for(warehouse.raw_dir, spec)
        try:
            outcome = fetch_table(client, spec, landing, force=warehouse.settings.force)
        except (SourceError, LandingError, OSError) as exc:
            failure = landing.record_failure(str(exc))
            if warehouse.settings.strict and spec.verified:
                raise
            kept = landing.latest_or_none()
            context.log.warning(
                f"{spec.table} failed ({exc}); "
                + (f"keeping its last good batch {kept.path.name}" if kept else "it has no good batch yet")
                + " and going on with the other sources (BARNHALSA_STRICT=1 stops here instead)"
            )
            return MaterializeResult(
                metadata={
                    **client.stats.as_metadata(),
                    "table": spec.table,
                    "status": "stale" if kept else "failed",
                    "reason": str(exc),
                    "failing_since": failure["since"],
                    "landing_batch": kept.path.as_posix() if kept else "",
                    "base_url": MetadataValue.url(client.url),
                }
            )
        landing.clear_failure()
        limits = client.limits()
        verb = "Fetched" if outcome.fetched else "Unchanged since the last batch:"
        context.log.info(
            f"{verb} {spec.table} ({outcome.data_calls} data calls, {outcome.cells} cells,"
            f" updated {outcome.updated})"
        )
        return MaterializeResult(
            metadata={
                **client.stats.as_metadata(),
                "table": spec.table,
                "status": "fresh",
                "source_updated": outcome.updated or "",
                "landing_batch": outcome.batch.as_posix(),
                "max_cells_per_call": limits.max_cells,
                "max_calls_per_window": f"{limits.max_calls} / {limits.window_seconds:g} s",
                "base_url": MetadataValue.url(client.url),
            }
        )

    return _landing


TABLES = load_pxweb_tables()
LANDING_ASSETS = [landing_asset(spec) for spec in TABLES]


@multi_asset(
    name="pxweb_raw",
    pool="build_db",  # one writer of build.duckdb at a time, also on a multiprocess executor
    specs=[
        AssetSpec(
            ["pxweb", "pxweb_values"],
            group_name="pxweb",
            kinds={"python", "duckdb"},
            deps=[["landing", t.key] for t in TABLES if t.kind == "indicator"],
            description=(
                "Indicator values of every catalogued PxWeb table, mapped with each table's codes"
                " (sex, pooled periods, measure pivot); loaded into raw.pxweb_values."
            ),
        ),
        AssetSpec(
            ["pxweb", "pxweb_status"],
            group_name="pxweb",
            kinds={"python", "duckdb"},
            deps=[["landing", t.key] for t in TABLES],
            description=(
                "Each catalogued PxWeb table's state after the load: fresh, stale (its fetch failed;"
                " its last good batch is kept) or failed, with the reason (raw.pxweb_status)."
            ),
        ),
        AssetSpec(
            ["scb", "scb_population"],
            group_name="scb",
            kinds={"python", "duckdb"},
            deps=[["landing", t.key] for t in TABLES if t.kind == "population"],
            description="SCB population by region, year, single year of age and sex (raw.scb_population).",
        ),
    ],
)
def pxweb_raw(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    """Parse the newest good landing batch of every PxWeb table into the build database (no
    request). A table that failed, or whose batch does not map, is listed in raw.pxweb_status
    and leaves the other tables' rows as they are."""
    started = time.perf_counter()
    landings = {spec.key: landing_for(warehouse.raw_dir, spec) for spec in TABLES}
    batches = {key: landing.latest_or_none() for key, landing in landings.items()}
    failures = {key: landing.failure() for key, landing in landings.items()}
    loads = state.pxweb_loads({s.key: (s.kind, load_key(batches[s.key], failures[s.key])) for s in TABLES})
    force, strict = warehouse.settings.force, warehouse.settings.strict
    if state.loads_unchanged(warehouse.build_db, loads, force=force) and state.tables_exist(
        warehouse.build_db, "raw", ["pxweb_status"]
    ):
        context.log.info("raw.pxweb_values and raw.scb_population already hold the newest batches")
        for key, table in (
            (["pxweb", "pxweb_values"], "pxweb_values"),
            (["scb", "scb_population"], "scb_population"),
            (["pxweb", "pxweb_status"], "pxweb_status"),
        ):
            yield MaterializeResult(asset_key=key, metadata={"table": f"raw.{table}", "unchanged": True})
        return
    values, population, statuses = [], [], []
    for spec in TABLES:
        batch, rows, error = batches[spec.key], None, None
        while batch is not None:
            try:
                rows = (
                    indicator_rows(spec, batch) if spec.kind == "indicator" else population_rows(spec, batch)
                )
                break
            except SourceError as exc:  # quarantine it; the next older accepted batch, if any
                if strict and spec.verified:
                    raise
                error = f"{exc} (landing batch {batch.path.name} rejected)"
                batch.reject(str(exc))
                context.log.warning(error)
                batch = landings[spec.key].latest_or_none()
        failure = failures[spec.key]
        if rows is not None and error is not None:  # an older batch maps: stale, not failed
            failure, error = failure or {"reason": error, "since": _fetched_at(batches[spec.key])}, None
            batches[spec.key] = batch
        empty = {}
        if rows is not None and spec.kind == "indicator":
            problems = batch.info().get("indicator_problems") or {}
            empty = {
                i: problems.get(i, "no row in the landed batch") for i in indicators_without_rows(spec, rows)
            }
        status = table_status(
            source=spec.source,
            source_ref=spec.table,
            table_key=spec.key,
            verified=spec.verified,
            batch=batch,
            failure=failure,
            rows=rows,
            load_error=error,
            empty_indicators=empty,
            expected_indicators=len(spec.indicators),
        )
        if strict and spec.verified and (status.status != "fresh" or empty):
            raise SourceError(f"BARNHALSA_STRICT=1: {status.line}")
        statuses.append(status)
        (values if spec.kind == "indicator" else population).extend(rows or [])
        if status.status != "fresh" or status.failed_indicators:
            context.log.warning(status.line)
    n_values = replace_raw_table(warehouse.build_db, "pxweb_values", values)
    n_population = replace_raw_table(warehouse.build_db, "scb_population", population)
    replace_raw_table(warehouse.build_db, "pxweb_status", [s.as_row() for s in statuses])
    # what was loaded: a rejected batch is replaced by the one actually read
    loads = state.pxweb_loads({s.key: (s.kind, load_key(batches[s.key], failures[s.key])) for s in TABLES})
    state.record_loads(warehouse.build_db, loads)
    context.log.info(f"Loaded {n_values} indicator rows and {n_population} population rows")
    per_table = {s.table_key: s.rows for s in statuses}
    yield MaterializeResult(
        asset_key=["pxweb", "pxweb_values"],
        metadata={
            "table": "raw.pxweb_values",
            "rows": n_values,
            "rows_with_marker": sum(1 for r in values if r["marker"]),
            "rows_with_ci": sum(1 for r in values if r["ci_low"] is not None),
            **{f"rows_{k}": v for k, v in per_table.items() if k != "scb_population"},
            "tables_fresh": sum(1 for s in statuses if s.status == "fresh"),
            "tables_stale": ", ".join(s.table_key for s in statuses if s.status == "stale") or "none",
            "tables_failed": ", ".join(s.table_key for s in statuses if s.status == "failed") or "none",
            "source_status": MetadataValue.md(status_markdown(statuses)),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
    yield MaterializeResult(
        asset_key=["pxweb", "pxweb_status"],
        metadata={
            "table": "raw.pxweb_status",
            "fresh": sum(1 for s in statuses if s.status == "fresh"),
            "stale": ", ".join(s.table_key for s in statuses if s.status == "stale") or "none",
            "failed": ", ".join(s.table_key for s in statuses if s.status == "failed") or "none",
            "source_status": MetadataValue.md(status_markdown(statuses)),
        },
    )
    yield MaterializeResult(
        asset_key=["scb", "scb_population"],
        metadata={
            "table": "raw.scb_population",
            "rows": n_population,
            "regions": len({r["region_code"] for r in population}),
            "years": ", ".join(sorted({str(r["year"]) for r in population})[-3:]),
        },
    )


def status_markdown(statuses) -> str:
    lines = ["| table | status | rows | reason |", "|---|---|---|---|"]
    for s in statuses:
        reason = (s.reason or s.failed_indicators or "").replace("|", "/")
        lines.append(f"| {s.source_ref} | {s.status} | {s.rows} | {reason} |")
    return "\n".join(lines)
