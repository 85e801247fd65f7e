"""DataFrames the suites validate, read from DuckDB over read-only connections.

Each read attaches its database file read-only to one in-memory DuckDB instance of the process
and detaches it after, so no lock outlives the read: a run reads about 20 times, and a new DuckDB
instance costs about 20 ms of CPU (it registers every function) where attaching a file costs 4.

Column dtypes are fixed by the DuckDB type (``core.PANDAS_DTYPES``), not by whether a column
happens to hold a NULL, so a dtype expectation fails only when the table's type changed.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
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


_LOCK = threading.Lock()
_ATTACHED: dict[str, list] = {}  # resolved path -> [alias, readers]; a file attaches under one alias
_ALIASES = itertools.count()


@functools.cache
def _instance() -> duckdb.DuckDBPyConnection:
    """The process's in-memory DuckDB the reads attach their files to (made under ``_LOCK``)."""
    instance = duckdb.connect(":memory:")
    instance.execute("set global TimeZone = 'UTC'")  # every cursor's session
    return instance


@contextmanager
def connect(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on ``db`` (its default database), in UTC; detached when the last
    reader of the file is done."""
    path = str(Path(db).resolve())
    with _LOCK:
        instance = _instance()
        if path not in _ATTACHED:
            alias = f"read_{next(_ALIASES)}"
            quoted = path.replace("'", "''")
            instance.execute(f"attach '{quoted}' as {alias} (read_only)")
            _ATTACHED[path] = [alias, 0]
        _ATTACHED[path][1] += 1
        alias = _ATTACHED[path][0]
        cursor = instance.cursor()
    try:
        cursor.execute(f"use {alias}")
        yield cursor
    finally:
        cursor.close()
        with _LOCK:
            _ATTACHED[path][1] -= 1
            if _ATTACHED[path][1] == 0:
                del _ATTACHED[path]
                instance.execute(f"detach {alias}")


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
