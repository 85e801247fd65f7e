"""Suites for the mart's dimension and fact tables in the build database (schema ``mart``).

Each rule has one owner. dbt owns what a mart model declares in ``marts/<model>.yml`` and
checks during the build, before these suites run: the enforced contract (column names, types,
``not_null`` constraints), the unique keys, accepted values and relationships (its data tests).
These suites check only what dbt does not: value ranges per unit, intervals around their
values, code shapes, the vocabularies of free text columns, periods in order.
``tests/test_mart.py`` keeps the two apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from expectations.core import WARNING, Suite, expect
from expectations.raw import ci_bounds, value_ranges
from ingest.catalog import Indicator, load_catalog

SOURCE_PATTERN = r"^(?:kolada|scb|fohm|survey:[a-z0-9_]+)$"  # survey:<name> for a dropped survey
UNITS = ["percent", "points", "count", "per_1000", "per_10000", "per_inhabitant", "mean"]
MARTS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "models" / "marts"
DBT_TYPES = {"timestamp with time zone": "timestamptz"}


def contract_schema(model: str) -> dict[str, str]:
    """A mart model's columns and types from its dbt contract (``marts/<model>.yml``): one
    definition of the schema, so a new mart column needs no second edit here."""
    spec = yaml.safe_load((MARTS_DIR / f"{model}.yml").read_text(encoding="utf-8"))
    (entry,) = [m for m in spec["models"] if m["name"] == model]
    return {c["name"]: DBT_TYPES.get(c["data_type"], c["data_type"]) for c in entry["columns"]}


FCT_INDICATOR_VALUE = contract_schema("fct_indicator_value")
DIM_REGION = contract_schema("dim_region")
DIM_INDICATOR = contract_schema("dim_indicator")
FCT_POPULATION = contract_schema("fct_population")


# "Every region code is in dim_region" has one owner, the blocking Dagster check
# ``region_codes_known`` (orchestration/checks.py), which names the source, table and code.


def fct_indicator_value(indicators: Sequence[Indicator] | None) -> Suite:
    """``indicators``: dim_indicator's rows (their units set the value ranges)."""
    from great_expectations.expectations.row_conditions import Column

    indicators = indicators if indicators is not None else load_catalog()
    exps = [
        expect("source_accepted", "ExpectColumnValuesToMatchRegex", column="source", regex=SOURCE_PATTERN),
        expect(
            "period_ordered",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="period_end",
            column_B="period_start",
            or_equal=True,
        ),
        *value_ranges("indicator_id", indicators),
        *ci_bounds(),
        expect("n_not_negative", "ExpectColumnValuesToBeBetween", column="n", min_value=0),
        expect("rate_not_negative", "ExpectColumnValuesToBeBetween", column="rate_per_1000", min_value=0),
        expect(
            "rate_ci_low_le_rate",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="rate_per_1000",
            column_B="rate_ci_low",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        expect(
            "rate_le_rate_ci_high",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="rate_ci_high",
            column_B="rate_per_1000",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        expect(
            "denominator_not_negative", "ExpectColumnValuesToBeBetween", column="denominator", min_value=0
        ),
        expect(
            "missing_value_not_ok",
            "ExpectColumnValuesToNotBeInSet",
            column="status",
            value_set=["ok"],
            row_condition=Column("value").is_null(),
        ),
    ]
    return Suite("mart.fct_indicator_value", exps, FCT_INDICATOR_VALUE)


def dim_region() -> Suite:
    exps = [
        expect(
            "code_shape", "ExpectColumnValuesToMatchRegex", column="region_code", regex=r"^(?:\d{2}|\d{4})$"
        ),
        expect("county_code_shape", "ExpectColumnValuesToMatchRegex", column="county_code", regex=r"^\d{2}$"),
        expect("row_count", "ExpectTableRowCountToBeBetween", min_value=1),
    ]
    return Suite("mart.dim_region", exps, DIM_REGION)


def dim_indicator() -> Suite:
    exps = [
        expect("source_accepted", "ExpectColumnValuesToMatchRegex", column="source", regex=SOURCE_PATTERN),
        expect("unit_known", "ExpectColumnValuesToBeInSet", column="unit", value_set=UNITS, severity=WARNING),
        expect(
            "rate_ages_shape",
            "ExpectColumnValuesToMatchRegex",
            column="rate_ages",
            regex=r"^\d{1,2}-\d{1,2}$",
        ),
        expect(
            "denominator_ages_shape",
            "ExpectColumnValuesToMatchRegex",
            column="denominator_ages",
            regex=r"^\d{1,2}-\d{1,2}$",
        ),
    ]
    return Suite("mart.dim_indicator", exps, DIM_INDICATOR)


def fct_population() -> Suite:
    exps = [
        expect("age_range", "ExpectColumnValuesToBeBetween", column="age", min_value=0, max_value=120),
        expect("population_not_negative", "ExpectColumnValuesToBeBetween", column="population", min_value=0),
    ]
    return Suite("mart.fct_population", exps, FCT_POPULATION)
