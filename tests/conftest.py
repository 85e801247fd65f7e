"""Shared fixtures: a local Kolada server, a scratch warehouse and a pipeline runner."""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localsources.kolada_server import KoladaData, KoladaServer, serve, synthetic_data
from orchestration import gc_tuning

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT.parent / "shared" / "recordings"
EXAMPLE_SURVEYS = ROOT / "examples" / "surveys"
YEARS = [2024, 2025, 2026]

gc_tuning.tune()  # before the test modules' imports (orchestration/gc_tuning.py)
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_HOME", str(ROOT / ".dagster_home"))
Path(os.environ["DAGSTER_HOME"]).mkdir(exist_ok=True)
if not (Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").exists():  # Dagster warns on stderr without one
    (Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")


# Modules whose tests share one expensive scenario (a session fixture): make test's workers
# (pytest-xdist, -n) run each such module on one worker; every other test goes to any worker.
ONE_WORKER_MODULES = {"tests/test_crash_and_readers.py", "tests/test_first_run.py", "tests/test_report.py"}


# A fresh checkout's first suite: Python has compiled none of the installed packages yet and dbt
# has not parsed the project. Each of make test's workers compiled the same modules at once, and
# two of them waited while the first parsed: 42 s before the first test on 2 cores. Before the
# workers start, two processes side by side compile them once: one imports the definitions (which
# parses the project), the other what the test modules and the quality checks import.
WARM_UP = (
    "import orchestration.definitions",
    "import great_expectations, expectations, hypothesis, statsmodels.api, altair, report, localsources",
)


def pytest_configure(config: pytest.Config) -> None:
    """With workers (``-n``) in a checkout whose packages are not compiled yet: ``WARM_UP``."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not getattr(config.option, "numprocesses", None):
        return
    if sys.dont_write_bytecode:  # PYTHONDONTWRITEBYTECODE: nothing would be kept
        return
    spec = importlib.util.find_spec("dagster_dbt")
    if spec is None or spec.origin is None or Path(importlib.util.cache_from_source(spec.origin)).exists():
        return
    print("a fresh checkout: compiling the installed packages and parsing the dbt project", file=sys.stderr)
    warming = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for code in WARM_UP
    ]
    for process in warming:  # a failure here fails the same way in the workers, with its message
        process.wait()


def pytest_collection_finish(session: pytest.Session) -> None:
    """The test modules are imported: what they loaded lives as long as this process
    (``orchestration/gc_tuning.py``)."""
    gc_tuning.tune()


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """xdist's load scheduling, but a module of ``ONE_WORKER_MODULES`` is one unit of work (its
    longest unit, so it starts first). xdist's own ``--dist loadgroup`` does not group under
    pytest 9.2, which no longer reads the node id that mark rewrites."""
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerPerScenario(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return OneWorkerPerScenario(config, log)


def catalog_kpis() -> list[str]:
    from ingest.catalog import source_refs

    return source_refs("kolada")


@pytest.fixture
def kolada_data() -> KoladaData:
    """The catalogue's KPIs for the small region set and three years."""
    return synthetic_data(catalog_kpis(), YEARS)


@pytest.fixture
def kolada_server(kolada_data: KoladaData) -> Iterator[KoladaServer]:
    with serve(kolada_data) as server:
        yield server


@pytest.fixture
def warehouse_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch warehouse folder; dbt's profile and the Python steps both read the variable."""
    path = tmp_path / "warehouse"
    path.mkdir()
    monkeypatch.setenv("BARNHALSA_WAREHOUSE_DIR", str(path))
    return path


def recording(*parts: str) -> Path:
    path = RECORDINGS.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"recording {path} not present (../shared/recordings is not beside the repo)")
    return path


FOHM_REGIONS = ["00", "09", "13", "17"]
SCB_REGIONS = ["00", "09", "13", "17", "0980", "1380", "1715", "1780"]
POPULATION_YEARS = ["2024", "2025", "2026"]


@pytest.fixture
def px_states():
    from localsources.pxweb_fixtures import pxweb_states

    return pxweb_states(FOHM_REGIONS, SCB_REGIONS, POPULATION_YEARS, max_calls=1000, max_cells=5000)


@pytest.fixture
def urls(kolada_server: KoladaServer, px_states) -> Iterator[dict[str, str]]:
    """Base URLs of local Kolada, SCB and Folkhälsodata servers, as run_pipeline takes them."""
    from localsources import pxweb_server

    scb_state, fohm_state = px_states
    with pxweb_server.serve(scb_state) as scb, pxweb_server.serve(fohm_state) as fohm:
        yield {"kolada_url": kolada_server.base_url, "scb_url": scb.v2_url, "fohm_url": fohm.v1_url}


def require_chromium() -> str:
    """The browser the reports and the Data Docs test need; in CI it must be there (make test
    installs it)."""
    from ingest.settings import Settings
    from report.pdf import find_chromium

    path = find_chromium(Settings.from_environment().chromium)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium in CI: `make test` installs Debian's chromium (make browser)")
        pytest.skip("no Chromium on this machine (make browser installs Debian's chromium)")
    return path


