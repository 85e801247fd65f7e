"""Kolada assets: fetch into the raw landing, then load the landing into DuckDB."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from dagster import (
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from ingest import catalog, kolada
from ingest.http import TransportError
from ingest.landing import CompleteBatch, Landing
from orchestration.resources import KoladaResource, WarehouseResource
from warehouse import state
from warehouse.load import replace_raw_table
from warehouse.source_status import load_key, problems, table_status

RAW_TABLES = {
    "kolada_values": "Kolada values of the catalogue's KPIs: KPI × region × year × gender.",
    "kolada_municipality": "Kolada's region list: 290 municipalities, 21 regions and Riket.",
    "kolada_kpi": "Kolada metadata of the catalogue's KPIs.",
    "kolada_municipality_groups": (
        "Kolada's municipality groups (/municipality_groups), one row per group and member;"
        " SKR's kommungrupper among them."
    ),
    "kolada_status": (
        "Each catalogued KPI's state after the load: fresh, stale (Kolada's fetch failed; the last"
        " good batch is kept) or failed (no value), with the reason."
    ),
}


@asset(
    key=["landing", "kolada"],
    group_name="kolada",
    pool="kolada_api",
    kinds={"python"},
    description=(
        "Kolada v3 responses for the catalogue's KPIs (values, KPI metadata, regions, municipality"
        " groups), landed unchanged under warehouse/raw/kolada/<batch>/ with a manifest of URLs and"
        " fetch times. Nothing is fetched when Kolada reports no value changed since the last batch"
        " (from_date) and its metadata equals the batch's."
    ),
)
def kolada_landing(
    context: AssetExecutionContext, kolada_api: KoladaResource, warehouse: WarehouseResource
) -> MaterializeResult:
    landing = Landing(warehouse.raw_dir, kolada.SOURCE)
    previous = landing.latest_or_none()
    try:
        result = _fetch(context, kolada_api, landing, previous, force=warehouse.settings.force)
    except (TransportError, OSError) as exc:  # no usable answer; a malformed one fails the run
        if previous is None or warehouse.settings.strict:
            raise  # without a good batch there is no region list to build a mart on
        failure = landing.record_failure(str(exc))
        context.log.warning(
            f"Kolada failed ({exc}); keeping the last good batch {previous.path.name} and going on"
            " with the other sources (BARNHALSA_STRICT=1 stops here instead)"
        )
        return MaterializeResult(
            metadata={
                "status": "stale",
                "reason": str(exc),
                "failing_since": failure["since"],
                "landing_batch": previous.path.as_posix(),
            }
        )
    landing.clear_failure()
    return result


def _fetch(
    context: AssetExecutionContext, kolada_api: KoladaResource, landing: Landing, previous, *, force: bool
) -> MaterializeResult:
    """Ask Kolada whether anything changed since ``previous`` (not with ``force``); fetch and land
    a batch if so."""
    kpi_ids = catalog.source_refs(kolada.SOURCE)
    years = kolada_api.year_list()
    if previous is not None and not force:
        checker = kolada_api.client(None)
        unchanged, reason = checker.unchanged_since(previous, kpi_ids, years)
        context.log.info(f"Kolada change check against {previous.path.name}: {reason}")
        if unchanged:
            return MaterializeResult(
                metadata={
                    **checker.http.stats.as_metadata(),
                    "status": "fresh",
                    "unchanged": True,
                    "reason": reason,
                    "landing_batch": previous.path.as_posix(),
                    "base_url": MetadataValue.url(checker.base_url),
                }
            )
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    batch = landing.start_batch()
    client = kolada_api.client(batch)
    context.log.info(
        f"Fetching {len(kpi_ids)} KPIs × {len(years)} years ({years[0]}-{years[-1]}) from {client.base_url}"
    )
    try:
        municipalities = client.municipalities()
        client.municipality_groups()
        client.kpis(kpi_ids)
        values = client.values(kpi_ids, years)
        kolada.check_region_codes(values, municipalities)
    except kolada.SourceError as exc:
        if isinstance(exc, TransportError):
            batch.abort()
            raise
        # Kolada answered, but not as documented (its shape drifted): keep what it said for
        # inspection, rejected, and stop the run as a failing blocking gate would
        path = batch.commit({"kpis": kpi_ids, "years": years, "fetched_at": fetched_at})
        CompleteBatch(path).reject(str(exc))
        raise kolada.SourceError(
            f"{exc} (landing batch {path.name} rejected: the next run starts from the last accepted"
            " batch and fetches again)"
        ) from exc
    except BaseException:
        batch.abort()
        raise
    path = batch.commit({"kpis": kpi_ids, "years": years, "fetched_at": fetched_at})
    context.log.info(f"Landed {client.summary.pages} bodies in {path}")
    objects = len({(v["kpi_id"], v["municipality_id"], v["period"]) for v in values})
    return MaterializeResult(
        metadata={
            **client.http.stats.as_metadata(),
            "status": "fresh",
            "pages": client.summary.pages,
            "data_queries": client.summary.data_queries,
            "minimum_data_requests": kolada.minimum_requests(len(kpi_ids), len(years), objects),
            "kpis_without_metadata": ", ".join(client.summary.kpis_without_metadata) or "none",
            "landing_batch": path.as_posix(),
            "base_url": MetadataValue.url(client.base_url),
        }
    )


@multi_asset(
    name="kolada_raw",
    pool="build_db",  # one writer of build.duckdb at a time, also on a multiprocess executor
    specs=[
        AssetSpec(
            ["kolada", table],
            group_name="kolada",
            kinds={"python", "duckdb"},
            deps=[["landing", "kolada"]],
            description=f"{text} Parsed from the newest landing batch into raw.{table}.",
        )
        for table, text in RAW_TABLES.items()
    ],
)
def kolada_raw(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    """Load the newest complete Kolada landing batch into the build database (no request)."""
    started = time.perf_counter()
    kpi_ids = catalog.source_refs(kolada.SOURCE)
    landing = Landing(warehouse.raw_dir, kolada.SOURCE)
    batch, failure = landing.latest(), landing.failure()
    loads = state.kolada_loads(load_key(batch, failure), RAW_TABLES)
    if state.loads_unchanged(warehouse.build_db, loads, force=warehouse.settings.force):
        context.log.info(f"raw.kolada_* already hold {batch.path}; nothing to load")
        for table in RAW_TABLES:
            yield MaterializeResult(
                asset_key=["kolada", table],
                metadata={"landing_batch": batch.path.as_posix(), "table": f"raw.{table}", "unchanged": True},
            )
        return
    try:
        tables = kolada.parse_batch(batch)
        values = tables["values"]
        periods = sorted({v["period"] for v in values})
        years = batch.info().get("years") or periods
        if warehouse.settings.strict:
            kolada.check_expected_kpis(values, kpi_ids, years, f"landing batch {batch.path}")
        kolada.check_region_codes(values, tables["municipality"])
        if not tables["municipality_groups"]:
            raise kolada.SourceError(
                f"{kolada.SOURCE}: landing batch {batch.path} has no /municipality_groups body"
                " (fetched before groups were landed?); run the fetch again"
            )
    except kolada.SourceError as exc:
        batch.reject(str(exc))
        raise kolada.SourceError(
            f"{exc} (landing batch {batch.path.name} rejected: the next run loads the last accepted"
            " batch and fetches again)"
        ) from exc
    statuses = kpi_statuses(kpi_ids, values, batch, failure, years)
    for status in problems(statuses):
        context.log.warning(status.line)
    build_db = warehouse.build_db
    counts = {
        "kolada_values": replace_raw_table(build_db, "kolada_values", values),
        "kolada_municipality": replace_raw_table(build_db, "kolada_municipality", tables["municipality"]),
        "kolada_kpi": replace_raw_table(build_db, "kolada_kpi", tables["kpi"]),
        "kolada_municipality_groups": replace_raw_table(
            build_db, "kolada_municipality_groups", tables["municipality_groups"]
        ),
    }
    replace_raw_table(build_db, "kolada_status", [s.as_row() for s in statuses])
    state.record_loads(build_db, loads)
    context.log.info(f"Loaded {counts} from {batch.path}")
    common = {"landing_batch": batch.path.as_posix()}
    yield MaterializeResult(
        asset_key=["kolada", "kolada_values"],
        metadata={
            **common,
            "table": "raw.kolada_values",
            "rows": counts["kolada_values"],
            "rows_null_value": sum(1 for v in values if v["value"] is None),
            "kpis": len({v["kpi_id"] for v in values}),
            "regions": len({v["municipality_id"] for v in values}),
            "years": f"{periods[0]}-{periods[-1]}" if periods else "none",
            "kpis_without_rows": ", ".join(s.source_ref for s in statuses if s.status == "failed") or "none",
            "status": statuses[0].status if statuses and failure else "fresh",
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
    yield MaterializeResult(
        asset_key=["kolada", "kolada_status"],
        metadata={
            **common,
            "table": "raw.kolada_status",
            "kpis_failed": ", ".join(s.source_ref for s in statuses if s.status == "failed") or "none",
            "stale": bool(failure),
        },
    )
    for table in ("kolada_municipality", "kolada_kpi", "kolada_municipality_groups"):
        yield MaterializeResult(
            asset_key=["kolada", table],
            metadata={**common, "table": f"raw.{table}", "rows": counts[table]},
        )


def kpi_statuses(kpi_ids, values, batch, failure, years) -> list:
    """One status per catalogued KPI: a KPI with no row in the batch is failed, and every KPI
    of a batch kept after a failed fetch is stale."""
    counts = kolada.count_per_kpi(values)
    span = f"{min(years)}-{max(years)}" if years else "no years"
    return [
        table_status(
            source=kolada.SOURCE,
            source_ref=kpi_id,
            table_key=kolada.SOURCE,
            verified=True,
            batch=batch,
            failure=failure,
            rows=[None] * counts.get(kpi_id, 0),
            load_error=None
            if counts.get(kpi_id)
            else f"Kolada gave no value for {span} (unknown or retired KPI?)",
        )
        for kpi_id in kpi_ids
    ]
