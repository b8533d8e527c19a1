# segmart: two commands.
#   make demo   set up; convert exports in data/raw (or generate demo data when it is
#               empty); dbt build; write the audience files; print the summary
#   make test   set up, lint, build the fixtures and the demo data, run pytest
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_CUSTOMERS ?= 5000
DEMO_SEED ?= 7
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: setup demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/segmart run --raw-dir data/raw --demo-customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED)

lint: setup
	$(BIN)/ruff check segmart tests_py benchmarks models
	$(BIN)/ruff format --check segmart tests_py benchmarks models
	$(BIN)/sqlfluff lint models macros tests analyses

test: setup lint
	$(BIN)/pytest

clean:
	rm -rf target logs segmart.duckdb* data/raw/*.csv data/raw/*.parquet
