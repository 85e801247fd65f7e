"""Every BI client opens the mart: a DuckDB 1.x-readable file, Swedish labels, CSV and XLSX exports.

The published file is written in storage version v1.5.6 so that the DuckDB 1.x CLI (the dev
dependency ``duckdb-cli`` 1.5.6) and the 1.x ODBC / JDBC drivers read it; the tests open it with
that CLI, as an analyst would.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest.settings import Settings
from tests.conftest import Published
from warehouse.exports import WORKBOOK
from warehouse.publish import STORAGE_VERSION, publish_mart

ROOT = Path(__file__).resolve().parents[1]
DUCKDB_CLI = Path(sys.executable).with_name("duckdb")
CLI_VERSION = "v1.5.6"


def cli(mart: Path, sql: str, mode: str = "csv") -> str:
    """Run ``sql`` with the DuckDB 1.x CLI on ``mart`` opened read-only; its output."""
    if not DUCKDB_CLI.exists():
        pytest.fail(f"{DUCKDB_CLI} missing: the dev dependency duckdb-cli is not installed (make install)")
    done = subprocess.run(
        [str(DUCKDB_CLI), "-readonly", f"-{mode}", "-nullvalue", "", str(mart), "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    return done.stdout


def cli_rows(mart: Path, sql: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(cli(mart, sql))))


def storage_format(path: Path) -> int:
    """The database file's format number (DuckDB's main header, after the 8-byte checksum)."""
    header = path.read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    return struct.unpack("<Q", header[12:20])[0]


def make_build_db(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema mart")
        con.execute(
            "create table mart.v_demo as select 'kolada_n15428' as indicator_id, 'Flickor' as sex_label,"
            " 76.25::double as value, date '2024-01-01' as period_date,"
            " timestamptz '2026-12-01 10:00:00+00' as fetched_at, true as is_latest"
            " union all select 'x', 'Pojkar', null, date '2023-01-01', null, false"
        )
        con.execute("create table mart.dim_demo as select 'Å' as code")
        con.execute("comment on table mart.v_demo is 'Demo view; with ''quotes'''")
        con.execute("comment on column mart.v_demo.value is 'Värdet (%)'")


def test_published_file_is_read_by_the_duckdb_1x_cli_with_comments_and_exports(tmp_path: Path) -> None:
    build, mart, export = tmp_path / "build.duckdb", tmp_path / "mart.duckdb", tmp_path / "export"
    make_build_db(build)
    publication = publish_mart(build, mart, run_id="r1", export_dir=export)
    assert STORAGE_VERSION == "v1.5.6"
    assert storage_format(mart) == 68  # DuckDB 2.0's own format, 69, is refused by every 1.x client
    assert cli(mart, "select version()").strip().splitlines()[-1] == CLI_VERSION
    assert cli_rows(mart, "select indicator_id, value from v_demo order by 1") == [
        {"indicator_id": "kolada_n15428", "value": "76.25"},
        {"indicator_id": "x", "value": ""},
    ]
    comments = cli_rows(
        mart,
        "select table_name, column_name, comment from duckdb_columns() where comment is not null"
        " union all select table_name, '', comment from duckdb_tables() where comment is not null"
        " order by 1, 2",
    )
    assert {"table_name": "v_demo", "column_name": "value", "comment": "Värdet (%)"} in comments
    assert {"table_name": "v_demo", "column_name": "", "comment": "Demo view; with 'quotes'"} in comments
    assert any(c["table_name"] == "meta_publication" and c["column_name"] == "run_id" for c in comments)

    assert sorted(publication.exports) == sorted(
        [WORKBOOK]
        + [f"{n}.{s}" for n in ("dim_demo", "meta_publication", "v_demo") for s in ("csv", "parquet")]
    )
    assert set(publication.export_seconds) == {"parquet", "csv", "xlsx"}
    # Parquet: the descriptions in the key-value metadata
    with duckdb.connect() as con:
        kv = dict(
            (k.decode(), v.decode())
            for k, v in con.execute(
                f"select key, value from parquet_kv_metadata('{export / 'v_demo.parquet'}')"
            ).fetchall()
        )
    assert kv["description"] == "Demo view; with 'quotes'"
    assert json.loads(kv["column_descriptions"]) == {"value": "Värdet (%)"}
    # CSV as Swedish Excel opens it: BOM, semicolons, decimal comma, UTC times without offset
    raw = (export / "v_demo.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw[3:].decode("utf-8").splitlines()
    assert lines[0] == "indicator_id;sex_label;value;period_date;fetched_at;is_latest"
    assert lines[1] == "kolada_n15428;Flickor;76,25;2024-01-01;2026-12-01 10:00:00;true"
    assert lines[2] == "x;Pojkar;;2023-01-01;;false"
    assert (export / "dim_demo.csv").read_bytes() == b"\xef\xbb\xbfcode\n\xc3\x85\n"
    # XLSX: a sheet per view (v_*) and one describing the columns
    from openpyxl import load_workbook

    book = load_workbook(export / WORKBOOK, read_only=True)
    assert book.sheetnames == ["Kolumner", "v_demo"]
    rows = list(book["v_demo"].iter_rows(values_only=True))
    assert rows[0] == ("indicator_id", "sex_label", "value", "period_date", "fetched_at", "is_latest")
    assert rows[1][:3] == ("kolada_n15428", "Flickor", 76.25) and rows[1][5] is True
    assert rows[1][3].date().isoformat() == "2024-01-01"
    assert ("v_demo", "value", "Värdet (%)") in list(book["Kolumner"].iter_rows(values_only=True))
    book.close()


def test_duckdb_renders_each_workbook_cell_as_the_python_writer_does() -> None:
    """The workbook's cells rendered in SQL (``cell_sql``) are the ones the Python writer
    (``cell_writer``) makes of the same values: NULL, non-finite and negative zero doubles,
    decimals, dates, timestamps with microseconds, XML's special and invalid characters."""
    from warehouse.workbook import cell_sql, cell_writer

    con = duckdb.connect()
    con.execute(
        "create table t (i bigint, n integer, d double, m decimal(6, 3), b boolean, day date,"
        ' stamp timestamptz, naive timestamp, s varchar, "odd ""name""" varchar)'
    )
    con.execute("set TimeZone = 'Europe/Stockholm'")  # a reader's zone: cells are in UTC
    con.executemany(
        "insert into t values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [None] * 10,
            [1, -7, 76.25, 76.25, True, "2024-01-01", "2026-12-01 10:00:00.123456+00",
             "1899-12-30 00:00:00.000001", "a & b < c > d \"e\" 'f'", "Åk 9 \x01\x0b\x1f\tok\n"],
            [2**62, 0, 1e-05, -0.5, False, "1900-03-01", "1970-01-01 00:00:00+01",
             "2030-06-30 23:59:59.999999", "", " "],
            [-1, 2**31 - 1, float("inf"), 0, None, "2100-12-31", None, None, "x" * 300, "ï"],
            [0, None, float("nan"), None, True, None, "2024-03-31 01:59:59+01", None, "<&>", None],
            [3, 1, -0.0, 100, None, None, None, None, None, None],
            [4, 1, 1e16, 1, None, None, None, None, None, None],
            [5, 1, 0.1 + 0.2, 1, None, None, None, None, None, None],
        ],
    )  # fmt: skip
    described = con.execute("select column_name, column_type from (describe t)").fetchall()
    rows = con.execute("select * from t").fetchall()
    for index, (column, sql_type) in enumerate(described):
        sql = cell_sql(column, sql_type)
        assert sql is not None, sql_type
        rendered = [r[0] for r in con.execute(f"select {sql} from t").fetchall()]
        write = cell_writer(sql_type)
        assert rendered == [write(row[index]) for row in rows], column
    assert cell_sql("l", "INTEGER[]") is None  # left to the Python writer


