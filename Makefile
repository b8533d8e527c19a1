# segmart: two commands.
#   make demo   set up; convert exports in data/raw (or generate demo data when it is
#               empty); dbt build; write the audience files; print the summary
#   make test   set up, lint, build the fixtures and the demo data, run pytest
#   make test-spark  only the Spark build and the DuckDB = Spark equality
#   make test-postgres  only the PostgreSQL build (a local server, scripts/pg_start.sh),
#               the BI role test and the DuckDB = PostgreSQL equality
#   make bench  the benchmark (benchmarks/README.md), not part of make test;
#               make bench TIERS=S,M for the smaller tiers only
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_CUSTOMERS ?= 5000
DEMO_SEED ?= 7
TIERS ?= S,M,L
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: setup demo test test-spark test-postgres lint browser engines bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,report,spark,postgres,crosscheck]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/segmart run --raw-dir data/raw --demo-customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED)
	# how the predictions did on the demo's last 90 days (the report then draws it)
	-$(BIN)/segmart backtest

lint: setup
	$(BIN)/ruff check segmart tests_py benchmarks models
	$(BIN)/ruff format --check segmart tests_py benchmarks models
	# sqlfluff compiles the models: customer_key needs the installation's key
	# (two processes: the dbt templater compiles every model, 89 s in one, 49 s in two)
	env $$($(BIN)/segmart key --env) $(BIN)/sqlfluff lint --processes 2 models macros tests analyses

# The engines make test builds on, as Debian packages when the machine has none:
# a PostgreSQL server (the postgres suite starts its own, scripts/pg_start.sh) and
# a Java runtime for the local Spark. Under CI=true a suite whose engine is
# missing fails instead of skipping (tests_py/engines.py).
engines:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
		$$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $$([ "$$(id -u)" = 0 ] || echo sudo) \
			apt-get install -y --no-install-recommends postgresql; \
	fi
	@if ! command -v java >/dev/null; then \
		$$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $$([ "$$(id -u)" = 0 ] || echo sudo) \
			apt-get install -y --no-install-recommends openjdk-17-jre-headless; \
	fi

# Headless Chromium for the report's browser test (Debian packages; CI runs as root).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		$$([ "$$(id -u)" = 0 ] || echo sudo) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $$([ "$$(id -u)" = 0 ] || echo sudo) \
			apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi

# Everything: the DuckDB suite, the PostgreSQL build (a local server the tests
# start, scripts/pg_start.sh) with its BI-role test, and the local Spark build,
# each with its equality to DuckDB (on Spark also the generated messy data set).
# Two workers (pytest-xdist): a dbt build keeps about one core busy, so two
# modules build side by side; --dist loadscope keeps a module on one worker, so
# its module fixtures are built once.
test: setup lint browser engines
	SEGMART_SPARK_GENERATED=1 $(BIN)/pytest -n 2 --dist loadscope --durations=25

# Only the Spark build and the DuckDB = Spark equality.
test-spark: setup engines
	$(BIN)/pytest -m spark

# Only the PostgreSQL build, the BI role and the DuckDB = PostgreSQL equality.
# The tests start and stop a server of their own.
test-postgres: setup engines
	$(BIN)/pytest -m postgres

bench: setup
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run.py --tiers $(TIERS) $(BENCH_ARGS)

clean:
	rm -rf target logs segmart.duckdb* data/out
	find data/raw -mindepth 1 ! -name .gitkeep -delete
