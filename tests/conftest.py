"""Shared fixtures: a local Kolada server, a scratch warehouse and a pipeline runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kolada_server import KoladaData, KoladaServer, serve, synthetic_data

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT.parent / "shared" / "recordings"
YEARS = [2024, 2025, 2026]

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_HOME", str(ROOT / ".dagster_home"))
Path(os.environ["DAGSTER_HOME"]).mkdir(exist_ok=True)


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
