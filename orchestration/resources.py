"""Resources configured from the environment.

Each resource reads the environment once, when it is made (``Settings.from_environment()``;
Dagster makes a run's resources afresh when the run starts), and passes the values on: the
ingest, warehouse and report functions it calls read no environment variable.
"""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource, Failure, InitResourceContext
from pydantic import PrivateAttr

import warehouse
from ingest import kolada, pxweb
from ingest.http import HttpSettings, JsonHttpClient
from ingest.landing import Batch
from ingest.settings import Settings
from warehouse import runlock


class WarehouseResource(ConfigurableResource):
    """Where the raw landing, the build database and the published mart live.

    Empty means ``BARNHALSA_WAREHOUSE_DIR`` (default ``warehouse/``), read when the resource is
    made; the dbt step starts dbt in ``root`` with the profile's path relative to it
    (``orchestration.dbt.in_warehouse``), so dbt and the Python steps share one file. ``settings``
    holds the rest of the environment's settings a run follows (force, strict, retention,
    storage version, Chromium, report counties and texts).

    In a run it holds the warehouse's refresh lock (``warehouse.runlock``) from the run's start
    to its end: a run while another holds it fails at once naming the other. A run that takes
    the lock first in its process (``dagster dev``'s run worker; ``python -m orchestration.run``
    takes it before the run) cleans up after runs that died (``orchestration.recovery``).
    """

    dir: str = ""
    _settings: Settings = PrivateAttr(default_factory=Settings.from_environment)

    @property
    def settings(self) -> Settings:
        """The environment's settings, read when this resource was made."""
        return self._settings

    def setup_for_execution(self, context: InitResourceContext) -> None:
        run = context.run
        if run is None:  # a sensor or a schedule: no lock
            return
        try:
            held = runlock.acquire(self.root, job=run.job_name, run_id=run.run_id)
        except runlock.WarehouseBusy as exc:
            raise Failure(description=f"{run.job_name}: {exc}") from None
        if not held.fresh:
            return
        from orchestration import recovery

        try:
            context.instance.add_run_tags(run.run_id, recovery.process_tags())
            keep = self.settings.keep_batches
            lines = recovery.start_of_run(
                context.instance, self.root, held.previous, run.run_id, keep_batches=keep
            )
        except BaseException:
            runlock.release(self.root)
            raise
        log = context.log.info if context.log else print
        recovery.log_lines(lines, log)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if context.run is not None:
            runlock.release(self.root)

    @property
    def root(self) -> Path:
        return Path(self.dir).resolve() if self.dir else self.settings.warehouse_dir

    @property
    def raw_dir(self) -> Path:
        return warehouse.raw_dir(self.root)

    @property
    def build_db(self) -> Path:
        return warehouse.build_db(self.root)

    @property
    def mart_db(self) -> Path:
        return warehouse.mart_db(self.root)

    @property
    def surveys_dir(self) -> Path:
        """The drop folder for regional survey result files and their specs."""
        return warehouse.surveys_dir(self.root)

    @property
    def export_dir(self) -> Path:
        return warehouse.export_dir(self.root)

    @property
    def reports_dir(self) -> Path:
        """County reports (``python -m report`` and the ``county_reports`` asset)."""
        return warehouse.reports_dir(self.root)

    @property
    def report_text_dir(self) -> Path:
        """The analysts' ``<code>.md`` texts placed beside the generated report."""
        return self.settings.report_text_dir


class KoladaResource(ConfigurableResource):
    """Kolada v3 access. Empty ``base_url`` means ``KOLADA_BASE_URL`` (read when the resource is
    made) or the live API."""

    base_url: str = ""
    per_page: int = kolada.MAX_PER_PAGE
    years: int = 16
    last_year: int = 0  # 0: the current year
    retries: int = 5
    backoff_factor: float = 1.0
    _settings: Settings = PrivateAttr(default_factory=Settings.from_environment)

    def year_list(self) -> list[int]:
        """The ``years`` latest years up to ``last_year`` (default: this year)."""
        if self.last_year:
            return list(range(self.last_year - self.years + 1, self.last_year + 1))
        return kolada.default_years(self.years)

    def client(self, batch: Batch | None) -> kolada.KoladaClient:
        settings = HttpSettings(retries=self.retries, backoff_factor=self.backoff_factor)
        http = JsonHttpClient(kolada.SOURCE, batch, settings)
        return kolada.KoladaClient(http, self.base_url or self._settings.base_urls["kolada"], self.per_page)


class PxWebResource(ConfigurableResource):
    """SCB (PxWebApi 2.0) and Folkhälsodata (PxWeb v1) access.

    Empty base URLs mean ``SCB_BASE_URL`` / ``FOHM_BASE_URL`` (read when the resource is made)
    or the live APIs. Limits come from each API's config at run time.
    """

    scb_base_url: str = ""
    fohm_base_url: str = ""
    retries: int = 5
    backoff_factor: float = 1.0
    _settings: Settings = PrivateAttr(default_factory=Settings.from_environment)

    def client(self, source: str) -> pxweb.PxWebClient:
        given = {"scb": self.scb_base_url, "fohm": self.fohm_base_url}[source]
        url = given or self._settings.base_urls[source]
        settings = HttpSettings(retries=self.retries, backoff_factor=self.backoff_factor)
        http = JsonHttpClient(source, None, settings)
        return pxweb.PxWebClient(source, http, url, pxweb.DIALECTS[source])
