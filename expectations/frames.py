"""DataFrames the suites validate, read from DuckDB over read-only connections.

Column dtypes are fixed by the DuckDB type (``core.PANDAS_DTYPES``), not by whether a column
happens to hold a NULL, so a dtype expectation fails only when the table's type changed.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from expectations.core import PANDAS_DTYPES

SQL_TYPES = {
    "VARCHAR": "varchar",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "DATE": "date",
}


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    return con


def query(db: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    """A query's result with DuckDB's types mapped to stable pandas dtypes."""
    with connect(db) as con:
        rel = con.execute(sql, params or [])
        types = [str(d[1]) for d in rel.description]
        df = rel.df()
    return _normalise(df, types)


def read_table(db: Path, table: str) -> pd.DataFrame:
    """Every row of ``schema.table``."""
    return query(db, f"select * from {table}")


def _normalise(df: pd.DataFrame, types: list[str]) -> pd.DataFrame:
    casts = {}
    for column, sql_type in zip(df.columns, types, strict=True):
        dtype = PANDAS_DTYPES.get(SQL_TYPES.get(sql_type.upper(), ""))
        if dtype and str(df[column].dtype) != dtype:
            casts[column] = dtype
    return df.astype(casts) if casts else df
