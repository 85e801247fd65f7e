"""Publish the mart: copy the built mart schema into a new file and swap it in atomically.

Readers that hold the published file open keep reading the old file (its inode lives
on until they close it) and never block the pipeline, because the pipeline never opens
the published file for writing. A failure before the swap leaves the old file as it was.

The analyst views (``v_*``) are dbt models materialised as tables, so they are copied like
every other table: a reader opening the file read-only gets them precomputed (no query
over the fact table, no reference to the build database that a recreated view would need
rewriting for), and they can never disagree with the tables of the same publication.

Every table is also exported as ``<export_dir>/<name>.parquet``. The files are written into
a staging folder before the swap; only after the mart is swapped in is each one renamed over
its predecessor, so a failed run leaves the previous export readable.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

MART_SCHEMA = "mart"


class PublishError(RuntimeError):
    """The mart could not be published; the previously published file is untouched."""


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]
    published_at: str
    bytes: int
    exports: dict[str, int] = field(default_factory=dict)  # file name -> bytes


def publish_mart(
    build_db: Path, mart_db: Path, run_id: str = "", export_dir: Path | None = None
) -> Publication:
    """Copy every table of the build's ``mart`` schema into ``mart_db`` via an atomic swap.

    With ``export_dir``, also write each table as Parquet there (see the module docstring).
    """
    if not build_db.exists():
        raise PublishError(f"build database {build_db} does not exist; nothing to publish")
    mart_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = mart_db.with_name(f"{mart_db.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    tables: dict[str, int] = {}
    staging = export_dir / f".staging-{os.getpid()}" if export_dir is not None else None
    try:
        with duckdb.connect(str(tmp)) as con:
            con.execute("attach ? as build (read_only)", [str(build_db)])
            names = [
                r[0]
                for r in con.execute(
                    "select table_name from duckdb_tables()"
                    " where database_name = 'build' and schema_name = ? order by table_name",
                    [MART_SCHEMA],
                ).fetchall()
            ]
            if not names:
                raise PublishError(f"{build_db} has no tables in schema '{MART_SCHEMA}'")
            for name in names:
                con.execute(f'create table main."{name}" as select * from build.{MART_SCHEMA}."{name}"')
                (tables[name],) = con.execute(f'select count(*) from main."{name}"').fetchone()
            con.execute(
                "create table main.meta_publication as select"
                " cast(? as timestamptz) as published_at, ? as run_id",
                [published_at, run_id],
            )
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
                staging.mkdir(parents=True)
                for name in [*tables, "meta_publication"]:
                    target = str(staging / f"{name}.parquet")
                    con.execute(f"copy main.\"{name}\" to '{_sql_str(target)}' (format parquet)")
            con.execute("detach build")
            con.execute("checkpoint")
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, mart_db)
        dir_fd = os.open(mart_db.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    exports = _swap_exports(staging, export_dir) if staging is not None and export_dir is not None else {}
    return Publication(mart_db, tables, published_at, mart_db.stat().st_size, exports)


def open_published(mart_db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection that sees the publication on disk now.

    DuckDB caches an opened database per process and path: ``duckdb.connect(path)`` while any
    connection to that path is still open in the process returns the cached instance, i.e. the
    publication that was current when it was first opened. Attaching the file to a new
    in-memory database opens it afresh, so a long-lived reader sees each new publication.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{_sql_str(str(mart_db))}' as mart (read_only)")
        con.execute("use mart")
    except BaseException:
        con.close()
        raise
    return con


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def _swap_exports(staging: Path, export_dir: Path) -> dict[str, int]:
    """Rename each staged Parquet file over its predecessor; drop files of tables that are gone."""
    exports: dict[str, int] = {}
    fresh = sorted(staging.glob("*.parquet"))
    for path in fresh:
        exports[path.name] = path.stat().st_size
        os.replace(path, export_dir / path.name)
    for old in export_dir.glob("*.parquet"):
        if old.name not in exports:
            old.unlink()
    shutil.rmtree(staging, ignore_errors=True)
    return exports
