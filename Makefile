# barnhalsa: `make run` installs and runs the main job; `make test` installs and runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
JOB := $(RUN) python -m orchestration.run

export DAGSTER_HOME := $(CURDIR)/dagster_home
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: install run rebuild test lint dev bench bench-mart docs serve-kolada

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

bench: install  ## benchmark the main job against a local Kolada-shaped server
	$(RUN) python bench/kolada_pipeline.py

bench-mart: install  ## full and unchanged runs against local sources, view latency on the published mart
	$(RUN) python bench/mart_views.py

docs: install  ## dbt docs (models, columns, exposures) from warehouse/build.duckdb into dbt_project/target
	cd dbt_project && $(RUN) dbt docs generate --profiles-dir .

serve-kolada: install  ## a local Kolada-shaped server on port 8765 (synthetic values)
	$(RUN) python -m tests.kolada_server --port 8765
