"""The dbt project as Dagster assets: one ``dbt build`` for staging, intermediate and marts."""

import fcntl
import os
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetMaterialization, MetadataValue, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from packaging import version

from ingest import settings
from orchestration.dbt_parse_state import keep_parse_state, parse_state_target
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


DBT_CWD = "BARNHALSA_DBT_CWD"  # the folder orchestration/dbt_child.py starts dbt in


def in_warehouse(warehouse_root: Path | None) -> dict[str, str]:
    """The environment that makes dbt build in ``warehouse_root``: dbt starts in that folder
    (``orchestration/dbt_child.py``) and the profile's path is ``./build.duckdb``.

    The profile, the database path among it, is part of dbt's saved parse state: with the
    folder's absolute path in it, a build in another warehouse (each test has its own) was
    refused the saved parse ("profile has changed") and parsed the whole project again, about
    3.6 s of CPU. With a relative path every warehouse renders the same profile. ``None``: the
    profile alone (``dbt parse`` opens no database)."""
    env = {settings.WAREHOUSE_DIR: "."}
    if warehouse_root is not None:
        env[DBT_CWD] = str(warehouse_root)
    return env


@contextmanager
def _variables(values: dict[str, str]) -> Iterator[None]:
    """``values`` in this process's environment for the block, then as it was."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def ensure_manifest(project: DbtProject = dbt_project) -> None:
    """Build the manifest (``dbt parse``) when it is missing or stale, so no user has to.

    Processes that import the definitions at the same time (``dagster dev`` beside ``make run``,
    the test workers) parse one at a time: the others wait for the lock, then find it fresh.
    """
    if not manifest_is_stale(project):
        return
    target = Path(project.manifest_path).parent
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".parse.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        if manifest_is_stale(project):
            dbt_executable()
            digest = state.dbt_project_digest()  # before parsing: an edit meanwhile parses again
            # the profile as the builds render it (``in_warehouse``): every warehouse's first
            # build starts from this parse state
            with _variables(in_warehouse(None)):
                project.preparer.prepare(project)
            (target / MANIFEST_DIGEST).write_text(digest + "\n", encoding="utf-8")


# Not dagster-dbt's ``prepare_if_dev``: under ``dagster dev`` it parsed the whole project again in
# every process that loads the definitions (the code server, and each run launched from the UI:
# about 10 s of CPU each) even when nothing had changed; the content digest here parses only
# after an edit, in ``dagster dev`` as everywhere.
ensure_manifest()


class BarnhalsaDbtCli(DbtCliResource):
    """dagster-dbt's dbt resource without two costs of every build that barnhalsa does not need.

    - ``dbt --version`` in a new process (about 3.5 s a build): the builds run the dbt-core
      installed beside this interpreter (``dbt_executable``), so its version is the package's.
    - A dbt adapter opened in this process (about 2 s: dbt's macros are loaded), which dagster-dbt
      uses only for row counts; ``with_row_counts`` counts rows with DuckDB instead. Without it,
      dagster-dbt's row-count helper also polled dbt's events in a busy loop on one of the two
      cores while dbt built.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        from dbt.version import __version__

        return version.parse(__version__)

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None

    def cli_in(self, warehouse_root: Path, args: Sequence[str], **kwargs: Any) -> Any:
        """``cli`` on the build database of ``warehouse_root``, the warehouse resource's folder
        (``in_warehouse``): dagster-dbt gives dbt a copy of this process's environment."""
        with _variables(in_warehouse(warehouse_root)):
            return self.cli(args, **kwargs)


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
    context: AssetExecutionContext, dbt: BarnhalsaDbtCli, warehouse: WarehouseResource
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
        not warehouse.settings.force
        and warehouse.mart_db.exists()
        and state.build_is_published(warehouse.build_db, fingerprint)
    ):
        context.log.info(
            "Sources, landing batches and dbt project unchanged since the published mart: no dbt build,"
            " nothing to publish (BARNHALSA_FORCE=1 builds anyway)"
        )
        return
    target = parse_state_target(context.run.run_id, warehouse.root, DBT_PROJECT_DIR)
    invocation = dbt.cli_in(warehouse.root, BUILD_ARGS, context=context, target_path=target)
    # On SIGINT/SIGTERM dagster-dbt passes SIGINT on to dbt and waits for it; not the default 25 s,
    # so that the run stops within 10 s (python -m orchestration.run stops the rest).
    invocation.termination_timeout_seconds = DBT_STOP_SECONDS
    runlock.note_child(warehouse.root, invocation.process.pid, "dbt build")
    try:
        events, failure = drain(invocation.stream())
    finally:
        runlock.forget_child(warehouse.root, invocation.process.pid)
    yield from with_row_counts(events, invocation.manifest, warehouse.build_db)
    if failure is not None:
        raise failure
    keep_parse_state(target, warehouse.root)
    shutil.rmtree(target, ignore_errors=True)  # a failed build's folder stays: its dbt.log
    if full_build:
        state.record_build(warehouse.build_db, fingerprint)


# The YAML unit tests test the models' SQL, not the data: they run once in the test suite
# (tests/test_mart.py), not in every refresh (about 4 s of each build). dagster-dbt reads the
# events dbt prints, not the JSON artifacts (written twice a build), and dbt.log at info level
# says what ran and what failed without every statement: about 1 s of CPU of an 11 s build.
# dbt.log is for a person reading a failed build (its folder is kept): plain text, not the JSON
# lines dagster-dbt asks dbt to print (each event was turned into JSON twice, about 0.3 s).
BUILD_ARGS = [
    "build",
    "--exclude-resource-type",
    "unit_test",
    "--no-write-json",
    "--log-level-file",
    "info",
    "--log-format-file",
    "text",
]


def drain(events: Iterable[Any]) -> tuple[list[Any], Exception | None]:
    """Every event of a dbt invocation, and the error that ended it (a failing model or test).

    The events are kept until dbt has exited: the row counts read ``build.duckdb``, which the
    dbt process holds open for writing until then.
    """
    kept: list[Any] = []
    try:
        for event in events:
            kept.append(event)
    except Exception as exc:  # yielded after the events before it, as dagster-dbt does
        return kept, exc
    return kept, None


def with_row_counts(events: Sequence[Any], manifest: dict[str, Any], build_db: Path) -> Iterator[Any]:
    """The events, each materialised table and seed with its row count (``dagster/row_count``,
    shown in the asset catalogue); views are not counted, as in dagster-dbt."""
    counted: dict[str, str] = {}  # unique_id -> relation
    for event in events:
        node = _node(event, manifest)
        if node is not None and node["config"].get("materialized") != "view" and node.get("relation_name"):
            counted[node["unique_id"]] = node["relation_name"]
    counts: dict[str, int] = {}
    if counted and build_db.exists():
        with duckdb.connect(str(build_db), read_only=True) as con:
            for unique_id, relation in counted.items():
                try:
                    (counts[unique_id],) = con.execute(f"select count(*) from {relation}").fetchone()
                except duckdb.Error:  # a model that failed to build: no count, as in dagster-dbt
                    continue
    for event in events:
        node = _node(event, manifest)
        if node is not None and node["unique_id"] in counts:
            event = event.with_metadata(
                {**event.metadata, "dagster/row_count": MetadataValue.int(counts[node["unique_id"]])}
            )
        yield event


def _node(event: Any, manifest: dict[str, Any]) -> dict[str, Any] | None:
    if not isinstance(event, (AssetMaterialization, Output)) or "unique_id" not in event.metadata:
        return None
    return manifest.get("nodes", {}).get(event.metadata["unique_id"].value)
