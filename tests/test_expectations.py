"""The GE suites on small frames: a good frame passes; one planted fault fails that expectation only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from expectations import core, gates, gx_project, mart, raw
from ingest.catalog import Indicator, load_catalog

TS = datetime(2026, 3, 1, tzinfo=UTC)
URL = "http://127.0.0.1/v3/data/kpi/N15428/year/2025"
REGIONS = ["00", "17", "1780"]


def frame(schema: dict[str, str], rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows on the suite's schema with the dtypes ``frames.read_table`` gives."""
    data = {c: [r.get(c) for r in rows] for c in schema}
    return pd.DataFrame({c: pd.Series(v, dtype=core.PANDAS_DTYPES[schema[c]]) for c, v in data.items()})


def kolada_value(kpi: str, muni: str, gender: str, value: float | None, **extra: Any) -> dict[str, Any]:
    row = {"kpi_id": kpi, "municipality_id": muni, "period": 2025, "gender": gender, "value": value}
    return {
        **row,
        "status": None if value is not None else "Missing",
        "count": 1,
        "request_url": URL,
        "fetched_at": TS,
        "body_sha256": "ab",
        **extra,
    }


def px_value(indicator: str, region: str, sex: str, value: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "indicator_id": indicator,
        "table_key": "t",
        "source": "fohm",
        "source_ref": "x.px",
        "region_code": region,
        "period_label": "2021-2022",
        "period_start": 2021,
        "period_end": 2022,
        "sex": sex,
        "age_group": "total",
        "value": value,
        "ci_low": None,
        "ci_high": None,
        "n": None,
        "marker": None,
        "request_url": URL,
        "fetched_at": TS,
        "body_sha256": "ab",
        **extra,
    }


def fact(indicator: str, region: str, sex: str, value: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "indicator_id": indicator,
        "region_code": region,
        "period_start": 2025,
        "period_end": 2025,
        "sex": sex,
        "age_group": "total",
        "value": value,
        "ci_low": None,
        "ci_high": None,
        "n": None,
        "status": "ok" if value is not None else "missing",
        "rate_population": None,
        "rate_per_1000": None,
        "rate_ci_low": None,
        "rate_ci_high": None,
        "denominator": None,
        "ci_method": None,
        "source": "kolada",
        "source_ref": "N15428",
        "fetched_at": TS,
        "request_url": URL,
        "body_sha256": "ab",
        **extra,
    }


def population(region: str, age: int, sex: str, n: int | None) -> dict[str, Any]:
    return {
        "region_code": region,
        "year": 2025,
        "age": age,
        "sex": sex,
        "population": n,
        "marker": None,
        "source_ref": "TAB638",
        "request_url": URL,
        "fetched_at": TS,
        "body_sha256": "ab",
    }


def kolada_values_frame() -> pd.DataFrame:
    return frame(
        raw.KOLADA_VALUES,
        [
            kolada_value("N15428", "1780", "T", 55.5),
            kolada_value("N15428", "1780", "K", None),
            kolada_value("N15428", "1780", "M", 100.0),
            kolada_value("N33812", "0017", "T", 12.0),
            kolada_value("N33812", "0000", "T", 0.0),
        ],
    )


SURVEY_INDICATORS = [
    Indicator(
        "survey_x_framtidstro", "Ser positivt på framtiden", "framtidstro", "survey:x", "Q1", "percent", True
    ),
    Indicator("survey_x_trivsel", "Trivsel, medel", "framjande_miljoer", "survey:x", "Q2", "mean", True),
]


def survey_row(indicator: str, region: str, sex: str, value: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "indicator_id": indicator,
        "survey": "x",
        "source": "survey:x",
        "source_ref": "x.csv",
        "region_code": region,
        "period_label": "2023/24",
        "period_start": 2023,
        "period_end": 2024,
        "sex": sex,
        "age_group": "15",
        "value": value,
        "ci_low": None,
        "ci_high": None,
        "n": 40.0,
        "n_asked": 60.0,
        "min_respondents": 10.0,
        "min_response_rate": 50.0,
        "low_precision_below": 30.0,
        "file_row": 2,
        "request_url": "file:///drop/x.csv#row=2",
        "fetched_at": TS,
        "body_sha256": "ab",
        **extra,
    }


