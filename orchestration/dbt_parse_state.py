"""dbt's saved parse state (``partial_parse.msgpack``) for the builds: where each build starts
from and what it keeps for the warehouse's next one (``orchestration/dbt.py`` runs the builds)."""

import os
import shutil
import time
import uuid
from contextlib import suppress
from pathlib import Path

PARSE_STATE = "partial_parse.msgpack"


def parse_state_target(run_id: str, warehouse_root: Path, project_dir: Path) -> Path:
    """A new dbt target folder for this build, holding dbt's saved parse state to start from.

    dagster-dbt gives each invocation a new target folder, where dbt finds no saved parse and
    parses the whole project again (4-9 s of a 16 s build). dbt reuses a saved parse only when
    the project files, vars and profile are the same (the profile is the same in every warehouse:
    ``in_warehouse``), so the state is kept per warehouse (``keep_parse_state``); a warehouse's
    first build starts from the project's own (``dbt parse`` at start-up).
    """
    target = project_dir / "target" / f"barnhalsa_dbt-{run_id[:7]}-{uuid.uuid4().hex[:7]}"
    target.mkdir(parents=True)
    for old in target.parent.glob("barnhalsa_dbt-*"):  # a failed build's folder is kept a week
        with suppress(FileNotFoundError):  # another build removed it meanwhile
            if time.time() - old.stat().st_mtime > 7 * 86400:
                shutil.rmtree(old, ignore_errors=True)
    for saved in (warehouse_root / ".dbt" / PARSE_STATE, project_dir / "target" / PARSE_STATE):
        if saved.exists():
            copy_parse_state(saved, target / PARSE_STATE, project_dir)
            break
    return target


# What dagster-dbt writes over a seed file's checksum in the project's saved parse (DbtProject's
# preparer), so that dbt parses the seeds again: their nodes hold the checkout's absolute path.
SEED_SENTINEL = {"name": "sha256", "checksum": "0" * 64}


def copy_parse_state(saved: Path, copy: Path, project_dir: Path) -> None:
    """Copy a saved dbt parse, its seeds to be parsed again only if parsed in another checkout.

    dagster-dbt marks every seed as changed in the project's saved parse, because a seed's node
    holds the absolute path of the checkout it was parsed in; dbt then parses the seeds again in
    every build (about 1 s of CPU each). A seed parsed in this checkout gets its node's checksum
    back (dbt compares it with the file on disk: an edited seed is still parsed again); a seed
    parsed elsewhere (a moved checkout, a warehouse built from another) gets the mark, also in
    the warehouse's kept state, which dagster-dbt does not see.
    """
    import msgpack  # dbt's own format for the saved parse (dbt-core and dagster-dbt need it)

    with saved.open("rb") as f:
        data = msgpack.unpack(f, raw=False, strict_map_key=False)
    nodes = data.get("nodes", {})
    for entry in data.get("files", {}).values():
        if entry.get("parse_file_type") != "seed":
            continue
        parsed = [nodes.get(unique_id, {}) for unique_id in entry.get("nodes", [])]
        here = bool(parsed) and all(node.get("root_path") == str(project_dir) for node in parsed)
        checksums = {str(node.get("checksum")) for node in parsed}
        if here and len(checksums) == 1 and "checksum" in parsed[0]:
            entry["checksum"] = parsed[0]["checksum"]
        else:
            entry["checksum"] = SEED_SENTINEL
    with copy.open("wb") as f:
        msgpack.pack(data, f)


def keep_parse_state(target: Path, warehouse_root: Path) -> None:
    """Keep the parse state of a build for the warehouse's next one (swapped in whole)."""
    parsed = target / PARSE_STATE
    if not parsed.exists():
        return
    folder = warehouse_root / ".dbt"
    folder.mkdir(exist_ok=True)
    incoming = folder / f"{PARSE_STATE}.next"  # a leftover is overwritten by the next build
    shutil.copyfile(parsed, incoming)
    os.replace(incoming, folder / PARSE_STATE)
