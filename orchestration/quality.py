"""The Great Expectations suites of ``expectations/`` as Dagster asset checks.

A suite with a failing ``critical`` expectation fails its check with severity ERROR; the raw and
mart checks are blocking, so the dbt step (raw) or the ``published_mart`` step (mart) does not
run and the published mart stays as it was. A failing ``warning`` expectation fails the check
with severity WARN: shown, published anyway. Every check updates the Data Docs in
``warehouse/quality/``.
"""

from dataclasses import dataclass
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from orchestration.resources import WarehouseResource

MAX_SAMPLE_FAILURES = 10


@dataclass(frozen=True)
class Gate:
    """One suite as one asset check."""

    suite_name: str
    asset: list[str]
    blocking: bool
    description: str

    @property
    def name(self) -> str:
        return "ge_" + self.suite_name.removeprefix("gate.").replace(".", "_")


def run_suite(name: str, warehouse: WarehouseResource, run_name: str | None = None) -> Any:
    """Validate one suite (``expectations.registry``); returns its ``Outcome``."""
    from expectations import registry  # imports Great Expectations: only when a check runs

    return registry.run(name, warehouse.build_db, warehouse.mart_db, warehouse.root / "quality", run_name)


def check_result(outcome: Any) -> AssetCheckResult:
    """ERROR when a critical expectation failed, WARN when only warnings did; metadata names them."""
    failures = outcome.failures
    metadata: dict[str, Any] = {
        "suite": outcome.suite,
        "rows": outcome.rows,
        "expectations_evaluated": outcome.evaluated,
        "failing_expectations": ", ".join(f.name for f in failures),
        "failing_rows": sum(f.unexpected_count or 0 for f in failures),
        "seconds": outcome.seconds,
    }
    if outcome.docs is not None:
        metadata["data_docs"] = MetadataValue.path(str(outcome.docs))
    if outcome.skipped:
        metadata["skipped_after_schema_failure"] = ", ".join(outcome.skipped)
    if failures:
        metadata["failures"] = MetadataValue.md(_failure_table(failures))
        metadata["failing_rows_sample"] = MetadataValue.json(
            {f.name: f.sample for f in failures[:MAX_SAMPLE_FAILURES] if f.sample}
        )
    if not failures:
        return AssetCheckResult(passed=True, metadata=metadata, description=outcome.describe())
    severity = AssetCheckSeverity.ERROR if outcome.errors else AssetCheckSeverity.WARN
    return AssetCheckResult(
        passed=False, severity=severity, metadata=metadata, description=outcome.describe()
    )


def quarantine(gate: Gate, outcome: Any, warehouse: WarehouseResource) -> list:
    """Reject the landing batches behind a raw table that failed its blocking gate. For
    raw.pxweb_values only the tables whose rows failed (``table_key`` of the sample rows)."""
    from warehouse.quarantine import reject_loaded

    table = gate.suite_name.removeprefix("raw.")
    keys = None
    if table == "pxweb_values":
        keys = {
            row.get("table_key")
            for f in outcome.failures
            for row in (f.sample or [])
            if isinstance(row, dict) and row.get("table_key")
        }
    reason = f"blocking check {gate.name}: {outcome.describe()}"
    return reject_loaded(warehouse.raw_dir, warehouse.build_db, table, reason, keys)


def _failure_table(failures: list[Any]) -> str:
    lines = ["| severity | expectation | failing rows | about | observed |", "|---|---|---|---|---|"]
    for f in failures:
        count = "" if f.unexpected_count is None else str(f.unexpected_count)
        observed = f.observed.replace("|", "\\|")
        about = f.ids_text().strip(" ()").replace("|", "\\|")
        lines.append(f"| {f.severity} | **{f.name}** `{f.expectation}` | {count} | {about} | {observed} |")
    return "\n".join(lines)


def gate_check(gate: Gate) -> Any:
    @asset_check(
        asset=AssetKey(gate.asset),
        name=gate.name,
        blocking=gate.blocking,
        description=gate.description,
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        outcome = run_suite(gate.suite_name, warehouse, run_name=context.run.run_id)
        log = (
            context.log.error
            if outcome.errors
            else context.log.warning
            if outcome.failures
            else context.log.info
        )
        log(outcome.describe())
        result = check_result(outcome)
        if outcome.errors and gate.blocking and gate.suite_name.startswith("raw."):
            rejected = quarantine(gate, outcome, warehouse)
            if rejected:
                note = (
                    f" Landing batch(es) {', '.join(p.parent.name + '/' + p.name for p in rejected)}"
                    " rejected: the next run loads the last accepted batch and fetches again."
                )
                context.log.error(note.strip())
                result = result._replace(description=(result.description or "") + note)
        return result

    return _check


GATES = [
    Gate(
        "raw.kolada_values",
        ["kolada", "kolada_values"],
        True,
        "Schema, keys, genders, KPIs in the catalogue, known regions, shares 0-100, non-negative values.",
    ),
    Gate(
        "raw.kolada_municipality",
        ["kolada", "kolada_municipality"],
        True,
        "Schema, unique four-digit region ids, names present.",
    ),
    Gate(
        "raw.kolada_kpi",
        ["kolada", "kolada_kpi"],
        True,
        "Schema, every catalogue KPI present once, titles present (a renamed field is drift).",
    ),
    Gate(
        "raw.pxweb_values",
        ["pxweb", "pxweb_values"],
        True,
        "Schema, unique keys, sexes, shares 0-100, ci_low <= value <= ci_high, PX markers.",
    ),
    Gate(
        "raw.scb_population",
        ["scb", "scb_population"],
        True,
        "Schema, unique region-year-age-sex, non-negative population.",
    ),
    Gate(
        "raw.survey_values",
        ["survey", "survey_values"],
        True,
        "Schema, unique keys, sexes, indicators of the specs, shares 0-100, CI bounds, n asked >= n,"
        " suppression thresholds not below the defaults.",
    ),
    Gate(
        "mart.fct_indicator_value",
        ["mart", "fct_indicator_value"],
        True,
        "Schema, unique grain, codes in dim_region and dim_indicator, shares 0-100, CI bounds, sexes.",
    ),
    Gate("mart.dim_region", ["mart", "dim_region"], True, "Schema, unique codes, levels, county codes."),
    Gate(
        "mart.dim_indicator",
        ["mart", "dim_indicator"],
        True,
        "Schema, unique ids, protective factors, sources; an unknown unit warns.",
    ),
    Gate(
        "mart.fct_population",
        ["mart", "fct_population"],
        True,
        "Schema, unique grain, codes in dim_region, non-negative population.",
    ),
    Gate(
        "gate.raw_to_mart_rows",
        ["mart", "fct_indicator_value"],
        True,
        "No row lost (or gained) between the raw landing tables and the mart, per indicator.",
    ),
    Gate(
        "gate.volume_vs_published",
        ["mart", "fct_indicator_value"],
        True,
        "A source losing more than 10 % of its rows against the last published mart fails.",
    ),
    Gate(
        "gate.coverage",
        ["mart", "fct_indicator_value"],
        False,
        "Share of counties and municipalities with a value per indicator and period (WARN: real gaps).",
    ),
    Gate(
        "gate.freshness",
        ["mart", "fct_indicator_value"],
        False,
        "Each source's newest period against its cadence in catalog/freshness.yml (WARN).",
    ),
]
QUALITY_CHECKS = [gate_check(g) for g in GATES]
