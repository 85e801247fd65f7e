"""What the build database was last built from, so an unchanged run can skip work.

``raw._state`` in the build database holds one row per fact: ``load:<raw table>`` = the landing
batch(es) that table was loaded from; ``dbt_built`` = the fingerprint (loaded batches + dbt
project files) of the last successful ``dbt build``, ``dbt_built_batches`` the landing batch
names it read; ``published`` = the fingerprint whose mart was last published, and
``published_batches`` the batches it was built from (the raw landing's retention keeps them).
Deleting ``build.duckdb`` forgets it all, and ``BARNHALSA_FORCE=1`` (the callers' ``force``)
ignores it, so the next run does everything again.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import duckdb

STATE_TABLE = "raw._state"
BUILT_BATCHES = "dbt_built_batches"
PUBLISHED_BATCHES = "published_batches"
BATCH_ID = re.compile(r"\d{8}T\d{12}Z")  # a landing batch name (ingest.landing.Landing.start_batch)


def read_state(db_path: Path) -> dict[str, str]:
    if not db_path.exists():
        return {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        exists = con.execute(
            "select count(*) from duckdb_tables() where schema_name = 'raw' and table_name = '_state'"
        ).fetchone()[0]
        if not exists:
            return {}
        return dict(con.execute(f"select name, value from {STATE_TABLE}").fetchall())


def write_state(db_path: Path, values: Mapping[str, str]) -> None:
    with duckdb.connect(str(db_path)) as con:
        con.execute("create schema if not exists raw")
        con.execute(
            f"create table if not exists {STATE_TABLE}"
            " (name varchar primary key, value varchar, updated_at timestamptz default current_timestamp)"
        )
        for name, value in values.items():
            con.execute(
                f"insert or replace into {STATE_TABLE} (name, value, updated_at)"
                " values (?, ?, current_timestamp)",
                [name, value],
            )


def tables_exist(db_path: Path, schema: str, tables: Iterable[str]) -> bool:
    if not db_path.exists():
        return False
    with duckdb.connect(str(db_path), read_only=True) as con:
        sql = "select table_name from duckdb_tables() where schema_name = ?"
        present = {r[0] for r in con.execute(sql, [schema]).fetchall()}
    return set(tables) <= present


def loads_unchanged(db_path: Path, loads: Mapping[str, str], *, force: bool) -> bool:
    """True when every ``raw.<table>`` exists and was loaded from the given batch key; never
    with ``force`` (``Settings.force``: load again even when nothing changed)."""
    if force or not tables_exist(db_path, "raw", loads):
        return False
    state = read_state(db_path)
    return all(state.get(f"load:{table}") == key for table, key in loads.items())


def record_loads(db_path: Path, loads: Mapping[str, str]) -> None:
    write_state(db_path, {f"load:{table}": key for table, key in loads.items()})


def loaded_batches(recorded: Mapping[str, str]) -> list[str]:
    """The landing batch names the raw tables were loaded from, per the ``load:*`` keys."""
    loads = [value for key, value in recorded.items() if key.startswith("load:")]
    return sorted({name for value in loads for name in BATCH_ID.findall(value)})


def files_digest(folders: Iterable[Path], suffixes: set[str], skip: Iterable[Path] = ()) -> str:
    """SHA-256 over the names and contents of the files below ``folders`` with those suffixes,
    not descending into ``skip`` (build output such as dbt's target folder)."""
    skipped = {p.resolve() for p in skip}
    digest = hashlib.sha256()
    for folder in folders:
        folder = folder.resolve()
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if (Path(root) / d).resolve() not in skipped)
            for name in sorted(files):
                path = Path(root) / name
                if path.suffix in suffixes:
                    digest.update(str(path.relative_to(folder.parent)).encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()


ROOT = Path(__file__).resolve().parents[1]


def dbt_project_digest(root: Path = ROOT) -> str:
    """Digest of everything a dbt build reads besides the raw tables: models, macros, tests,
    docs, seeds (the catalogue) and configuration; dbt's own output folders are left out. The
    one "dbt project changed" rule: the manifest (``orchestration.dbt.manifest_is_stale``) and
    the build fingerprint both follow it."""
    project = root / "dbt_project"
    build_output = [project / name for name in ("target", "logs", "dbt_packages")]
    suffixes = {".sql", ".yml", ".yaml", ".csv", ".md"}
    return files_digest([project, root / "catalog"], suffixes, skip=build_output)


def build_fingerprint(db_path: Path, project_digest: str) -> str:
    """What a dbt build depends on: every raw table's loaded batch and the project files."""
    loads = sorted((k, v) for k, v in read_state(db_path).items() if k.startswith("load:"))
    return hashlib.sha256(repr((loads, project_digest)).encode()).hexdigest()


BUILT = "dbt_built"  # the build fingerprint of the mart schema in the build database
PUBLISHED = "published"  # the build fingerprint of the mart now published


def build_is_published(db_path: Path, fingerprint: str) -> bool:
    """Whether the published mart was built from exactly these inputs (no build needed)."""
    return read_state(db_path).get(PUBLISHED) == fingerprint


def record_build(db_path: Path, fingerprint: str) -> None:
    """After a full dbt build: its fingerprint and the landing batches its raw tables came from."""
    batches = loaded_batches(read_state(db_path))
    write_state(db_path, {BUILT: fingerprint, BUILT_BATCHES: ",".join(batches)})


def record_publication(db_path: Path) -> None:
    """After a publish: the published mart is the last full build (its fingerprint and batches)."""
    recorded = read_state(db_path)
    if recorded.get(BUILT):
        published = {PUBLISHED: recorded[BUILT]}
        if BUILT_BATCHES in recorded:
            published[PUBLISHED_BATCHES] = recorded[BUILT_BATCHES]
        write_state(db_path, published)


def kolada_loads(batch_name: str, tables: Iterable[str]) -> dict[str, str]:
    """Load keys of the Kolada raw tables: all come from one landing batch."""
    return {table: batch_name for table in tables}


def pxweb_loads(batches: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Load keys of raw.pxweb_values and raw.scb_population from {table key: (kind, batch name)}."""
    keys: dict[str, list[str]] = {"pxweb_values": [], "scb_population": []}
    for key, (kind, batch_name) in batches.items():
        keys["scb_population" if kind == "population" else "pxweb_values"].append(f"{key}/{batch_name}")
    return {table: ",".join(parts) for table, parts in keys.items()}


def survey_loads(batch_name: str | None) -> dict[str, str]:
    """Load keys of the survey raw tables: the newest survey landing batch ('none' before any)."""
    return {table: batch_name or "none" for table in ("survey_values", "survey_indicators")}
