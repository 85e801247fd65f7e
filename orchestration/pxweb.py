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
from ingest.pxweb_tables import fetch_table, indicator_rows, landing_for, population_rows
from orchestration.resources import PxWebResource, WarehouseResource
from warehouse import state
from warehouse.load import replace_raw_table

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
        outcome = fetch_table(client, spec, landing_for(warehouse.raw_dir, spec), force=state.forced())
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
            ["scb", "scb_population"],
            group_name="scb",
            kinds={"python", "duckdb"},
            deps=[["landing", t.key] for t in TABLES if t.kind == "population"],
            description="SCB population by region, year, single year of age and sex (raw.scb_population).",
        ),
    ],
)
def pxweb_raw(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    """Parse the newest landing batch of every PxWeb table into the build database (no request)."""
    started = time.perf_counter()
    batches = {spec.key: landing_for(warehouse.raw_dir, spec).latest() for spec in TABLES}
    loads = state.pxweb_loads({s.key: (s.kind, batches[s.key].path.name) for s in TABLES})
    if state.loads_unchanged(warehouse.build_db, loads):
        context.log.info("raw.pxweb_values and raw.scb_population already hold the newest batches")
        for key, table in (
            (["pxweb", "pxweb_values"], "pxweb_values"),
            (["scb", "scb_population"], "scb_population"),
        ):
            yield MaterializeResult(asset_key=key, metadata={"table": f"raw.{table}", "unchanged": True})
        return
    values, population, per_table = [], [], {}
    for spec in TABLES:
        batch = batches[spec.key]
        rows = indicator_rows(spec, batch) if spec.kind == "indicator" else population_rows(spec, batch)
        (values if spec.kind == "indicator" else population).extend(rows)
        per_table[spec.key] = len(rows)
    n_values = replace_raw_table(warehouse.build_db, "pxweb_values", values)
    n_population = replace_raw_table(warehouse.build_db, "scb_population", population)
    state.record_loads(warehouse.build_db, loads)
    context.log.info(f"Loaded {n_values} indicator rows and {n_population} population rows")
    yield MaterializeResult(
        asset_key=["pxweb", "pxweb_values"],
        metadata={
            "table": "raw.pxweb_values",
            "rows": n_values,
            "rows_with_marker": sum(1 for r in values if r["marker"]),
            "rows_with_ci": sum(1 for r in values if r["ci_low"] is not None),
            **{f"rows_{k}": v for k, v in per_table.items() if k != "scb_population"},
            "seconds": round(time.perf_counter() - started, 2),
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
