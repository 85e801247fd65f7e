"""Publishing: swap the freshly built mart into warehouse/mart.duckdb."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.resources import WarehouseResource
from warehouse import housekeeping, state
from warehouse.publish import publish_mart

MART_MODELS = [
    "dim_region",
    "dim_indicator",
    "dim_protective_factor",
    "fct_indicator_value",
    "fct_population",
    "v_indicator_comparison",
    "v_indicator_trend",
    "v_county_profile",
    "v_coverage",
]


@asset(
    key="published_mart",
    group_name="publish",
    deps=[AssetKey(["mart", name]) for name in MART_MODELS],
    kinds={"duckdb"},
    description=(
        "warehouse/mart.duckdb: the mart tables and analyst views (v_*, materialised as tables)"
        " copied into a new file and swapped in atomically, plus one Parquet file per table in"
        " warehouse/export/. Readers of the previous file are never blocked; a failed run leaves"
        " it and the previous export as they were."
    ),
)
def published_mart(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    publication = publish_mart(
        warehouse.build_db,
        warehouse.mart_db,
        run_id=context.run_id,
        export_dir=warehouse.export_dir,
        storage_version=warehouse.settings.storage_version,
    )
    state.record_publication(warehouse.build_db)
    for line in housekeeping.apply_retention(warehouse.root, warehouse.settings.keep_batches):
        context.log.info(line)
    context.log.info(
        f"Published {publication.path} ({publication.bytes} bytes) and"
        f" {len(publication.exports)} Parquet files in {warehouse.export_dir}"
    )
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(publication.path)),
            "published_at": publication.published_at,
            "bytes": publication.bytes,
            "export_dir": MetadataValue.path(str(warehouse.export_dir)),
            "export_files": len(publication.exports),
            **{f"rows_{name}": rows for name, rows in publication.tables.items()},
        }
    )
