"""Reject the landing batches behind a raw table whose load or blocking gate failed.

The batches stay on disk for inspection (``rejected.json`` beside their manifest says why);
``Landing.complete_batches`` no longer offers them, so the next run's change checks and loads
start from the last accepted batch and fetch again. One rule, one owner: the load steps and the
raw gates both call ``reject_loaded``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ingest.landing import CompleteBatch
from warehouse import state

KOLADA_TABLES = ("kolada_values", "kolada_municipality", "kolada_kpi", "kolada_municipality_groups")
PXWEB_TABLES = ("pxweb_values", "scb_population")


def loaded_batches(raw_dir: Path, build_db: Path, raw_table: str) -> dict[str, Path]:
    """The landing batch folders ``raw.<raw_table>`` was last loaded from, by table key."""
    key = state.read_state(build_db).get(f"load:{raw_table}") or ""
    if raw_table in KOLADA_TABLES:
        name = key.split("!")[0]
        return {"kolada": raw_dir / "kolada" / name} if name and name != "none" else {}
    if raw_table in PXWEB_TABLES:
        source = "scb" if raw_table == "scb_population" else None
        out = {}
        for part in filter(None, key.split(",")):
            table_key, _, name = part.partition("/")
            name = name.split("!")[0]
            if name and name != "none":
                sources = [source] if source else ["fohm", "scb"]
                for src in sources:
                    if (raw_dir / src / table_key / name).is_dir():
                        out[table_key] = raw_dir / src / table_key / name
        return out
    return {}


def reject_loaded(
    raw_dir: Path, build_db: Path, raw_table: str, reason: str, table_keys: Iterable[str] | None = None
) -> list[Path]:
    """Reject the batches ``raw.<raw_table>`` was loaded from (only those of ``table_keys`` when
    given: the PxWeb tables whose rows failed). Returns the rejected batch folders."""
    wanted = set(table_keys) if table_keys is not None else None
    rejected = []
    for table_key, path in loaded_batches(raw_dir, build_db, raw_table).items():
        if wanted is not None and table_key not in wanted:
            continue
        batch = CompleteBatch(path)
        if batch.rejection() is None:
            batch.reject(reason)
        rejected.append(path)
    return rejected