def survey_frame() -> pd.DataFrame:
    return frame(
        raw.SURVEY_VALUES,
        [
            survey_row("survey_x_framtidstro", "1780", "total", 64.0, ci_low=60.0, ci_high=68.0),
            survey_row("survey_x_framtidstro", "1780", "female", 7.0, n=7.0, n_asked=None),
            survey_row("survey_x_trivsel", "17", "male", 3.4),
            survey_row("survey_x_trivsel", "17", "female", None),
        ],
    )


def pxweb_frame() -> pd.DataFrame:
    hlv = "fohm_hlv_svar_angslan_oro_angest"
    return frame(
        raw.PXWEB_VALUES,
        [
            px_value(hlv, "17", "total", 20.0, ci_low=17.5, ci_high=22.5, n=400.0),
            px_value(hlv, "00", "female", 25.0, ci_low=24.0, ci_high=26.0, n=9000.0),
            px_value("fohm_hbsc_roker_dagligen", "17", "male", None, marker=".."),
            px_value("fohm_hbsc_roker_dagligen", "17", "female", 0.0, marker="-"),
        ],
    )


def population_frame() -> pd.DataFrame:
    return frame(
        raw.SCB_POPULATION,
        [population(r, a, s, 100 + a) for r in REGIONS for a in (0, 1) for s in ("female", "male")],
    )


def fact_frame() -> pd.DataFrame:
    hlv = "fohm_hlv_svar_angslan_oro_angest"
    return frame(
        mart.FCT_INDICATOR_VALUE,
        [
            fact("kolada_n15428", "1780", "total", 55.5),
            fact("kolada_n15428", "1780", "female", None, status="Missing"),
            fact(
                "kolada_n33812",
                "17",
                "total",
                12.0,
                source_ref="N33812",
                rate_population=40000,
                rate_per_1000=0.3,
            ),
            fact(
                hlv,
                "17",
                "total",
                20.0,
                ci_low=17.5,
                ci_high=22.5,
                n=400.0,
                source="fohm",
                period_start=2021,
                period_end=2022,
            ),
            fact(
                "kolada_n33812",
                "1780",
                "total",
                12.0,
                source_ref="N33812",
                rate_population=40000,
                rate_per_1000=0.3,
                ci_low=6.2,
                ci_high=21.0,
                rate_ci_low=0.155,
                rate_ci_high=0.525,
                denominator=40000.0,
                ci_method="byar",
            ),
        ],
    )


def region_frame() -> pd.DataFrame:
    return frame(
        mart.DIM_REGION,
        [
            {"region_code": "00", "region_name": "Riket", "region_level": "country", "county_code": None},
            {
                "region_code": "17",
                "region_name": "Region Värmland",
                "region_level": "county",
                "county_code": "17",
            },
            {
                "region_code": "1780",
                "region_name": "Karlstad",
                "region_level": "municipality",
                "county_code": "17",
            },
        ],
    )


def indicator_frame() -> pd.DataFrame:
    rows = [
        {
            **vars(i),
            "higher_is_better": i.higher_is_better,
            "rate_ages": f"{i.rate_ages[0]}-{i.rate_ages[1]}" if i.rate_ages else None,
            "denominator_ages": (
                f"{i.denominator_ages[0]}-{i.denominator_ages[1]}" if i.denominator_ages else None
            ),
        }
        for i in load_catalog()
    ]
    return frame(mart.DIM_INDICATOR, rows)


def fact_population_frame() -> pd.DataFrame:
    rows = [
        population(r, a, s, 100 + a) for r in REGIONS for a in (0, 1) for s in ("female", "male", "total")
    ]
    return frame(mart.FCT_POPULATION, rows)


