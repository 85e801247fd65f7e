"""The warehouse: where the build database, the raw landing and the published mart live.

Every path is below the warehouse folder the caller gives: ``Settings.warehouse_dir``
(``BARNHALSA_WAREHOUSE_DIR``, default this folder; ``ingest.settings``), read by the entry points,
so tests and benchmarks can point a whole run at a scratch folder.
"""

from __future__ import annotations

from pathlib import Path


def raw_dir(root: Path) -> Path:
    """The raw landing root (one folder per source)."""
    return root / "raw"


def build_db(root: Path) -> Path:
    """The DuckDB file the pipeline loads into and dbt builds in."""
    return root / "build.duckdb"


def mart_db(root: Path) -> Path:
    """The published mart analysts and BI tools open."""
    return root / "mart.duckdb"


def export_dir(root: Path) -> Path:
    """Parquet exports of the published mart, one file per table."""
    return root / "export"


def reports_dir(root: Path) -> Path:
    """County reports, one folder per county code."""
    return root / "reports"


def surveys_dir(root: Path) -> Path:
    """The drop folder for regional survey result files and their specs."""
    return root / "surveys"
