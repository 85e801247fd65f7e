"""The saved dbt parse a build starts from: seeds parsed again only where they must be."""

from pathlib import Path

import msgpack

from orchestration.dbt import DBT_PROJECT_DIR
from orchestration.dbt_parse_state import PARSE_STATE, SEED_SENTINEL, copy_parse_state
from tests.conftest import dbt_in


def seed_entries(path: Path) -> tuple[dict, dict]:
    with path.open("rb") as f:
        data = msgpack.unpack(f, raw=False, strict_map_key=False)
    seeds = {k: v for k, v in data["files"].items() if v.get("parse_file_type") == "seed"}
    return seeds, data["nodes"]


def test_a_build_from_the_saved_parse_parses_no_file_again(tmp_path: Path) -> None:
    target = tmp_path / "target"
    done = dbt_in(tmp_path, ["parse"], target)
    assert done.returncode == 0, done.stdout + done.stderr
    log = (target / "dbt.log").read_text()
    assert "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed." in log


def test_seeds_parsed_in_another_checkout_are_parsed_again(tmp_path: Path) -> None:
    from orchestration.dbt import ensure_manifest

    ensure_manifest()
    saved = DBT_PROJECT_DIR / "target" / PARSE_STATE
    here, elsewhere = tmp_path / "here.msgpack", tmp_path / "elsewhere.msgpack"
    copy_parse_state(saved, here, DBT_PROJECT_DIR)
    copy_parse_state(saved, elsewhere, Path("/elsewhere/dbt_project"))

    seeds, nodes = seed_entries(here)
    assert seeds, "the project has seeds"
    for entry in seeds.values():
        assert entry["checksum"] == nodes[entry["nodes"][0]]["checksum"] != SEED_SENTINEL
    seeds, _ = seed_entries(elsewhere)
    assert all(entry["checksum"] == SEED_SENTINEL for entry in seeds.values())


def test_the_definitions_under_dagster_dev_parse_nothing_when_the_project_is_unchanged() -> None:
    """``dagster dev`` (``DAGSTER_IS_DEV_CLI``) loads the definitions in its code server and in
    each run it launches: the manifest is parsed again only after an edit."""
    import os
    import subprocess
    import sys

    from orchestration.dbt import ensure_manifest

    ensure_manifest()
    manifest = DBT_PROJECT_DIR / "target" / "manifest.json"
    before = manifest.stat().st_mtime_ns
    subprocess.run(
        [sys.executable, "-c", "import orchestration.dbt"],
        cwd=DBT_PROJECT_DIR.parent,
        env={**os.environ, "DAGSTER_IS_DEV_CLI": "1"},
        check=True,
    )
    assert manifest.stat().st_mtime_ns == before