def set_cell(row: int, column: str, value: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def fault(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[row, column] = value
        return df

    return fault


def set_cells(row: int, **values: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def fault(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        for column, value in values.items():
            df.loc[row, column] = value
        return df

    return fault


def rename(old: str, new: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: df.rename(columns={old: new})


def retype(column: str, dtype: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: df.assign(**{column: df[column].astype(dtype)})


def duplicate(row: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: pd.concat([df, df.iloc[[row]]], ignore_index=True)


def append(row: int, **values: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """A copy of ``row`` with ``values`` set, added at the end."""
    return lambda df: set_cells(len(df), **values)(duplicate(row)(df))


def all_null(column: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: df.assign(**{column: pd.Series([None] * len(df), dtype=df[column].dtype)})


def drop_row(row: int) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: df.drop(index=row).reset_index(drop=True)


Case = tuple[str, Callable[[], core.Suite], Callable[[], pd.DataFrame]]
SUITES: dict[str, Case] = {
    "kolada_values": (
        "raw.kolada_values",
        lambda: raw.kolada_values(region_ids=["0000", "0017", "1780"]),
        kolada_values_frame,
    ),
    "kolada_municipality": (
        "raw.kolada_municipality",
        raw.kolada_municipality,
        lambda: frame(
            raw.KOLADA_MUNICIPALITY,
            [
                {"municipality_id": "0000", "title": "Riket", "type": "L"},
                {"municipality_id": "1780", "title": "Karlstad", "type": "K"},
            ],
        ),
    ),
    "kolada_kpi": (
        "raw.kolada_kpi",
        raw.kolada_kpi,
        lambda: frame(
            raw.KOLADA_KPI,
            [
                {
                    "kpi_id": i.source_ref,
                    "title": i.title,
                    "is_divided_by_gender": True,
                    "municipality_type": "K",
                    "operating_area": "Skola",
                }
                for i in load_catalog()
                if i.source == "kolada"
            ],
        ),
    ),
    "pxweb_values": ("raw.pxweb_values", raw.pxweb_values, pxweb_frame),
    "scb_population": ("raw.scb_population", raw.scb_population, population_frame),
    "survey_values": ("raw.survey_values", lambda: raw.survey_values(SURVEY_INDICATORS), survey_frame),
    "fct_indicator_value": (
        "mart.fct_indicator_value",
        lambda: mart.fct_indicator_value(None),
        fact_frame,
    ),
    "dim_region": ("mart.dim_region", mart.dim_region, region_frame),
    "dim_indicator": ("mart.dim_indicator", mart.dim_indicator, indicator_frame),
    "fct_population": ("mart.fct_population", lambda: mart.fct_population(), fact_population_frame),
    "raw_to_mart_rows": (
        "gate.raw_to_mart_rows",
        gates.reconciliation,
        lambda: pd.DataFrame(
            {
                "mart_table": ["fct_indicator_value", "fct_population"],
                "indicator_id": ["kolada_n15428", "population"],
                "raw_rows": [10, 20],
                "mart_rows": [10, 20],
            }
        ),
    ),
    "volume": (
        "gate.volume_vs_published",
        gates.volume,
        lambda: pd.DataFrame(
            {
                "source": ["kolada", "fohm"],
                "previous_rows": [100, 50],
                "current_rows": [95, 60],
                "kept_share": [0.95, 1.2],
            }
        ),
    ),
    "coverage": (
        "gate.coverage",
        gates.coverage,
        lambda: pd.DataFrame(
            {
                "indicator_id": ["a", "a"],
                "region_level": ["county", "municipality"],
                "present": [21, 280],
                "expected": [21, 290],
                "share": [1.0, 280 / 290],
            }
        ),
    ),
    "freshness": (
        "gate.freshness",
        gates.freshness,
        lambda: pd.DataFrame(
            {
                "source": ["kolada", "fohm"],
                "indicator_id": ["a", "b"],
                "newest_period": [2025, 2022],
                "age_years": [1.0, 4.0],
                "max_age_years": [2.0, 4.0],
            }
        ),
    ),
}

# (suite, planted fault, the one expectation that must fail)
FAULTS = [
    ("kolada_values", rename("gender", "sex"), "schema_columns"),
    ("kolada_values", retype("period", "str"), "schema_type_period"),
    ("kolada_values", set_cell(0, "value", 140.0), "share_within_0_100"),
    ("kolada_values", set_cell(3, "value", -1.0), "value_not_negative"),
    ("kolada_values", duplicate(0), "unique_key"),
    ("kolada_values", set_cell(0, "gender", "X"), "gender_accepted"),
    ("kolada_values", set_cell(0, "municipality_id", None), "not_null_municipality_id"),
    ("kolada_values", set_cell(3, "kpi_id", "N99999"), "kpi_in_catalogue"),
    ("kolada_values", set_cell(0, "municipality_id", "2999"), "region_known"),
    ("kolada_values", all_null("value"), "value_field_present"),
    ("kolada_values", set_cell(0, "count", -2), "count_not_negative"),
    ("kolada_values", all_null("count"), "field_present_count"),
    ("kolada_municipality", set_cell(1, "title", None), "not_null_title"),
    ("kolada_municipality", duplicate(1), "unique_key"),
    ("kolada_municipality", set_cell(1, "municipality_id", "17"), "code_four_digits"),
    ("kolada_municipality", set_cell(1, "type", "X"), "type_accepted"),
    ("kolada_municipality", rename("title", "name"), "schema_columns"),
    ("kolada_kpi", all_null("title"), "not_null_title"),
    ("kolada_kpi", all_null("operating_area"), "field_present_operating_area"),
    ("kolada_kpi", all_null("municipality_type"), "field_present_municipality_type"),
    ("kolada_kpi", drop_row(0), "every_catalogue_kpi"),
    ("kolada_kpi", duplicate(0), "unique_key"),
    ("kolada_kpi", append(0, kpi_id="N99999"), "kpi_in_catalogue"),
    ("pxweb_values", set_cell(3, "value", 140.0), "share_within_0_100"),
    ("pxweb_values", set_cell(0, "ci_low", 21.0), "ci_low_le_value"),
    ("pxweb_values", set_cell(0, "ci_high", 19.0), "value_le_ci_high"),
    ("pxweb_values", duplicate(1), "unique_key"),
    ("pxweb_values", set_cell(1, "sex", "both"), "sex_accepted"),
    ("pxweb_values", set_cell(1, "period_end", 2019), "period_ordered"),
    ("pxweb_values", set_cell(1, "n", -1.0), "n_not_negative"),
    ("pxweb_values", set_cell(2, "marker", "x"), "marker_accepted"),
    ("pxweb_values", set_cell(2, "region_code", "170"), "region_code_shape"),
    ("pxweb_values", set_cell(2, "indicator_id", "fohm_unknown"), "indicator_in_catalogue"),
    ("pxweb_values", rename("ci_high", "ci_upper"), "schema_columns"),
    ("pxweb_values", set_cell(0, "source", "ssb"), "source_accepted"),
    ("pxweb_values", all_null("value"), "value_field_present"),
    ("scb_population", set_cell(0, "population", -5), "population_not_negative"),
    ("scb_population", duplicate(0), "unique_key"),
    ("scb_population", set_cell(0, "age", 130), "age_range"),
    ("scb_population", set_cell(0, "sex", "both"), "sex_accepted"),
    ("scb_population", set_cell(0, "region_code", "123"), "region_code_shape"),
    ("scb_population", all_null("population"), "value_field_present"),
    ("survey_values", set_cell(1, "value", 140.0), "share_within_0_100"),
    ("survey_values", set_cell(0, "ci_low", 65.0), "ci_low_le_value"),
    ("survey_values", set_cell(0, "ci_high", 63.0), "value_le_ci_high"),
    ("survey_values", duplicate(2), "unique_key"),
    ("survey_values", set_cell(2, "sex", "both"), "sex_accepted"),
    ("survey_values", set_cell(2, "indicator_id", "survey_y"), "indicator_in_specs"),
    ("survey_values", set_cell(2, "source", "kolada"), "source_is_survey"),
    ("survey_values", set_cell(2, "region_code", "170"), "region_code_shape"),
    ("survey_values", set_cell(2, "period_end", 2020), "period_ordered"),
    ("survey_values", set_cell(2, "n", -1.0), "n_not_negative"),
    ("survey_values", set_cell(0, "n_asked", 30.0), "n_asked_not_below_n"),
    ("survey_values", set_cell(3, "min_respondents", 5.0), "min_respondents_not_below_default"),
    ("survey_values", set_cell(3, "min_response_rate", 40.0), "min_response_rate_not_below_default"),
    ("survey_values", set_cell(3, "low_precision_below", 20.0), "low_precision_below_not_below_default"),
    ("survey_values", rename("n", "respondents"), "schema_columns"),
    ("fct_indicator_value", set_cell(0, "value", 140.0), "share_within_0_100"),
    ("fct_indicator_value", set_cell(2, "value", -3.0), "value_not_negative"),
    ("fct_indicator_value", set_cell(3, "ci_high", 19.0), "value_le_ci_high"),
    ("fct_indicator_value", set_cell(3, "ci_low", 21.0), "ci_low_le_value"),
    ("fct_indicator_value", set_cell(1, "status", "ok"), "missing_value_not_ok"),
    ("fct_indicator_value", set_cell(2, "rate_per_1000", -0.1), "rate_not_negative"),
    ("fct_indicator_value", set_cell(4, "rate_ci_low", 0.5), "rate_ci_low_le_rate"),
    ("fct_indicator_value", set_cell(4, "rate_ci_high", 0.1), "rate_le_rate_ci_high"),
    ("fct_indicator_value", set_cell(2, "denominator", -1.0), "denominator_not_negative"),
    ("fct_indicator_value", set_cells(2, period_start=2026), "period_ordered"),
    ("fct_indicator_value", set_cell(3, "n", -1.0), "n_not_negative"),
    ("fct_indicator_value", set_cell(0, "source", "ssb"), "source_accepted"),
    ("dim_region", set_cell(2, "region_code", "178"), "code_shape"),
    ("dim_region", set_cell(2, "county_code", "1"), "county_code_shape"),
    ("dim_indicator", set_cell(0, "unit", "furlongs"), "unit_known"),
    ("dim_indicator", set_cell(0, "source", "ssb"), "source_accepted"),
    ("dim_indicator", set_cell(0, "rate_ages", "0 to 20"), "rate_ages_shape"),
    ("dim_indicator", set_cell(0, "denominator_ages", "15"), "denominator_ages_shape"),
    ("fct_population", set_cell(0, "population", -1), "population_not_negative"),
    ("fct_population", set_cell(0, "age", -1), "age_range"),
    ("raw_to_mart_rows", set_cell(0, "mart_rows", 9), "no_row_lost"),
    ("volume", set_cells(0, current_rows=85, kept_share=0.85), "volume_kept"),
    ("coverage", set_cell(1, "share", 0.5), "coverage"),
    ("freshness", set_cell(1, "age_years", 5.0), "newest_period_fresh"),
]
WARNINGS = {"type_accepted", "unit_known", "coverage", "newest_period_fresh", "every_catalogue_kpi"}


@pytest.mark.parametrize("key", list(SUITES))
def test_good_frame_passes(key: str) -> None:
    name, build, good = SUITES[key]
    outcome = core.validate(build(), good())
    assert outcome.suite == name
    assert outcome.failures == [], outcome.describe()
    assert outcome.skipped == []


@pytest.mark.parametrize(
    ("key", "fault", "expected"), FAULTS, ids=[f"{k}-{e}-{i}" for i, (k, _, e) in enumerate(FAULTS)]
)
def test_one_planted_fault_fails_that_expectation_only(key: str, fault: Callable, expected: str) -> None:
    _, build, good = SUITES[key]
    outcome = core.validate(build(), fault(good()))
    assert outcome.failed_names == {expected}, outcome.describe()
    (failure,) = outcome.failures
    assert failure.severity == (core.WARNING if expected in WARNINGS else core.CRITICAL)
    if failure.unexpected_count is not None:
        assert failure.unexpected_count >= 1
        assert failure.sample, "a failing row-level expectation names sample rows"


def test_every_suite_and_expectation_has_a_planted_fault_or_is_schema() -> None:
    planted = {(k, e) for k, _, e in FAULTS}
    for key, (_, build, _) in SUITES.items():
        names = {e.meta["name"] for e in build().expectations}
        untested = {
            n for n in names if (key, n) not in planted and not n.startswith(("schema_", "not_null_"))
        }
        # every catalogued PxWeb indicator is a share, so no PxWeb row is checked as a count yet
        # every catalogued PxWeb and example survey indicator is a share or a mean, not a count
        exempt = (
            {"row_count", "value_not_negative"} if key in ("pxweb_values", "survey_values") else {"row_count"}
        )
        assert untested <= exempt, f"{key}: no planted fault for {sorted(untested)}"


def test_renamed_column_is_one_schema_failure_and_the_rest_is_skipped() -> None:
    suite = raw.kolada_values(region_ids=["0000", "0017", "1780"])
    outcome = core.validate(suite, rename("value", "varde")(kolada_values_frame()))
    assert outcome.failed_names == {"schema_columns"}
    assert {"share_within_0_100", "value_not_negative", "value_field_present", "schema_type_value"} <= set(
        outcome.skipped
    )
    assert "varde" in outcome.failures[0].observed


def test_data_docs_are_written_and_keep_a_few_results(tmp_path: Path) -> None:
    quality = tmp_path / "quality"
    suite = raw.scb_population
    for run in range(gx_project.KEEP_RESULTS + 1):
        outcome = core.validate(suite(), population_frame(), quality, run_name=f"run{run}")
    assert outcome.docs == quality / "index.html"
    index = outcome.docs.read_text(encoding="utf-8")
    assert "scb_population" in index
    pages = list((quality / "validations").rglob("*.html"))
    assert len(pages) == gx_project.KEEP_RESULTS
    # a failing run is rendered too
    failed = core.validate(suite(), set_cell(0, "population", -5)(population_frame()), quality, "bad")
    assert failed.errors
    assert any("bad" in p.as_posix() for p in (quality / "validations").rglob("*.html"))


def test_data_docs_follow_a_warehouse_that_moved(tmp_path: Path) -> None:
    """The Data Docs site is written where the quality folder is now, not where GE's
    configuration first put it (a warehouse folder moved, or copied as the tests do)."""
    before, after = tmp_path / "before" / "quality", tmp_path / "after" / "quality"
    core.validate(raw.scb_population(), population_frame(), before, run_name="first")
    before.parent.rename(after.parent)
    core.validate(raw.scb_population(), population_frame(), after, run_name="moved")
    assert not before.exists()
    assert any("moved" in p.as_posix() for p in (after / "validations").rglob("*.html"))
    assert "moved" in (after / "index.html").read_text(encoding="utf-8")


def test_sharing_one_configuration_per_call_gives_ges_own_kwargs() -> None:
    """``expectations.gx_speed``: every expectation of every suite gets the same runtime, success
    and domain kwargs from the patched helpers as from GE's own, which build the configuration
    on each read."""
    from great_expectations.expectations.expectation import Expectation

    from expectations import gx_speed

    gx_speed.build_configuration_once_per_call()
    checked = 0
    for _, build, _ in SUITES.values():
        for expectation in build().expectations:
            for name in ("_get_runtime_kwargs", "_get_success_kwargs", "_get_domain_kwargs"):
                patched = getattr(Expectation, name)
                assert patched(expectation) == patched.__wrapped__(expectation), (name, expectation)
            for key in expectation.success_keys:
                patched = Expectation._get_success_kwarg
                assert patched(expectation, key) == patched.__wrapped__(expectation, key)
            checked += 1
    assert checked > 100


def test_config_variables_are_read_again_when_the_file_or_the_environment_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``expectations.gx_speed.read_config_variables_once``: a file context's variables come from
    its config variables file as GE reads it, read again after an edit or a new variable."""
    from great_expectations.core.config_provider import _ConfigurationVariablesConfigurationProvider

    from expectations import gx_speed

    gx_speed.read_config_variables_once()
    variables = tmp_path / "uncommitted" / "config_variables.yml"
    variables.parent.mkdir()
    variables.write_text("host: one\nurl: ${BARNHALSA_TEST_HOST}/x\n", encoding="utf-8")
    monkeypatch.setenv("BARNHALSA_TEST_HOST", "http://a")
    provider = _ConfigurationVariablesConfigurationProvider(
        "uncommitted/config_variables.yml", root_directory=str(tmp_path)
    )
    read = _ConfigurationVariablesConfigurationProvider.get_values
    assert read(provider) == read.__wrapped__(provider) == {"host": "one", "url": "http://a/x"}
    monkeypatch.setenv("BARNHALSA_TEST_HOST", "http://b")
    assert read(provider) == {"host": "one", "url": "http://b/x"}
    variables.write_text("host: two, and longer\n", encoding="utf-8")
    assert read(provider) == read.__wrapped__(provider) == {"host": "two, and longer"}
    variables.unlink()
    assert read(provider) == {}


DEFERRED_PROBE = """
import sys, types
import expectations, great_expectations
from expectations import gx_speed
print(sorted(n for n in gx_speed.DEFERRED if type(sys.modules.get(n)) is not types.ModuleType))
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print(round(float(kl.stats.entropy([0.5, 0.5], [0.25, 0.75])), 4), kl.alt.Chart.__name__)
import scipy.stats.distributions
print(sorted(n for n in gx_speed.DEFERRED if type(sys.modules.get(n)) is not types.ModuleType))
"""


def test_ge_imports_without_the_modules_no_suite_uses_and_they_work_when_used() -> None:
    """``expectations.gx_speed.defer_unused_imports``: GE imported through this package leaves
    ``scipy.stats`` and ``altair`` unloaded (a new process, as a run's is); an expectation that
    uses them gets the real modules on first use."""
    import os
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", DEFERRED_PROBE],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
    )
    standing_in, used, loaded = done.stdout.splitlines()
    assert standing_in == "['altair', 'scipy.stats']"
    assert used == "0.1438 Chart"  # KL divergence of (1/2, 1/2) from (1/4, 3/4), in nats
    assert loaded == "[]"
