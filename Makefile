# The two commands of the README, and the set-up they both need.
#   make run    build the warehouse from data/raw into data/warehouse.duckdb
#   make test   lint (ruff, sqlfluff) and run the test suite
#   make benchmark  time the pipeline against bare DuckDB at three scales (minutes)
# Set-up is automatic: a pinned uv in .tools/, the locked environment in .venv/.

SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv

export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# Where things are is settings.toml's to say: the command line and `make dev`
# read it, and keep Dagster's history of a warehouse beside it.

# The report tests render in Debian's Chromium (driven by Playwright, which
# downloads no browser of its own).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test lint dev setup benchmark

run: $(VENV)/.synced
	$(VENV)/bin/python -m pipelines run

test: lint $(CHROMIUM)
	$(VENV)/bin/pytest

# SQL is linted like the Python: sqlfluff with pyproject.toml's [tool.sqlfluff], on the
# SQL files and on the SQL inside the Python.
lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/sqlfluff lint sql schemas/expectations
	$(VENV)/bin/sqlfluff lint --rules CP01,CP02,CP03,CP04,CP05 benchmarks/reference.sql
	$(VENV)/bin/python -m pipelines.lint_sql

# Dagster's UI on http://127.0.0.1:3000: the assets, their lineage and checks,
# the history of the settings' warehouse.
dev: $(VENV)/.synced
	$(VENV)/bin/python -m pipelines dev

setup: $(VENV)/.synced

benchmark: $(VENV)/.synced
	$(VENV)/bin/python -m benchmarks.run_benchmark --repeats 3 --large-repeats 1

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) apt-get install -y -qq chromium > /dev/null

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# With the environment, the empty Dagster history a new warehouse's history is copied
# from (pipelines/history_template.py), so the first run need not make it.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet --compile-bytecode --python $(PYTHON)
	$(VENV)/bin/python -m pipelines.history_template > /dev/null
	touch $@
