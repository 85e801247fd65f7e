"""A long-lived reader sees each new publication: DuckDB caches an opened file per process, so a
plain reconnect while another connection stays open returns the old publication."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.publish import open_published, publish_mart


def build(build_db: Path, value: str) -> None:
    with duckdb.connect(str(build_db)) as con:
        con.execute("create schema if not exists mart")
        con.execute(f"create or replace table mart.t as select '{value}' as v")


def test_open_published_sees_the_new_publication_while_old_connections_stay_open(tmp_path: Path) -> None:
    build_db, mart = tmp_path / "build.duckdb", tmp_path / "mart.duckdb"
    build(build_db, "first")
    publish_mart(build_db, mart, run_id="one")
    holder = duckdb.connect(str(mart), read_only=True)  # e.g. a BI tool or a notebook in the process
    assert holder.execute("select v from t").fetchall() == [("first",)]

    build(build_db, "second")
    publish_mart(build_db, mart, run_id="two")
    with duckdb.connect(str(mart), read_only=True) as plain:  # DuckDB's cached instance: the old file
        assert plain.execute("select v from t").fetchall() == [("first",)]
    with open_published(mart) as fresh:
        assert fresh.execute("select v, (select run_id from meta_publication) from t").fetchall() == [
            ("second", "two")
        ]
    assert holder.execute("select v from t").fetchall() == [("first",)]  # a reader keeps its file
    holder.close()