def dbt_in(warehouse: Path, args: list[str], target: Path) -> Any:
    """``dbt args`` on ``warehouse``'s build database as the pipeline's dbt step runs it (in that
    folder, ``orchestration.dbt.in_warehouse``), its target and logs in ``target``, starting from
    the project's saved parse; returns the finished process."""
    import subprocess
    import sys

    from orchestration.dbt import DBT_PROJECT_DIR, ensure_manifest, in_warehouse
    from orchestration.dbt_parse_state import PARSE_STATE, copy_parse_state

    ensure_manifest()
    target.mkdir(parents=True, exist_ok=True)
    saved = DBT_PROJECT_DIR / "target" / PARSE_STATE
    if saved.exists():
        copy_parse_state(saved, target / PARSE_STATE, DBT_PROJECT_DIR)
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    return subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), *args, *project]
        + ["--target-path", str(target), "--log-path", str(target)],
        cwd=warehouse,
        env={**os.environ, **in_warehouse(None)},
        capture_output=True,
        text=True,
        check=False,
    )


@dataclass(frozen=True)
class Published:
    """A warehouse every asset has been materialised into once, on the local sources of ``urls``."""

    warehouse: Path
    urls: dict[str, str]  # the servers it was fetched from (stopped once the run is done)
    kolada: KoladaData
    row_counts: dict[str, int]  # asset key -> the dagster/row_count of its materialisation
    checks: dict[str, Any]  # asset check name -> its AssetCheckEvaluation in that run

    @property
    def mart(self) -> Path:
        return self.warehouse / "mart.duckdb"

    def copy_to(self, warehouse: Path) -> Path:
        """A copy of the warehouse at ``warehouse`` (made or filled), without its lock file."""
        shutil.copytree(
            self.warehouse, warehouse, dirs_exist_ok=True, ignore=shutil.ignore_patterns("refresh.lock")
        )
        return warehouse


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Published:
    """One run of every asset (fetch, load, dbt build, checks, publish), the example survey
    dropped in, shared by the tests that only read its files; a test that changes data starts
    from a copy of it (``republished``).

    Built once per test session: the first of ``make test``'s workers to need it builds it, the
    others wait for it (a file lock in the session's temporary folder) and read what it recorded."""
    from dagster import deserialize_value, serialize_value

    # every xdist worker has a folder of its own; their parent is the session's
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    record = root / "published" / "published.json"
    with (root / "published.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not record.exists():
            built = _publish(root / "published" / "warehouse")
            record.write_text(
                json.dumps(
                    {
                        "urls": built.urls,
                        "row_counts": built.row_counts,
                        "checks": serialize_value(built.checks),
                    }
                )
            )
            return built
    saved = json.loads(record.read_text())
    return Published(
        root / "published" / "warehouse",
        saved["urls"],
        synthetic_data(catalog_kpis(), YEARS),  # the same answers (deterministic)
        saved["row_counts"],
        deserialize_value(saved["checks"], dict),
    )


def run_on_local_sources(warehouse: Path, kolada: KoladaData, **options: Any) -> tuple[Any, dict[str, str]]:
    """One run of every asset into ``warehouse`` (made beforehand) while local servers answer:
    Kolada with ``kolada``, SCB and Folkhälsodata with the PxWeb states of ``px_states``. The run
    must succeed; returns its result and the servers' URLs (stopped once it is done)."""
    from localsources import pxweb_server
    from localsources.pxweb_fixtures import pxweb_states
    from tests.pipeline import run_pipeline

    scb_state, fohm_state = pxweb_states(
        FOHM_REGIONS, SCB_REGIONS, POPULATION_YEARS, max_calls=1000, max_cells=5000
    )
    with (
        pytest.MonkeyPatch.context() as patch,
        serve(kolada) as kolada_server,
        pxweb_server.serve(scb_state) as scb,
        pxweb_server.serve(fohm_state) as fohm,
    ):
        patch.setenv("BARNHALSA_WAREHOUSE_DIR", str(warehouse))
        urls = {"kolada_url": kolada_server.base_url, "scb_url": scb.v2_url, "fohm_url": fohm.v1_url}
        result = run_pipeline(**urls, **options)
    assert result.success, [e.message for e in result.all_events if e.is_failure]
    return result, urls


def _publish(warehouse: Path) -> Published:
    warehouse.mkdir(parents=True)
    shutil.copytree(EXAMPLE_SURVEYS, warehouse / "surveys", ignore=shutil.ignore_patterns("*.md"))
    data = synthetic_data(catalog_kpis(), YEARS)
    result, urls = run_on_local_sources(warehouse, data)
    row_counts = {
        e.asset_key.to_user_string(): e.materialization.metadata["dagster/row_count"].value
        for e in result.get_asset_materialization_events()
        if "dagster/row_count" in e.materialization.metadata
    }
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    return Published(warehouse, urls, data, row_counts, checks)


@pytest.fixture
def republished(
    published: Published, urls: dict[str, str], kolada_data: KoladaData, warehouse_dir: Path
) -> Path:
    """This test's warehouse as a copy of the shared published one, its local servers answering
    what that one was fetched from: a test that changes data starts here and runs only the run
    after the change (the first run, the same for every such test, happened once)."""
    assert kolada_data.objects == published.kolada.objects  # the same answers, on other ports
    return published.copy_to(warehouse_dir)
