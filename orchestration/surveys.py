"""Regional survey assets: the drop folder into the raw landing, the landing into DuckDB, and a
sensor that runs them when a file appears or changes."""

import hashlib
import time
from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    AssetSpec,
    DefaultSensorStatus,
    Failure,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset,
    asset_check,
    define_asset_job,
    multi_asset,
    sensor,
)

from ingest import catalog, surveys
from ingest.landing import Landing
from orchestration.resources import WarehouseResource
from warehouse import state
from warehouse.load import read_raw_table, replace_raw_table
from warehouse.privacy import survey_privacy

SOURCE = "survey"
REGIONS = ["kolada", "kolada_municipality"]


def _regions(warehouse: WarehouseResource) -> surveys.RegionIndex:
    rows = read_raw_table(warehouse.build_db, "kolada_municipality")
    if not rows:
        raise Failure(
            f"survey: no region list in {warehouse.build_db} (raw.kolada_municipality) to check region"
            " names and codes against; run refresh_mart (or rebuild_mart) once first"
        )
    return surveys.RegionIndex.from_kolada(rows)


def _catalogue_ids() -> set[str]:
    return {i.indicator_id for i in catalog.load_catalog()}


def _reject(warehouse: WarehouseResource, error: surveys.SurveyError) -> Failure:
    """Write one report per rejected spec or file beside it; a Failure the UI shows whole."""
    reports = []
    by_spec: dict[str, list[surveys.Problem]] = {}
    for problem in error.problems:
        by_spec.setdefault(problem.file, []).append(problem)
    for name, problems in by_spec.items():
        report = warehouse.surveys_dir / f"{name}.errors.csv"
        surveys.write_report(problems, report)
        reports.append(report.name)
    rows = {(p.file, p.row) for p in error.problems if p.row is not None}
    return Failure(
        description=str(error),
        metadata={
            "problems": len(error.problems),
            "rows_rejected": len(rows),
            "reports": ", ".join(reports),
            "first_problems": MetadataValue.md(
                "\n".join(f"- `{p}`" for p in error.problems[:20]) or "(none)"
            ),
        },
    )


