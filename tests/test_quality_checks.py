"""The GE suites as Dagster checks: severities, blocking flags and stable dtypes from DuckDB."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
from dagster import AssetCheckSeverity

from expectations import registry
from expectations.core import CRITICAL, WARNING, Failure, Outcome
from expectations.frames import read_table
from orchestration.quality import GATES, QUALITY_CHECKS, check_result


def outcome(*severities: str) -> Outcome:
    failures = [
        Failure(f"rule_{i}", "expect_x(value)", s, 2, "", [{"value": 140.0}])
        for i, s in enumerate(severities)
    ]
    return Outcome("raw.t", 10, 5, failures, [], 0.1)


def test_errors_block_warnings_only_warn() -> None:
    assert check_result(outcome()).passed
    warned = check_result(outcome(WARNING))
    assert not warned.passed and warned.severity == AssetCheckSeverity.WARN
    failed = check_result(outcome(WARNING, CRITICAL))
    assert not failed.passed and failed.severity == AssetCheckSeverity.ERROR
    assert failed.metadata["failing_expectations"].value == "rule_0, rule_1"
    assert failed.metadata["failing_rows"].value == 4
    assert failed.metadata["failing_rows_sample"].value["rule_1"] == [{"value": 140.0}]
    assert "rule_1" in failed.metadata["failures"].value


def test_raw_and_mart_checks_block_coverage_and_freshness_do_not() -> None:
    blocking = {spec.name: spec.blocking for check in QUALITY_CHECKS for spec in check.check_specs}
    assert len(blocking) == len(GATES) == 14
    assert {name for name, b in blocking.items() if not b} == {"ge_coverage", "ge_freshness"}
    assert all(
        blocking[f"ge_raw_{t}"]
        for t in ("kolada_values", "kolada_kpi", "pxweb_values", "scb_population", "survey_values")
    )


def test_dtypes_follow_the_duckdb_type_not_the_nulls(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema raw")
        con.execute(
            "create table raw.a as select 1::integer i, 2::bigint b, true c, 'x' s, 1.5 d,"
            " timestamptz '2026-01-01 00:00:00+00' t"
        )
        con.execute("create table raw.b as select null::integer i, null::bigint b, null::boolean c,"
                    " null::varchar s, null::double d, null::timestamptz t")  # fmt: skip
    a, b = read_table(db, "raw.a"), read_table(db, "raw.b")
    assert [str(t) for t in a.dtypes] == [str(t) for t in b.dtypes]
    assert [str(t) for t in a.dtypes] == [
        "Int32",
        "Int64",
        "boolean",
        "str",
        "float64",
        "datetime64[us, UTC]",
    ]


def test_every_registered_suite_is_a_check() -> None:
    assert set(registry.SUITES) == {g.suite_name for g in GATES}
    assert set(registry.FRAMES) <= set(registry.SUITES)


def test_loading_the_definitions_does_not_import_great_expectations() -> None:
    code = "import sys, orchestration.definitions; print('great_expectations' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == "False"


def test_an_unknown_region_code_blocks_naming_source_table_and_code(tmp_path: Path) -> None:
    """The one owner of "every region code is in dim_region" (no dbt or GE copy of the rule)."""
    from orchestration.checks import population_region_codes_known, region_codes_known
    from orchestration.resources import WarehouseResource

    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        con.execute("create schema mart")
        con.execute(
            "create table mart.dim_region as select * from (values ('00'), ('17'), ('1780')) t(region_code)"
        )
        con.execute(
            "create table mart.fct_indicator_value as select * from (values ('kolada', 'N15428', '1780'),"
            " ('fohm', 'MobbningReg.px', '2999'), ('fohm', 'MobbningReg.px', '2999'))"
            " t(source, source_ref, region_code)"
        )
        con.execute(
            "create table mart.fct_population as select * from (values ('17'), ('1781')) t(region_code)"
        )
    warehouse = WarehouseResource(dir=str(tmp_path))
    values = region_codes_known(warehouse=warehouse)
    assert not values.passed
    assert (
        values.description
        == "Region codes not in dim_region: fohm: table MobbningReg.px has region code '2999' (2 rows)"
    )
    population = population_region_codes_known(warehouse=warehouse)
    assert (
        not population.passed
        and "scb: table TAB638 has region code '1781' (1 rows)" in population.description
    )
    with duckdb.connect(str(tmp_path / "build.duckdb")) as con:
        con.execute("delete from mart.fct_indicator_value where region_code = '2999'")
    assert region_codes_known(warehouse=warehouse).passed


def test_a_suites_read_leaves_no_lock_and_sees_only_its_own_file(tmp_path: Path) -> None:
    """``frames`` attaches each file to one in-memory DuckDB for the read alone: another process
    can write the file right after, the next read sees that, and a catalogue query inside a read
    names only the tables of the file read, even while another file is attached too."""
    from expectations import frames
    from expectations.gates import _volume

    build, published = tmp_path / "build.duckdb", tmp_path / "published.duckdb"
    for db, table in ((build, "fct_indicator_value"), (published, "other")):
        with duckdb.connect(str(db)) as con:
            con.execute("create schema mart")
            con.execute(f"create table mart.{table} as select 'kolada' as source")
    assert read_table(build, "mart.fct_indicator_value")["source"].tolist() == ["kolada"]
    insert = "insert into mart.fct_indicator_value values ('scb')"
    write = f"import duckdb; duckdb.connect({str(build)!r}).execute({insert!r})"
    subprocess.run([sys.executable, "-c", write], check=True, timeout=60)
    assert sorted(read_table(build, "mart.fct_indicator_value")["source"]) == ["kolada", "scb"]
    with frames.connect(build):  # the build database attached while the published one is read
        assert _volume(published, "mart").empty  # its table "other" is not one VOLUME_SQL counts
    assert _volume(build, "mart").to_dict("records") == [
        {"source": "kolada", "n": 1},
        {"source": "scb", "n": 1},
    ]
    assert frames._ATTACHED == {}
