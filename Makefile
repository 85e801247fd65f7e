# barnhalsa: `make run` installs and runs the main job; `make test` installs and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
JOB := $(RUN) python -m orchestration.run

export DAGSTER_HOME := $(CURDIR)/dagster_home
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
# Python keeps its bytecode cache (.venv and __pycache__): with PYTHONDONTWRITEBYTECODE set, every
# process compiled every module it imports again (great_expectations: 10.8 s against 4.6 s, the
# definitions 6.5 s against 4.7 s, dbt 4.5 s against 2.3 s), in every run, dbt child and test worker.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: install browser axe verify run rebuild report catalog test lint dev bench bench-mart bench-dbt bench-suite docs serve

install:  ## uv (if missing) and the locked environment in .venv
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen

# Chromium prints the county reports to PDF and runs the browser test. Debian's package where
# none is found (as root, or with passwordless sudo); BARNHALSA_CHROMIUM names another binary.
# Without one, make run stops at the reports naming the fix, and the browser tests skip (not in CI).
CHROMIUM := $(or $(BARNHALSA_CHROMIUM),$(shell for b in chromium chromium-browser google-chrome google-chrome-stable; do command -v $$b && break; done 2>/dev/null))
APT := DEBIAN_FRONTEND=noninteractive apt-get
SUDO := $(if $(filter 0,$(shell id -u)),,sudo -n)

browser:  ## Chromium for the report PDFs and the browser test (Debian's chromium package)
ifeq ($(CHROMIUM),)
	@echo "Installing Debian's chromium for the report PDFs (set BARNHALSA_CHROMIUM to use another)"
	@$(SUDO) $(APT) update -qq && $(SUDO) $(APT) install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null \
		|| { echo "make browser: could not install chromium; install it or set BARNHALSA_CHROMIUM" >&2; test -z "$$CI"; }
endif

axe:  ## axe-core (npm, package-lock.json) for the report's accessibility test
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error; \
	else echo "make axe: no npm; the accessibility test skips (install nodejs and npm)" >&2; test -z "$$CI"; fi

verify: install  ## ask every source for the metadata of each catalogued KPI and table (no data): one verdict a line
	$(RUN) python -m ingest.verify $(VERIFY_ARGS)

run: install browser  ## fetch every source, build and test the models, publish warehouse/mart.duckdb and the county reports
	$(JOB) refresh_mart

rebuild: install browser  ## rebuild the mart (and the reports) from the raw landing alone (no request to any source)
	$(JOB) rebuild_mart

report: install browser  ## county reports from the published mart: make report COUNTIES="17 24 13" (default: every county)
	$(RUN) python -m report $(COUNTIES)

# The suite on one worker more than there are cores (pytest-xdist; tests/conftest.py keeps a shared
# scenario on one worker): many tests wait on processes, servers and signals, so on 2 cores 3 workers
# took 346 s and 4 took 397 s (make bench-suite; 2 took 603 s before). TEST_WORKERS=0 runs it here.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))

test: install browser axe  ## lint and the test suite (no network), on every core
	$(RUN) ruff check .
	$(RUN) pytest -n $(TEST_WORKERS)

dev: install  ## the Dagster UI on http://127.0.0.1:3000 (stops within 10 s on Ctrl-C or SIGTERM); DEV_ARGS="-p 3001"
	$(RUN) python -m orchestration.dev -w workspace.yaml $(DEV_ARGS)

bench: install browser  ## benchmarks against local sources: the main job, SCB splitting and pacing, county reports
	$(RUN) python bench/kolada_pipeline.py
	$(RUN) python bench/scb_pxweb.py
	$(RUN) python bench/county_reports.py

bench-mart: install  ## full and unchanged runs against local sources, view latency on the published mart
	$(RUN) python bench/mart_views.py

bench-dbt: install  ## the dbt build with and without the interval, significance and trend work (bench/dbt_intervals.py)
	$(RUN) python bench/dbt_intervals.py $(BENCH_ARGS)

bench-suite: install browser axe  ## the test suite with each test's CPU seconds (bench/suite_cpu.py): where its time goes
	PYTHONPATH=bench $(RUN) pytest -p suite_cpu -n $(TEST_WORKERS) $(BENCH_ARGS)

catalog: install  ## the indicator catalogue page from the published mart: warehouse/reports/indikatorkatalog.html
	$(RUN) python -m report.catalog

docs: install  ## dbt docs (models, columns, exposures) from warehouse/build.duckdb into dbt_project/target
	cd dbt_project && $(RUN) dbt docs generate --profiles-dir .

serve: install  ## local Kolada, SCB and Folkhälsodata servers on ports 8765-8767 (invented, consistent demo data)
	$(RUN) python -m localsources --port 8765 $(SERVE_ARGS)
