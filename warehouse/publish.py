"""Publish the mart: copy the built mart schema into a new file and swap it in atomically.

Readers that hold the published file open keep reading the old file (its inode lives
on until they close it) and never block the pipeline, because the pipeline never opens
the published file for writing. A failure before the swap leaves the old file as it was.

The analyst views (``v_*``) are dbt models materialised as tables, so they are copied like
every other table: a reader opening the file read-only gets them precomputed (no query
over the fact table, no reference to the build database that a recreated view would need
rewriting for), and they can never disagree with the tables of the same publication.

The file is written in DuckDB's storage format ``STORAGE_VERSION`` (v1.5.6, file format 68), not
DuckDB 2.0's own (69): the DuckDB 1.x CLI and the 1.x ODBC, JDBC and .NET drivers behind Power
BI, Excel, DBeaver and Tableau read the one and refuse the other. Table and column descriptions
(dbt's docs, persisted in the build database) are kept as ``COMMENT ON`` in the file.

Every table is also exported (``warehouse.exports``: Parquet, CSV and the views' workbook). The
files are written into a staging folder before the swap; only after the mart is swapped in
is each one renamed over its predecessor, so a failed run leaves the previous export readable.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest import settings
from warehouse.exports import EXPORT_SUFFIXES, sql_str, write_exports

MART_SCHEMA = "mart"
# The newest storage format DuckDB 1.x reads (1.5.x reads 64-68; 2.0 writes 69 by default).
# DuckDB 1.4 reads 64-67 only: BARNHALSA_STORAGE_VERSION=v1.4.0 writes a file it opens.
STORAGE_VERSION = "v1.5.6"
STORAGE_VERSION_ENV = settings.STORAGE_VERSION
META_PUBLICATION_COMMENTS = {
    "": "When this file was published, and by which Dagster run.",
    "published_at": "Time of publication (UTC).",
    "run_id": "The Dagster run that published this file.",
}


class PublishError(RuntimeError):
    """The mart could not be published; the previously published file is untouched."""


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: dict[str, int]
    published_at: str
    bytes: int
    exports: dict[str, int] = field(default_factory=dict)  # file name -> bytes
    export_seconds: dict[str, float] = field(default_factory=dict)  # parquet / csv / xlsx -> seconds


def publish_mart(
    build_db: Path,
    mart_db: Path,
    run_id: str = "",
    export_dir: Path | None = None,
    *,
    storage_version: str = "",
) -> Publication:
    """Copy every table of the build's ``mart`` schema into ``mart_db`` via an atomic swap.

    With ``export_dir``, also write each table as Parquet there (see the module docstring).
    ``storage_version``: ``BARNHALSA_STORAGE_VERSION`` as given (``Settings.storage_version``);
    '' writes ``STORAGE_VERSION``.
    """
    if not build_db.exists():
        raise PublishError(f"build database {build_db} does not exist; nothing to publish")
    mart_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = mart_db.with_name(f"{mart_db.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    published_at = datetime.now(UTC).isoformat(timespec="seconds")
    tables: dict[str, int] = {}
    staging = export_dir / f".staging-{os.getpid()}" if export_dir is not None else None
    timings: dict[str, float] = {}
    try:
        with duckdb.connect(":memory:") as con:
            version = checked_storage_version(storage_version)
            con.execute(f"attach ? as pub (storage_version '{version}')", [str(tmp)])
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
                con.execute(f'create table pub.main."{name}" as select * from build.{MART_SCHEMA}."{name}"')
                (tables[name],) = con.execute(f'select count(*) from pub.main."{name}"').fetchone()
            con.execute(
                "create table pub.main.meta_publication as select"
                " cast(? as timestamptz) as published_at, ? as run_id",
                [published_at, run_id],
            )
            comments = _comments(con, "build", MART_SCHEMA)
            comments["meta_publication"] = dict(META_PUBLICATION_COMMENTS)
            _write_comments(con, "pub", comments)
            con.execute("detach build")
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
                staging.mkdir(parents=True)
                timings = write_exports(con, "pub", [*tables, "meta_publication"], comments, staging)
            con.execute("checkpoint pub")
            con.execute("detach pub")
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
    return Publication(mart_db, tables, published_at, mart_db.stat().st_size, exports, timings)


def checked_storage_version(given: str) -> str:
    """The storage version the mart is written in: ``given`` (``BARNHALSA_STORAGE_VERSION``), else v1.5.6."""
    version = given or STORAGE_VERSION
    if not re.fullmatch(r"v\d+\.\d+\.\d+", version):
        raise PublishError(f"{STORAGE_VERSION_ENV}={version!r}: a DuckDB version such as v1.5.6 or v1.4.0")
    return version


def open_published(mart_db: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection that sees the publication on disk now.

    DuckDB caches an opened database per process and path: ``duckdb.connect(path)`` while any
    connection to that path is still open in the process returns the cached instance, i.e. the
    publication that was current when it was first opened. Attaching the file to a new
    in-memory database opens it afresh, so a long-lived reader sees each new publication.
    """
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{sql_str(str(mart_db))}' as mart (read_only)")
        con.execute("use mart")
    except BaseException:
        con.close()
        raise
    return con


def _swap_exports(staging: Path, export_dir: Path) -> dict[str, int]:
    """Rename each staged file over its predecessor; drop files of tables that are gone."""
    exports: dict[str, int] = {}
    fresh = sorted(p for p in staging.iterdir() if p.suffix in EXPORT_SUFFIXES)
    for path in fresh:
        exports[path.name] = path.stat().st_size
        os.replace(path, export_dir / path.name)
    for old in export_dir.iterdir():
        if old.is_file() and old.suffix in EXPORT_SUFFIXES and old.name not in exports:
            old.unlink()
    shutil.rmtree(staging, ignore_errors=True)
    return exports


# --------------------------------------------------------------------------- descriptions


def _comments(con: duckdb.DuckDBPyConnection, database: str, schema: str) -> dict[str, dict[str, str]]:
    """{table: {"": table comment, column: column comment}} of one schema (empty ones left out)."""
    out: dict[str, dict[str, str]] = {}
    for table, comment in con.execute(
        "select table_name, comment from duckdb_tables() where database_name = ? and schema_name = ?",
        [database, schema],
    ).fetchall():
        out.setdefault(table, {})
        if comment:
            out[table][""] = comment.strip()
    for table, column, comment in con.execute(
        "select table_name, column_name, comment from duckdb_columns()"
        " where database_name = ? and schema_name = ? order by table_name, column_index",
        [database, schema],
    ).fetchall():
        if comment:
            out.setdefault(table, {})[column] = comment.strip()
    return out


def _write_comments(
    con: duckdb.DuckDBPyConnection, database: str, comments: dict[str, dict[str, str]]
) -> None:
    for table, described in comments.items():
        for column, text in described.items():
            target = f'{database}.main."{table}"' + (f'."{column}"' if column else "")
            kind = "column" if column else "table"
            con.execute(f"comment on {kind} {target} is '{sql_str(text)}'")
