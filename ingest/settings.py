"""Every setting the environment gives, read in this one module: the variable names, their
defaults and how their text reads. Only the entry points call ``Settings.from_environment()``
(the Dagster resources in ``orchestration.resources`` when they are made, the command lines)
and pass the values down; ingest, warehouse and report functions take them as arguments and
read no environment variable themselves.

Values whose check belongs to a layer are kept as the text given and checked there:
``storage_version`` by ``warehouse.publish``, ``keep_batches`` by ``warehouse.housekeeping``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WAREHOUSE_DIR = PROJECT_DIR / "warehouse"
DEFAULT_REPORT_TEXT_DIR = PROJECT_DIR / "reports" / "text"
DEFAULT_BASE_URLS = {
    "kolada": "https://api.kolada.se/v3/",
    "scb": "https://statistikdatabasen.scb.se/api/v2/",
    "fohm": "https://fohm-app.folkhalsomyndigheten.se/Folkhalsodata/api/v1/sv/",
}
BASE_URL_VARIABLES = {"kolada": "KOLADA_BASE_URL", "scb": "SCB_BASE_URL", "fohm": "FOHM_BASE_URL"}
WAREHOUSE_DIR = "BARNHALSA_WAREHOUSE_DIR"
REPORT_TEXT_DIR = "BARNHALSA_REPORT_TEXT_DIR"
FORCE = "BARNHALSA_FORCE"
STRICT = "BARNHALSA_STRICT"
STORAGE_VERSION = "BARNHALSA_STORAGE_VERSION"
KEEP_BATCHES = "BARNHALSA_KEEP_BATCHES"
CHROMIUM = "BARNHALSA_CHROMIUM"
REPORT_COUNTIES = "BARNHALSA_REPORT_COUNTIES"
OFF = {"", "0", "false", "no"}


@dataclass(frozen=True)
class Settings:
    warehouse_dir: Path  # the build database, raw landing, published mart, exports and reports
    report_text_dir: Path  # the analysts' <code>.md texts for the reports
    base_urls: Mapping[str, str]  # kolada, scb, fohm: each ending in '/'
    base_urls_given: frozenset[str]  # the sources whose URL the environment set
    force: bool  # fetch, load and build even when nothing changed
    strict: bool  # all or nothing: a verified table or KPI that fails fails the run
    storage_version: str  # as given ('' for the default); checked by warehouse.publish
    keep_batches: str  # as given ('' for the default); checked by warehouse.housekeeping
    chromium: str | None  # the browser binary for the report PDFs, else found on PATH
    report_counties: tuple[str, ...]  # the counties whose reports a run builds (empty: all)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def text(name: str) -> str:
            return env.get(name, "").strip()

        urls = {source: text(variable) for source, variable in BASE_URL_VARIABLES.items()}
        return cls(
            warehouse_dir=Path(text(WAREHOUSE_DIR) or DEFAULT_WAREHOUSE_DIR).resolve(),
            report_text_dir=Path(text(REPORT_TEXT_DIR) or DEFAULT_REPORT_TEXT_DIR).resolve(),
            base_urls={s: _slash(url or DEFAULT_BASE_URLS[s]) for s, url in urls.items()},
            base_urls_given=frozenset(s for s, url in urls.items() if url),
            force=text(FORCE).lower() not in OFF,
            strict=text(STRICT).lower() not in OFF,
            storage_version=text(STORAGE_VERSION),
            keep_batches=text(KEEP_BATCHES),
            chromium=text(CHROMIUM) or None,
            report_counties=tuple(c.strip() for c in text(REPORT_COUNTIES).split(",") if c.strip()),
        )


def env_value(name: str) -> str | None:
    """The environment variable a run config names (``{"env": NAME}``), as Dagster reads it."""
    return os.environ.get(name)


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