@asset(
    key=["landing", SOURCE],
    group_name=SOURCE,
    deps=[REGIONS],
    kinds={"python"},
    description=(
        "Regional youth-survey result files and their specs from the drop folder"
        " (warehouse/surveys/), every row checked, then copied unchanged into"
        " warehouse/raw/survey/<batch>/. A file with any problem lands nothing and gets a"
        " <spec>.errors.csv report beside it."
    ),
)
def survey_landing(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    drop = warehouse.surveys_dir
    specs = surveys.find_specs(drop)
    context.log.info(f"{len(specs)} survey spec(s) in {drop}")
    for stale in drop.glob("*.errors.csv") if drop.is_dir() else []:
        stale.unlink()
    try:
        parsed = surveys.parse_drop_folder(specs, _regions(warehouse), _catalogue_ids())
    except surveys.SurveyError as exc:
        raise _reject(warehouse, exc) from exc
    path = surveys.land(parsed, Landing(warehouse.raw_dir, SOURCE))
    context.log.info(f"Landed in {path}" if path else "No survey file changed since the last batch")
    return MaterializeResult(
        metadata={
            "surveys": ", ".join(p.spec.name for p in parsed) or "none",
            "rows_checked": sum(len(p.rows) for p in parsed),
            "rows_rejected": 0,
            "landing_batch": path.as_posix() if path else "unchanged",
            "drop_folder": MetadataValue.path(str(drop)),
        }
    )


@multi_asset(
    name="survey_raw",
    pool="build_db",
    specs=[
        AssetSpec(
            [SOURCE, "survey_values"],
            group_name=SOURCE,
            kinds={"python", "duckdb"},
            deps=[["landing", SOURCE], REGIONS],
            description="Survey results from the newest landing batch, with thresholds and lineage.",
        ),
        AssetSpec(
            [SOURCE, "survey_indicators"],
            group_name=SOURCE,
            kinds={"python", "duckdb"},
            deps=[["landing", SOURCE]],
            description="The indicators the survey specs declare (dim_indicator takes them in).",
        ),
    ],
)
def survey_raw(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    """Parse the newest survey landing batch into raw.survey_values and raw.survey_indicators."""
    started = time.perf_counter()
    batch = Landing(warehouse.raw_dir, SOURCE).latest_or_none()
    loads = state.survey_loads(batch.path.name if batch else None)
    if state.loads_unchanged(warehouse.build_db, loads, force=warehouse.settings.force):
        context.log.info("raw.survey_values and raw.survey_indicators already hold the newest batch")
        for table in loads:
            metadata = {"table": f"raw.{table}", "unchanged": True}
            yield MaterializeResult(asset_key=[SOURCE, table], metadata=metadata)
        return
    parsed, records = [], {}
    if batch is not None:
        try:
            parsed, records = surveys.replay(batch, _regions(warehouse), _catalogue_ids())
        except surveys.SurveyError as exc:
            raise Failure(f"survey: landing batch {batch.path} no longer passes its checks\n{exc}") from exc
    rows = surveys.raw_rows(parsed, records)
    n_values = replace_raw_table(warehouse.build_db, "survey_values", rows)
    n_indicators = replace_raw_table(warehouse.build_db, "survey_indicators", surveys.indicator_rows(parsed))
    state.record_loads(warehouse.build_db, loads)
    below = sum(1 for r in rows if r["n"] is not None and r["n"] < r["min_respondents"])
    context.log.info(f"Loaded {n_values} survey rows of {len(parsed)} survey(s)")
    yield MaterializeResult(
        asset_key=[SOURCE, "survey_values"],
        metadata={
            "table": "raw.survey_values",
            "rows": n_values,
            "rows_below_min_respondents": below,
            "surveys": ", ".join(p.spec.name for p in parsed) or "none",
            "landing_batch": batch.path.as_posix() if batch else "none",
            "seconds": round(time.perf_counter() - started, 2),
        },
    )
    yield MaterializeResult(
        asset_key=[SOURCE, "survey_indicators"],
        metadata={"table": "raw.survey_indicators", "rows": n_indicators},
    )


@asset_check(
    asset=AssetKey(["mart", "fct_indicator_value"]),
    blocking=True,
    description=(
        "No survey value is shown on fewer than 10 respondents, and no suppressed value follows"
        " from the shown values and their n (a margin, the sexes of an age group or the age groups"
        " of a sex, with a single hidden cell); metadata counts suppressed and low-precision rows"
        " per survey."
    ),
)
def survey_privacy_rule(warehouse: WarehouseResource) -> AssetCheckResult:
    report = survey_privacy(warehouse.build_db)
    metadata = {
        f"{source}: {key}": value for source, counts in report.counts.items() for key, value in counts.items()
    }
    if not report.violations:
        return AssetCheckResult(passed=True, metadata={"violations": 0, **metadata})
    sample = "\n".join(str(row) for row in report.violations[:20])
    return AssetCheckResult(
        passed=False,
        severity=AssetCheckSeverity.ERROR,
        description=f"{len(report.violations)} survey value(s) could reveal a small group:\n{sample}",
        metadata={"violations": len(report.violations), "sample": sample, **metadata},
    )


refresh_surveys = define_asset_job(
    "refresh_surveys",
    selection=AssetSelection.keys(["landing", SOURCE]).downstream(),
    description=(
        "Load the survey drop folder and rebuild and publish the mart from what is already in"
        " build.duckdb (no request to any API)."
    ),
)


def drop_folder_state(warehouse: WarehouseResource) -> str:
    """A digest of the drop folder's files (names, sizes, modification times); reports excluded."""
    drop = warehouse.surveys_dir
    if not drop.is_dir():
        return ""
    entries = sorted(
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in drop.iterdir()
        if p.is_file() and not p.name.endswith(".errors.csv") and not p.name.startswith((".", "~$"))
    )
    return hashlib.sha256("\n".join(entries).encode()).hexdigest() if entries else ""


def landed_digest(warehouse: WarehouseResource) -> str | None:
    """The digest of the drop folder as the newest survey landing batch holds it; None before any."""
    batch = Landing(warehouse.raw_dir, SOURCE).latest_or_none()
    return batch.info().get("digest") if batch is not None else None


@sensor(
    job=refresh_surveys,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Runs refresh_surveys when a file in the survey drop folder appears or changes, against the"
        " files last landed: starting make dev with the drop folder as last landed runs nothing."
    ),
)
def survey_drop_sensor(context: SensorEvaluationContext, warehouse: WarehouseResource):
    state, previous = drop_folder_state(warehouse), context.cursor or ""
    if state == previous:
        return SkipReason(f"No new or changed file in {warehouse.surveys_dir}")
    context.update_cursor(state)
    # Names, sizes and times moved (or the sensor has no cursor yet, as when make dev starts): a run
    # only when the contents differ from the newest landing batch. An emptied folder differs from
    # a batch that held surveys, so the surveys taken out leave the mart too.
    drop = warehouse.surveys_dir
    contents = surveys.folder_digest(drop) if drop.is_dir() else surveys.drop_digest([])
    landed = landed_digest(warehouse)
    if contents is not None and contents == landed:
        return SkipReason(f"The files in {drop} are those of the newest survey landing batch")
    return RunRequest(run_key=state or f"emptied-after-{previous}")
