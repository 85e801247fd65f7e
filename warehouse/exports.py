"""The published mart's exports: Parquet (descriptions in its key-value metadata) and CSV for
Swedish Excel (UTF-8 with BOM, ``;``, decimal comma) per table, and the analyst views as one
workbook ``barnhalsa.xlsx`` (``warehouse.workbook``)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import duckdb

from warehouse.workbook import write_workbook

EXPORT_SUFFIXES = (".parquet", ".csv", ".xlsx")
WORKBOOK = "barnhalsa.xlsx"
CSV_BOM = b"\xef\xbb\xbf"


def sql_str(text: str) -> str:
    """``text`` inside a SQL string literal."""
    return text.replace("'", "''")


def write_exports(
    con: duckdb.DuckDBPyConnection,
    database: str,
    names: list[str],
    comments: dict[str, dict[str, str]],
    folder: Path,
) -> dict[str, float]:
    """Parquet and CSV per table, the workbook of the views; seconds spent per format."""
    seconds = {"parquet": 0.0, "csv": 0.0, "xlsx": 0.0}
    for name in names:
        relation = f'{database}.main."{name}"'
        started = time.perf_counter()
        _write_parquet(con, relation, comments.get(name, {}), folder / f"{name}.parquet")
        seconds["parquet"] += time.perf_counter() - started
        started = time.perf_counter()
        _write_csv(con, relation, folder / f"{name}.csv")
        seconds["csv"] += time.perf_counter() - started
    views = [n for n in names if n.startswith("v_")]
    if views:
        started = time.perf_counter()
        write_workbook(con, database, views, comments, folder / WORKBOOK)
        seconds["xlsx"] = time.perf_counter() - started
    return {k: round(v, 2) for k, v in seconds.items()}


def _write_parquet(
    con: duckdb.DuckDBPyConnection, relation: str, described: dict[str, str], path: Path
) -> None:
    """The table as Parquet; its description and its columns' (JSON) in the key-value metadata."""
    columns = {k: v for k, v in described.items() if k}
    metadata = {
        "description": described.get("", ""),
        "column_descriptions": json.dumps(columns, ensure_ascii=False),
    }
    kv = ", ".join(f"{key}: '{sql_str(value)}'" for key, value in metadata.items())
    con.execute(f"copy {relation} to '{sql_str(str(path))}' (format parquet, kv_metadata {{{kv}}})")


def _csv_expression(column: str, data_type: str) -> str:
    """A column as Swedish Excel reads it: decimal comma, times in UTC without offset."""
    quoted = f'"{column}"'
    if data_type in ("DOUBLE", "FLOAT", "REAL") or data_type.startswith("DECIMAL"):
        return f"replace(cast({quoted} as varchar), '.', ',') as {quoted}"
    if data_type == "TIMESTAMP WITH TIME ZONE":
        return f"strftime({quoted} at time zone 'UTC', '%Y-%m-%d %H:%M:%S') as {quoted}"
    return quoted


def _write_csv(con: duckdb.DuckDBPyConnection, relation: str, path: Path) -> None:
    """UTF-8 with BOM, ';' between fields, decimal comma: Swedish Excel opens it as columns."""
    columns = con.execute(f"select column_name, column_type from (describe {relation})").fetchall()
    select = ", ".join(_csv_expression(c, t) for c, t in columns)
    body = path.with_name(path.name + ".body")
    con.execute(
        f"copy (select {select} from {relation}) to '{sql_str(str(body))}'"
        " (format csv, header, delimiter ';')"
    )
    with path.open("wb") as out, body.open("rb") as src:
        out.write(CSV_BOM)
        shutil.copyfileobj(src, out, 1 << 20)
    body.unlink()