def readme_karlstad_query() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### One question, one query") :]
    return re.search(r"```sql\n(.*?)```", section, re.S).group(1)


def test_full_mart_opens_in_the_duckdb_1x_cli_with_labels(published: Published) -> None:
    """The real pipeline's mart: the README's Karlstad query in the 1.x CLI, Swedish labels,
    one lower-case status vocabulary, is_latest and the exports beside it."""
    mart = published.mart
    assert storage_format(mart) == 68
    karlstad = cli_rows(mart, readme_karlstad_query())
    assert karlstad and {r["protective_factor"] for r in karlstad} >= {"fullfolja_studier"}
    assert {r["got_worse"] for r in karlstad} <= {"true", "false", ""}

    statuses = {
        row["status"]: row["label_sv"] for row in csv.DictReader((ROOT / "catalog/statuses.csv").open())
    }
    with duckdb.connect(str(mart), read_only=True) as con:
        used = dict(con.execute("select distinct status, status_label from fct_indicator_value").fetchall())
        assert used and all(statuses[s] == label for s, label in used.items())  # lower case, all labelled
        kolada_missing = con.execute(
            "select distinct status from fct_indicator_value where source_marker = 'Missing'"
        ).fetchall()
        assert kolada_missing == [("missing",)]
        labels = set(
            con.execute(
                "select distinct i.adult_measure, f.sex, f.sex_label from fct_indicator_value f"
                " join dim_indicator i using (indicator_id)"
            ).fetchall()
        )
        assert (False, "female", "Flickor") in labels and (False, "male", "Pojkar") in labels
        assert (True, "female", "Kvinnor") in labels and (False, "total", "Totalt") in labels
        assert not {(a, s, lab) for a, s, lab in labels if lab in ("Kvinnor", "Män")} - {
            (True, "female", "Kvinnor"),
            (True, "male", "Män"),
        }
        pf = con.execute(
            "select distinct protective_factor, protective_factor_label from v_indicator_comparison"
        ).fetchall()
        assert ("fullfolja_studier", "Fullföljda studier") in pf and all(label for _, label in pf)
        # is_latest: one period per indicator and age group, the newest with a value
        latest = con.execute(
            "with newest as (select indicator_id, age_group, max(period_end) as newest"
            "   from fct_indicator_value where value is not null group by all)"
            " select f.indicator_id, f.age_group, count(distinct (f.period_start, f.period_end)),"
            "   max(f.period_end) = any_value(n.newest)"
            " from fct_indicator_value f join newest n using (indicator_id, age_group)"
            " where f.is_latest group by all"
        ).fetchall()
        assert latest and all(n == 1 and newest for _, _, n, newest in latest)
        assert con.execute(
            "select count(*) from fct_indicator_value where period_date <> make_date(period_end, 1, 1)"
        ).fetchone() == (0,)
        (comment,) = con.execute(
            "select comment from duckdb_columns() where table_name = 'fct_indicator_value'"
            " and column_name = 'sex_label'"
        ).fetchone()
        assert comment.startswith("Swedish label of sex")
    export = published.warehouse / "export"
    assert (export / WORKBOOK).exists() and (export / "v_indicator_comparison.csv").exists()


def test_the_storage_version_can_be_lowered_for_duckdb_1_4_drivers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB 1.4 reads formats 64-67 only; BARNHALSA_STORAGE_VERSION=v1.4.0 writes 67."""
    from warehouse.publish import PublishError

    build, mart = tmp_path / "build.duckdb", tmp_path / "mart.duckdb"
    make_build_db(build)
    monkeypatch.setenv("BARNHALSA_STORAGE_VERSION", "v1.4.0")
    publish_mart(build, mart, storage_version=Settings.from_environment().storage_version)
    assert storage_format(mart) == 67
    assert cli_rows(mart, "select count(*) as n from v_demo") == [{"n": "2"}]
    monkeypatch.setenv("BARNHALSA_STORAGE_VERSION", "1.4")
    with pytest.raises(PublishError, match="BARNHALSA_STORAGE_VERSION='1.4'"):
        publish_mart(build, mart, storage_version=Settings.from_environment().storage_version)
    assert storage_format(mart) == 67  # the published file stays as it was
