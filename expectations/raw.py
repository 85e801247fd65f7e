"""Suites for the raw landing tables in the build database (schema ``raw``).

The loader writes every column of ``warehouse.raw_tables``, so a field the source renamed shows
up as a column that is suddenly all NULL: the not-null and non-null-share expectations catch
that; the schema expectations catch a table not written as declared.
"""

from __future__ import annotations

from collections.abc import Sequence

from expectations.core import WARNING, Suite, expect, in_condition, schema_expectations
from ingest import codes
from ingest.catalog import Indicator, load_catalog
from warehouse.raw_tables import RAW_TABLES

KOLADA_GENDERS = ["T", "K", "M"]
PX_MARKERS = ["..", ".", "...", "…", "-"]
NON_NEGATIVE_UNITS = ("count", "points", "per_1000", "per_10000", "per_inhabitant")
MIN_NON_NULL_SHARE = 0.1  # below this share of values, the value field itself went missing

# The schemas the loaders write (one definition: warehouse.raw_tables)
KOLADA_VALUES = RAW_TABLES["kolada_values"]
KOLADA_MUNICIPALITY = RAW_TABLES["kolada_municipality"]
KOLADA_KPI = RAW_TABLES["kolada_kpi"]
PXWEB_VALUES = RAW_TABLES["pxweb_values"]
SCB_POPULATION = RAW_TABLES["scb_population"]
SURVEY_VALUES = RAW_TABLES["survey_values"]

SURVEY_FLOORS = codes.PRIVACY_FLOORS  # a spec may be stricter, never looser


def not_null(*columns: str) -> list:
    return [expect(f"not_null_{c}", "ExpectColumnValuesToNotBeNull", column=c) for c in columns]


def value_ranges(key: str, indicators: Sequence[Indicator], id_of: str = "indicator_id") -> list:
    """Shares within 0-100 (unit percent); counts, points and rates non-negative.

    ``key`` is the frame's indicator column, ``id_of`` the ``Indicator`` field it holds.
    A unit outside both lists (a change, a balance) is not range-checked.
    """
    percent = [getattr(i, id_of) for i in indicators if i.unit == "percent"]
    counts = [getattr(i, id_of) for i in indicators if i.unit in NON_NEGATIVE_UNITS]
    return [
        expect(
            "share_within_0_100",
            "ExpectColumnValuesToBeBetween",
            column="value",
            min_value=0,
            max_value=100,
            row_condition=in_condition(key, percent),
        ),
        expect(
            "value_not_negative",
            "ExpectColumnValuesToBeBetween",
            column="value",
            min_value=0,
            row_condition=in_condition(key, counts),
        ),
    ]


