"""Run a suite on a pandas DataFrame with GE 1.x: failing expectations, counts and sample rows out.

Great Expectations is imported inside the functions (about 5 s), so importing this module is cheap.
Schema first: an expectation that reads a column the frame lacks, or whose dtype is not the
declared one, is skipped (listed in ``Outcome.skipped``) and only the schema expectation fails, so
one renamed field gives one clear failure instead of a cascade.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

CRITICAL = "critical"  # ERROR: blocks publication
WARNING = "warning"  # WARN: shown in Dagster and the Data Docs, the mart is still published
SAMPLE_ROWS = 5
PARTIAL_ROWS = 200  # failing rows GE reports by index: the ids a failure line names come from them
ID_COLUMNS = ("indicator_id", "kpi_id", "table_key")  # what a failing row is about, first one present
SHOWN_IDS = 12

# DuckDB column type -> the pandas dtype ``frames.read_table`` gives it.
PANDAS_DTYPES = {
    "varchar": "str",
    "integer": "Int32",
    "bigint": "Int64",
    "double": "float64",
    "boolean": "boolean",
    "timestamptz": "datetime64[us, UTC]",
    "date": "datetime64[us]",
}


@dataclass(frozen=True)
class Suite:
    """A named list of GE expectations; ``schema`` maps each column to its DuckDB type."""

    name: str
    expectations: list[Any]
    schema: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Failure:
    name: str  # the expectation's short name (meta.name)
    expectation: str  # GE type and the columns it reads
    severity: str
    unexpected_count: int | None
    observed: str
    sample: list[dict[str, Any]]
    id_column: str = ""  # the column naming what the failing rows are about (indicator_id, kpi_id)
    ids: tuple[str, ...] = ()  # its distinct values on the failing rows GE listed
    ids_complete: bool = True  # False when GE listed only some of the failing rows

    def line(self) -> str:
        count = "" if self.unexpected_count is None else f", {self.unexpected_count} failing rows"
        observed = f", observed {self.observed}" if self.observed else ""
        return f"[{self.severity.upper()}] {self.name}: {self.expectation}{count}{self.ids_text()}{observed}"

    def ids_text(self) -> str:
        """`` (indicator_id: a, b, … 3 more)``: what the failing rows are about; empty without ids."""
        if not self.ids:
            return ""
        shown = ", ".join(self.ids[:SHOWN_IDS])
        more = len(self.ids) - SHOWN_IDS
        tail = f", … {more} more" if more > 0 else ""
        tail += ", among others" if not self.ids_complete else ""
        return f" ({self.id_column}: {shown}{tail})"


@dataclass(frozen=True)
class Outcome:
    suite: str
    rows: int
    evaluated: int
    failures: list[Failure]
    skipped: list[str]
    seconds: float
    docs: Path | None = None

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity != CRITICAL]

    @property
    def failed_names(self) -> set[str]:
        return {f.name for f in self.failures}

    def describe(self) -> str:
        if not self.failures:
            return f"{self.suite}: {self.evaluated} expectations passed on {self.rows} rows"
        head = (
            f"{self.suite}: {len(self.errors)} error(s), {len(self.warnings)} warning(s) on {self.rows} rows"
        )
        return "; ".join([head, *(f.line() for f in self.failures)])


def expect(name: str, kind: str, severity: str = CRITICAL, **kwargs: Any) -> Any:
    """A GE expectation by class name, tagged with a short ``name`` and its severity."""
    import great_expectations as gx

    return getattr(gx.expectations, kind)(meta={"name": name}, severity=severity, **kwargs)


def schema_expectations(schema: dict[str, str]) -> list[Any]:
    """Column set (a renamed or dropped field is drift) and one dtype expectation per column."""
    out = [
        expect("schema_columns", "ExpectTableColumnsToMatchSet", column_set=list(schema), exact_match=True)
    ]
    for column, sql_type in schema.items():
        out.append(
            expect(
                f"schema_type_{column}", "ExpectColumnTypeToBe", column=column, type_=PANDAS_DTYPES[sql_type]
            )
        )
    return out


def in_condition(column: str, values: Iterable[str], negate: bool = False) -> Any:
    """A GE row condition: ``column`` is (not) one of ``values``."""
    from great_expectations.expectations.row_conditions import Column

    values = sorted(values) or ["\x00none"]  # GE refuses an empty list
    return Column(column).is_not_in(values) if negate else Column(column).is_in(values)


def validate(
    suite: Suite, df: pd.DataFrame, quality_dir: Path | None = None, run_name: str | None = None
) -> Outcome:
    """Validate ``df`` against ``suite``; with ``quality_dir``, store the result and update the Data Docs."""
    from great_expectations.core.run_identifier import RunIdentifier

    from expectations import gx_project, gx_speed

    gx_speed.build_configuration_once_per_call()
    gx_speed.read_config_variables_once()
    started = time.perf_counter()
    bad_columns = _bad_columns(suite, df)
    run: list[Any] = []
    skipped: list[str] = []
    for expectation in suite.expectations:
        name = expectation.meta["name"]
        columns = _columns(expectation)
        is_type = name.startswith("schema_type_")
        if (is_type and columns - set(df.columns)) or (not is_type and columns & bad_columns):
            skipped.append(name)
        else:
            run.append(expectation)
    context = gx_project.context(quality_dir)
    definition = gx_project.validation_definition(context, suite.name, run)
    result = definition.run(
        batch_parameters={"dataframe": df},
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": PARTIAL_ROWS},
        run_id=RunIdentifier(run_name=run_name or "adhoc"),
    )
    failures = [_failure(r, df) for r in result.results if not r.success]
    failures.sort(key=lambda f: (f.severity != CRITICAL, f.name))
    docs = None
    if quality_dir is not None:
        docs = gx_project.update_docs(context, quality_dir, suite.name)
        gx_project.remember(quality_dir, context)  # its own additions (this suite's asset) changed the file
    return Outcome(
        suite.name, len(df), len(run), failures, skipped, round(time.perf_counter() - started, 3), docs
    )


def _bad_columns(suite: Suite, df: pd.DataFrame) -> set[str]:
    """Columns the frame lacks or holds with another dtype than the schema declares."""
    referenced = set(suite.schema).union(*(_columns(e) for e in suite.expectations))
    missing = referenced - set(df.columns)
    mistyped = {
        c for c, t in suite.schema.items() if c in df.columns and str(df[c].dtype) != PANDAS_DTYPES[t]
    }
    return missing | mistyped


def _columns(expectation: Any) -> set[str]:
    columns = set()
    for key in ("column", "column_A", "column_B"):
        value = getattr(expectation, key, None)
        if isinstance(value, str):
            columns.add(value)
    columns.update(getattr(expectation, "column_list", None) or [])
    columns.update(_condition_columns(getattr(expectation, "row_condition", None)))
    return columns


def _condition_columns(condition: Any) -> set[str]:
    if condition is None or isinstance(condition, str):
        return set()
    out = set()
    column = getattr(condition, "column", None)
    if column is not None:
        out.add(column.name)
    for inner in getattr(condition, "conditions", None) or []:
        out |= _condition_columns(inner)
    return out


def _failure(result: Any, df: pd.DataFrame) -> Failure:
    config = result.expectation_config
    details = result.result or {}
    columns = ", ".join(_config_columns(config.kwargs))
    condition = config.kwargs.get("row_condition")
    label = f"{config.type}({columns})" + (f" where {_condition_text(condition)}" if condition else "")
    observed = details.get("observed_value")
    if result.exception_info and result.exception_info.get("raised_exception"):
        observed = result.exception_info.get("exception_message")
    mismatch = (details.get("details") or {}).get("mismatched")
    if mismatch:
        observed = f"{observed} (mismatched: {mismatch})"
    indexes = details.get("partial_unexpected_index_list") or []
    sample = _rows(df, indexes[:SAMPLE_ROWS]) if indexes else []
    if not sample and details.get("partial_unexpected_list"):
        sample = [{"value": _plain(v)} for v in details["partial_unexpected_list"][:SAMPLE_ROWS]]
    id_column = next((c for c in ID_COLUMNS if c in df.columns), "")
    ids: tuple[str, ...] = ()
    if id_column and indexes:
        listed = df.loc[[i for i in indexes if i in df.index], id_column]
        ids = tuple(dict.fromkeys(str(v) for v in listed if v is not None and v is not pd.NA))
    unexpected = details.get("unexpected_count")
    return Failure(
        name=(config.meta or {}).get("name", config.type),
        expectation=label,
        severity=str(getattr(config.severity, "value", config.severity) or CRITICAL),
        unexpected_count=unexpected,
        observed="" if observed is None else _short(observed),
        sample=sample,
        id_column=id_column if ids else "",
        ids=ids,
        ids_complete=unexpected is None or len(indexes) >= unexpected,
    )


def _config_columns(kwargs: dict[str, Any]) -> list[str]:
    names = [kwargs[k] for k in ("column", "column_A", "column_B") if isinstance(kwargs.get(k), str)]
    return names + list(kwargs.get("column_list") or [])


def _condition_text(condition: Any) -> str:
    """``kpi_id IN [N00591, N01718, … 13 values]`` rather than the condition's JSON."""
    if hasattr(condition, "dict"):
        condition = condition.dict()
    if not isinstance(condition, dict) or "column" not in condition:
        return _short(condition)
    name = (condition.get("column") or {}).get("name", "?")
    if "operator" not in condition:
        return f"{name} IS {'' if condition.get('is_null', True) else 'NOT '}NULL"
    parameter = condition.get("parameter")
    if isinstance(parameter, list | tuple):
        shown = ", ".join(map(str, parameter[:3]))
        parameter = f"[{shown}{f', … {len(parameter)} values' if len(parameter) > 3 else ''}]"
    return f"{name} {condition['operator']} {parameter}"


def _short(value: Any, limit: int = 300) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _rows(df: pd.DataFrame, indexes: list[Any]) -> list[dict[str, Any]]:
    rows = df.loc[[i for i in indexes if i in df.index]]
    return [{k: _plain(v) for k, v in row.items()} for row in rows.to_dict(orient="records")]


def _plain(value: Any) -> Any:
    """A JSON-friendly scalar for metadata."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value if isinstance(value, int | float | str | bool) else str(value)
