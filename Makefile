# barnhalsa: `make run` installs and runs the main job; `make test` installs and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
JOB := $(RUN) python -m orchestration.run

export DAGSTER_HOME := $(CURDIR)/dagster_home
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install run rebuild test lint dev bench bench-mart docs serve

install:  ## uv (if missing) and the locked environment in .venv
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen

run: install  ## fetch every source, build and test the models, publish warehouse/mart.duckdb
	$(JOB) refresh_mart

rebuild: install  ## rebuild the mart from the raw landing alone (no request to any source)
	$(JOB) rebuild_mart

test: install  ## lint and the test suite (no network)
	$(RUN) ruff check .
	$(RUN) pytest

dev: install  ## the Dagster UI on http://127.0.0.1:3000
	$(RUN) dagster dev -w workspace.yaml

bench: install  ## benchmarks against local sources: the main job, and SCB splitting and pacing
	$(RUN) python bench/kolada_pipeline.py
	$(RUN) python bench/scb_pxweb.py

bench-mart: install  ## full and unchanged runs against local sources, view latency on the published mart
	$(RUN) python bench/mart_views.py

docs: install  ## dbt docs (models, columns, exposures) from warehouse/build.duckdb into dbt_project/target
	cd dbt_project && $(RUN) dbt docs generate --profiles-dir .

serve: install  ## local Kolada, SCB and Folkhälsodata servers on ports 8765-8767 (synthetic values)
	$(RUN) python -m tests.local_sources --port 8765 $(SERVE_ARGS)