def ci_bounds() -> list:
    """ci_low <= value <= ci_high where the source publishes a confidence interval."""
    return [
        expect(
            "ci_low_le_value",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="value",
            column_B="ci_low",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        expect(
            "value_le_ci_high",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="ci_high",
            column_B="value",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
    ]


def value_present(column: str = "value") -> list:
    """A source that renamed its value field leaves the column (almost) all NULL."""
    return [
        expect(
            "value_field_present",
            "ExpectColumnProportionOfNonNullValuesToBeBetween",
            column=column,
            min_value=MIN_NON_NULL_SHARE,
        )
    ]


def fields_present(*columns: str) -> list:
    """Optional fields the source always fills somewhere: all NULL means the field was renamed."""
    return [
        expect(
            f"field_present_{c}",
            "ExpectColumnProportionOfNonNullValuesToBeBetween",
            column=c,
            min_value=0,
            strict_min=True,
        )
        for c in columns
    ]


def _refs(indicators: Sequence[Indicator], source: str) -> list[str]:
    return [i.source_ref for i in indicators if i.source == source]


def kolada_values(indicators: Sequence[Indicator] | None = None, region_ids: Sequence[str] = ()) -> Suite:
    """raw.kolada_values; ``region_ids``: Kolada's own region list (empty: not checked)."""
    indicators = indicators if indicators is not None else load_catalog()
    key = ["kpi_id", "municipality_id", "period", "gender"]
    exps = [
        *schema_expectations(KOLADA_VALUES),
        *not_null(*key, "request_url", "fetched_at"),
        expect("unique_key", "ExpectCompoundColumnsToBeUnique", column_list=key),
        expect("gender_accepted", "ExpectColumnValuesToBeInSet", column="gender", value_set=KOLADA_GENDERS),
        expect(
            "kpi_in_catalogue",
            "ExpectColumnValuesToBeInSet",
            column="kpi_id",
            value_set=_refs(indicators, "kolada"),
        ),
        *value_ranges("kpi_id", [i for i in indicators if i.source == "kolada"], id_of="source_ref"),
        expect("count_not_negative", "ExpectColumnValuesToBeBetween", column="count", min_value=0),
        *value_present(),
        *fields_present("count"),
    ]
    if region_ids:
        exps.append(
            expect(
                "region_known",
                "ExpectColumnValuesToBeInSet",
                column="municipality_id",
                value_set=sorted(region_ids),
            )
        )
    return Suite("raw.kolada_values", exps, KOLADA_VALUES)


def kolada_municipality() -> Suite:
    exps = [
        *schema_expectations(KOLADA_MUNICIPALITY),
        *not_null("municipality_id", "title", "type"),
        expect("unique_key", "ExpectColumnValuesToBeUnique", column="municipality_id"),
        expect(
            "code_four_digits", "ExpectColumnValuesToMatchRegex", column="municipality_id", regex=r"^\d{4}$"
        ),
        expect(
            "type_accepted",
            "ExpectColumnValuesToBeInSet",
            column="type",
            value_set=["K", "L"],
            severity=WARNING,
        ),
        expect("row_count", "ExpectTableRowCountToBeBetween", min_value=1),
    ]
    return Suite("raw.kolada_municipality", exps, KOLADA_MUNICIPALITY)


def kolada_kpi(indicators: Sequence[Indicator] | None = None) -> Suite:
    indicators = indicators if indicators is not None else load_catalog()
    refs = _refs(indicators, "kolada")
    exps = [
        *schema_expectations(KOLADA_KPI),
        *not_null("kpi_id", "title"),
        expect("unique_key", "ExpectColumnValuesToBeUnique", column="kpi_id"),
        expect("kpi_in_catalogue", "ExpectColumnValuesToBeInSet", column="kpi_id", value_set=refs),
        # a KPI Kolada does not know is a failed KPI (meta_source_status), not a failed refresh
        expect(
            "every_catalogue_kpi",
            "ExpectColumnDistinctValuesToContainSet",
            severity=WARNING,
            column="kpi_id",
            value_set=refs,
        ),
        *fields_present("municipality_type", "operating_area"),
    ]
    return Suite("raw.kolada_kpi", exps, KOLADA_KPI)


def pxweb_values(indicators: Sequence[Indicator] | None = None) -> Suite:
    indicators = indicators if indicators is not None else load_catalog()
    px = [i for i in indicators if i.source in ("scb", "fohm")]
    key = ["indicator_id", "region_code", "period_start", "period_end", "sex", "age_group"]
    exps = [
        *schema_expectations(PXWEB_VALUES),
        *not_null(*key, "source", "source_ref", "request_url", "fetched_at"),
        expect("unique_key", "ExpectCompoundColumnsToBeUnique", column_list=key),
        expect("sex_accepted", "ExpectColumnValuesToBeInSet", column="sex", value_set=list(codes.SEXES)),
        expect(
            "indicator_in_catalogue",
            "ExpectColumnValuesToBeInSet",
            column="indicator_id",
            value_set=[i.indicator_id for i in px],
        ),
        expect("source_accepted", "ExpectColumnValuesToBeInSet", column="source", value_set=["scb", "fohm"]),
        expect(
            "region_code_shape",
            "ExpectColumnValuesToMatchRegex",
            column="region_code",
            regex=r"^(?:\d{2}|\d{4})$",
        ),
        expect(
            "period_ordered",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="period_end",
            column_B="period_start",
            or_equal=True,
        ),
        *value_ranges("indicator_id", px),
        *ci_bounds(),
        expect("n_not_negative", "ExpectColumnValuesToBeBetween", column="n", min_value=0),
        expect("marker_accepted", "ExpectColumnValuesToBeInSet", column="marker", value_set=PX_MARKERS),
        *value_present(),
    ]
    return Suite("raw.pxweb_values", exps, PXWEB_VALUES)


def scb_population() -> Suite:
    key = ["region_code", "year", "age", "sex"]
    exps = [
        *schema_expectations(SCB_POPULATION),
        *not_null(*key, "request_url", "fetched_at"),
        expect("unique_key", "ExpectCompoundColumnsToBeUnique", column_list=key),
        expect("sex_accepted", "ExpectColumnValuesToBeInSet", column="sex", value_set=list(codes.SEXES)),
        expect(
            "region_code_shape",
            "ExpectColumnValuesToMatchRegex",
            column="region_code",
            regex=r"^(?:\d{2}|\d{4})$",
        ),
        expect("age_range", "ExpectColumnValuesToBeBetween", column="age", min_value=0, max_value=120),
        expect("population_not_negative", "ExpectColumnValuesToBeBetween", column="population", min_value=0),
        *value_present("population"),
    ]
    return Suite("raw.scb_population", exps, SCB_POPULATION)


def survey_values(indicators: Sequence[Indicator]) -> Suite:
    """Survey results as loaded (before the mart's suppression); ``indicators``: the specs' own.

    The survey reader already refused every bad row; this is the second net on the table.
    """
    key = ["indicator_id", "region_code", "period_start", "period_end", "sex", "age_group"]
    exps = [
        *schema_expectations(SURVEY_VALUES),
        *not_null(*key, "n", "source", "source_ref", "request_url", "fetched_at"),
        expect("unique_key", "ExpectCompoundColumnsToBeUnique", column_list=key),
        expect("sex_accepted", "ExpectColumnValuesToBeInSet", column="sex", value_set=list(codes.SEXES)),
        expect(
            "indicator_in_specs",
            "ExpectColumnValuesToBeInSet",
            column="indicator_id",
            value_set=[i.indicator_id for i in indicators],
        ),
        expect(
            "source_is_survey",
            "ExpectColumnValuesToMatchRegex",
            column="source",
            regex=r"^survey:[a-z0-9_]+$",
        ),
        expect(
            "region_code_shape",
            "ExpectColumnValuesToMatchRegex",
            column="region_code",
            regex=r"^(?:\d{2}|\d{4})$",
        ),
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
        expect(
            "n_asked_not_below_n",
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="n_asked",
            column_B="n",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        *[
            expect(
                f"{column}_not_below_default", "ExpectColumnValuesToBeBetween", column=column, min_value=floor
            )
            for column, floor in SURVEY_FLOORS.items()
        ],
    ]
    return Suite("raw.survey_values", exps, SURVEY_VALUES)
