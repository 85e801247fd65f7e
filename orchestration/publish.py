"""Publishing: swap the freshly built mart into warehouse/mart.duckdb."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.resources import WarehouseResource
from warehouse.publish import publish_mart

MART_MODELS = ["dim_region", "dim_indicator", "fct_indicator_value", "fct_population"]


@asset(
    key="published_mart",
    group_name="publish",
    deps=[AssetKey(["mart", name]) for name in MART_MODELS],
    kinds={"duckdb"},
    description=(
        "warehouse/mart.duckdb: the mart tables copied into a new file and swapped in"
        " atomically. Readers of the previous file are never blocked; a failed run leaves it as"
        " it was."
    ),
)
def published_mart(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    publication = publish_mart(warehouse.build_db, warehouse.mart_db, run_id=context.run_id)
    context.log.info(f"Published {publication.path} ({publication.bytes} bytes)")
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(publication.path)),
            "published_at": publication.published_at,
            "bytes": publication.bytes,
            **{f"rows_{name}": rows for name, rows in publication.tables.items()},
        }
    )
