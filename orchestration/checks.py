"""Blocking checks on the built mart, run before anything is published (GE suites: quality.py)."""

import duckdb
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, asset_check

from orchestration.quality import QUALITY_CHECKS
from orchestration.resources import WarehouseResource

UNKNOWN_REGIONS = """
select source, source_ref, region_code, count(*) as n_rows
from mart.{table}
where region_code not in (select region_code from mart.dim_region)
group by all
order by all
"""


def _unknown_regions(warehouse: WarehouseResource, table: str, source_expr: str) -> AssetCheckResult:
    sql = UNKNOWN_REGIONS.format(table=table)
    if source_expr != "source":
        sql = sql.replace("select source, source_ref", f"select {source_expr}")
    with duckdb.connect(str(warehouse.build_db), read_only=True) as con:
        rows = con.execute(sql).fetchall()
    if not rows:
        return AssetCheckResult(passed=True, metadata={"unknown_region_codes": 0})
    lines = [f"{source}: table {ref} has region code {code!r} ({n} rows)" for source, ref, code, n in rows]
    return AssetCheckResult(
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        description="Region codes not in dim_region: " + "; ".join(lines[:20]),
        metadata={"unknown_region_codes": len(rows), "sample": "\n".join(lines[:20])},
    )


@asset_check(
    asset=AssetKey(["mart", "fct_indicator_value"]),
    blocking=True,
    description="Every value's region code is in dim_region; an unknown one names source, table and code.",
)
def region_codes_known(warehouse: WarehouseResource) -> AssetCheckResult:
    return _unknown_regions(warehouse, "fct_indicator_value", "source")


@asset_check(
    asset=AssetKey(["mart", "fct_population"]),
    blocking=True,
    description="Every population row's region code is in dim_region.",
)
def population_region_codes_known(warehouse: WarehouseResource) -> AssetCheckResult:
    return _unknown_regions(warehouse, "fct_population", "'scb' as source, 'TAB638' as source_ref")


CHECKS = [region_codes_known, population_region_codes_known, *QUALITY_CHECKS]
