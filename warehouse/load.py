"""Load tidy rows into the build database's ``raw`` schema with explicit column types."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from warehouse.raw_tables import RAW_TABLES

RAW_SCHEMA = "raw"


def replace_raw_table(db_path: Path, table: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Replace ``raw.<table>`` with ``rows`` on its columns in ``RAW_TABLES``; JSON nulls stay SQL
    NULL. Returns the row count.

    Rows go through newline-delimited JSON and DuckDB's own reader, so types are the
    declared ones and a missing value can never turn into 0 or NaN.
    """
    columns = RAW_TABLES[table]
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="barnhalsa-load-") as tmp:
        path = Path(tmp) / f"{table}.ndjson"
        with path.open("w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False))
                out.write("\n")
        struct = ", ".join(f"'{name}': '{sql_type}'" for name, sql_type in columns.items())
        select_list = ", ".join(f'"{name}"' for name in columns)
        with duckdb.connect(str(db_path)) as con:
            con.execute(f"create schema if not exists {RAW_SCHEMA}")
            con.execute(
                f"create or replace table {RAW_SCHEMA}.{table} as select {select_list}"
                f" from read_json(?, format='newline_delimited', columns={{{struct}}})",
                [str(path)],
            )
            (count,) = con.execute(f"select count(*) from {RAW_SCHEMA}.{table}").fetchone()
    return int(count)


def read_raw_table(db_path: Path, table: str) -> list[dict[str, Any]]:
    """Every row of ``raw.<table>`` as dicts, read-only; empty when the table is not there yet."""
    if not db_path.exists():
        return []
    with duckdb.connect(str(db_path), read_only=True) as con:
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [RAW_SCHEMA, table],
        ).fetchone()[0]
        if not exists:
            return []
        cursor = con.execute(f'select * from {RAW_SCHEMA}."{table}"')
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
