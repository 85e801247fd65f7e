"""The dbt project as Dagster assets: one ``dbt build`` for staging, intermediate and marts."""

import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration.resources import WarehouseResource
from warehouse import runlock, state

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = ROOT / "dbt_project"
# The project digest the manifest was parsed from, beside it (warehouse.state.dbt_project_digest:
# the one "dbt project changed" rule, also behind the build fingerprint).
MANIFEST_DIGEST = "barnhalsa_project.sha256"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project: DbtProject = dbt_project) -> bool:
    """True when the manifest is missing or was parsed from other project files (models, macros,
    seeds, docs or configuration) than there are now."""
    manifest = Path(project.manifest_path)
    stamp = manifest.with_name(MANIFEST_DIGEST)
    if not manifest.exists() or not stamp.exists():
        return True
    return stamp.read_text(encoding="utf-8").strip() != state.dbt_project_digest()


def dbt_executable() -> str:
    """dbt from PATH, else the one installed beside this interpreter (an unactivated venv)."""
    found = shutil.which("dbt")
    if found is None:
        os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        found = shutil.which("dbt") or str(Path(sys.executable).with_name("dbt"))
    return found


DBT_STOP_SECONDS = 2
DBT_CHILD = Path(__file__).resolve().parent / "bin" / "dbt"


def dbt_child_executable() -> str:
    """The dbt the steps run: ``orchestration/bin/dbt``, which starts the real dbt (``dbt_executable``)
    so that it dies with the process that started it (``orchestration/dbt_child.py``): a run killed
    with SIGKILL leaves no ``dbt build`` running on the build database."""
    os.environ["BARNHALSA_DBT"] = dbt_executable()
    os.environ["BARNHALSA_PYTHON"] = sys.executable
    os.environ["BARNHALSA_DBT_PARENT"] = str(os.getpid())
    return str(DBT_CHILD)


def ensure_manifest(project: DbtProject = dbt_project) -> None:
    """Build the manifest (``dbt parse``) when it is missing or stale, so no user has to."""
    if manifest_is_stale(project):
        dbt_executable()
        digest = state.dbt_project_digest()  # before parsing: an edit meanwhile parses again next time
        project.preparer.prepare(project)
        Path(project.manifest_path).with_name(MANIFEST_DIGEST).write_text(digest + "\n", encoding="utf-8")


dbt_project.prepare_if_dev()
ensure_manifest()


class BarnhalsaDbtTranslator(DagsterDbtTranslator):
    """Groups dbt models by layer; dbt sources map to ingest assets through ``meta.dagster``."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "seed":
            return "catalog"
        for layer in ("staging", "intermediate", "marts"):
            if layer in fqn:
                return layer
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=BarnhalsaDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def barnhalsa_dbt(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """``dbt build``: seeds, models and their data tests; a failing test fails the step.

    Skipped, with nothing materialised (so the checks and the publish step are skipped too),
    when the raw tables were loaded from the same landing batches and the project files are the
    same as for the mart published last, and that mart is still there. That holds for a subset
    too (``refresh_surveys`` builds the models downstream of the surveys): with every input as
    published, building any part again would publish the same mart.
    """
    fingerprint = state.build_fingerprint(warehouse.build_db, state.dbt_project_digest())
    full_build = not context.is_subset
    if (
        not state.forced()
        and warehouse.mart_db.exists()
        and state.build_is_published(warehouse.build_db, fingerprint)
    ):
        context.log.info(
            "Sources, landing batches and dbt project unchanged since the published mart: no dbt build,"
            " nothing to publish (BARNHALSA_FORCE=1 builds anyway)"
        )
        return
    # The YAML unit tests test the models' SQL, not the data: they run once in the test suite
    # (tests/test_mart.py), not in every refresh (about 4 s of each build).
    target = parse_state_target(context.run.run_id, warehouse.root)
    args = ["build", "--exclude-resource-type", "unit_test"]
    invocation = dbt.cli(args, context=context, target_path=target)
    # On SIGINT/SIGTERM dagster-dbt passes SIGINT on to dbt and waits for it; not the default 25 s,
    # so that the run stops within 10 s (python -m orchestration.run stops the rest).
    invocation.termination_timeout_seconds = DBT_STOP_SECONDS
    runlock.note_child(warehouse.root, invocation.process.pid, "dbt build")
    try:
        yield from invocation.stream().fetch_row_counts()
    finally:
        runlock.forget_child(warehouse.root, invocation.process.pid)
        release_duckdb()
    keep_parse_state(target, warehouse.root)
    if full_build:
        state.record_build(warehouse.build_db, fingerprint)


PARSE_STATE = "partial_parse.msgpack"


def parse_state_target(run_id: str, warehouse_root: Path) -> Path:
    """A new dbt target folder for this build, holding dbt's saved parse state to start from.

    dagster-dbt gives each invocation a new target folder, where dbt finds no saved parse and
    parses the whole project again (4-9 s of a 16 s build). dbt reuses a saved parse only when
    the project files, vars and profile (the database path among them) are the same, and parses
    anew otherwise, so the state is kept per warehouse (``keep_parse_state``); a warehouse's first
    build starts from the project's own (``dbt parse`` at start-up, with this environment).
    """
    target = DBT_PROJECT_DIR / "target" / f"barnhalsa_dbt-{run_id[:7]}-{uuid.uuid4().hex[:7]}"
    target.mkdir(parents=True)
    for saved in (warehouse_root / ".dbt" / PARSE_STATE, DBT_PROJECT_DIR / "target" / PARSE_STATE):
        if saved.exists():
            shutil.copyfile(saved, target / PARSE_STATE)
            break
    return target


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


def release_duckdb() -> None:
    """Close the DuckDB handle dbt-duckdb keeps in this process after row counts.

    ``fetch_row_counts`` queries through the dbt adapter in-process, and dbt-duckdb caches
    that database handle; left open, it holds the build file for the rest of the run (and
    DuckDB refuses a second handle with another configuration in the same process).
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
