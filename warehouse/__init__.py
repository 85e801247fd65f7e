"""The warehouse: where the build database, the raw landing and the published mart live.

Every path comes from ``BARNHALSA_WAREHOUSE_DIR`` (default: this folder; ``ingest.settings``), so
tests and benchmarks can point a whole run at a scratch folder.
"""

from __future__ import annotations

from pathlib import Path

from ingest.settings import Settings


def warehouse_dir() -> Path:
    return Settings.from_environment().warehouse_dir


def raw_dir() -> Path:
    """The raw landing root (one folder per source)."""
    return warehouse_dir() / "raw"


def build_db() -> Path:
    """The DuckDB file the pipeline loads into and dbt builds in."""
    return warehouse_dir() / "build.duckdb"


def mart_db() -> Path:
    """The published mart analysts and BI tools open."""
    return warehouse_dir() / "mart.duckdb"


def export_dir() -> Path:
    """Parquet exports of the published mart, one file per table."""
    return warehouse_dir() / "export"


def reports_dir() -> Path:
    """County reports, one folder per county code."""
    return warehouse_dir() / "reports"


def report_text_dir() -> Path:
    """The analysts' own texts for the reports, ``<code>.md`` each (``BARNHALSA_REPORT_TEXT_DIR``,
    default ``reports/text`` in the project)."""
    return Settings.from_environment().report_text_dir
