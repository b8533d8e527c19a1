"""Shared fixtures: each data set is built once per pytest session.

dbtRunner is not parallel-safe, so builds happen here, sequentially, and tests
assert on the resulting DuckDB files (opened read-only).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from segmart.contract import PROJECT_DIR
from segmart.dbt import DBT_HOME_ENV, NO_UNIT_TESTS, run_dbt
from segmart.dbt_worker import WORKER_ENV
from tests_py.identity import TEST_SECRET

# Every build and segmart call in the tests uses the fixed test key (never the
# machine's secret file): tests_py/identity.py computes keys from it.
os.environ["SEGMART_CUSTOMER_KEY_SECRET"] = TEST_SECRET
os.environ.pop("SEGMART_CUSTOMER_KEY_PADS", None)
# dbt's debug log file (every SQL statement) costs about a tenth of a small
# build's CPU (benchmarks/README.md, issue #20). Tests read dbt's output and
# run_results.json, so the file keeps warnings and errors only.
os.environ.setdefault("DBT_LOG_LEVEL_FILE", "warn")
# One dbt process per test worker runs its dbt commands one after another
# (segmart.dbt_worker): a command in a fresh process paid about 4 s of a small
# build's 13 for imports and first compiles, on every fixture build.
os.environ.setdefault(WORKER_ENV, "1")

FIXTURES = Path(__file__).parent / "fixtures"

# The raw-export tables that have a staging base model, from the model files.
BASE_TABLES = sorted(
    path.stem.removeprefix("base_shop__")
    for path in (PROJECT_DIR / "models" / "staging" / "shop" / "base").glob(
        "base_shop__*.sql"
    )
)


def pytest_configure(config) -> None:
    """`make test` runs two pytest workers (pytest-xdist, one module at a time
    each): each worker's dbt runs without a --target-path of their own write
    their artifacts to a folder of that worker (dbt's DBT_TARGET_PATH, which
    segmart.dbt honours), so two builds never share target/."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        os.environ.setdefault(
            "DBT_TARGET_PATH", str(PROJECT_DIR / "target" / f"pytest-{worker}")
        )


# The modules that take longest (`--durations=0`, 2026-12-04), longest first.
# pytest-xdist's --dist loadscope hands out modules in collection order, and
# test_spark.py came near the end: with three workers the suite then waited
# minutes for the Spark build alone. Starting the longest first evens them out.
LONGEST_FIRST = (
    "test_spark.py",
    "test_postgres.py",
    "test_propensity_profile.py",
    "test_discover.py",
    "test_incremental_drift.py",
    "test_incremental.py",
    "test_archetypes.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    def rank(item) -> int:
        name = item.path.name
        return (
            LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)
        )

    items.sort(key=rank)  # stable: the order within a module is kept


@pytest.fixture(scope="session", autouse=True)
def dbt_home(tmp_path_factory) -> Path:
    """Every DuckDB build of this worker runs in one folder (segmart.dbt's
    SEGMART_DBT_HOME), so dbt parses the project once per worker and set of
    --vars, not once per fixture build: a full parse is about 6 s of a small
    build's 20 (issue #20). Subprocesses (segmart's own commands) inherit it."""
    home = tmp_path_factory.mktemp("dbt_home")
    os.environ[DBT_HOME_ENV] = str(home)
    return home


def raw_values_breaches(
    rows: Callable[[str], list[tuple]], relation: Callable[[str], str]
) -> tuple[list[tuple], int]:
    """The base tables' row_status groups whose raw_values break the rule (null
    on staged lines, kept on every other line), and how many lines that were not
    staged the check saw. `rows` runs a query, `relation` names a base table."""
    breaches, unstaged = [], 0
    for name in BASE_TABLES:
        sql = (
            "select row_status, count(*) filter (where raw_values is null) as nulls, "
            f"count(*) as lines from {relation(name)} group by row_status"
        )
        for status, nulls, lines in rows(sql):
            if nulls != (lines if status == "staged" else 0):
                breaches.append((name, status, nulls, lines))
            unstaged += 0 if status == "staged" else lines
    return breaches, unstaged


class Build:
    """A finished dbt build: its result and a way to query its database."""

    def __init__(self, db_path: Path, result, raw_dir: Path) -> None:
        self.db_path = db_path
        self.result = result
        self.raw_dir = raw_dir

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def query_dicts(self, sql: str, params: list | None = None) -> list[dict]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: list | None = None):
        rows = self.query(sql, params)
        return rows[0][0]


def build(
    tmp_root: Path,
    name: str,
    raw_dir: Path,
    *,
    dbt_vars: dict | None = None,
    command: str = "build",
) -> Build:
    """Build `raw_dir` into its own database. Unit tests check logic, not data:
    they run once per session (tests_py/test_unit_tests.py), not in every build."""
    db_path = tmp_root / f"{name}.duckdb"
    result = run_dbt(
        [command, *NO_UNIT_TESTS],
        db_path=db_path,
        raw_dir=raw_dir,
        dbt_vars=dbt_vars,
        target_path=tmp_root / f"target_{name}",
    )
    return Build(db_path, result, raw_dir)


@pytest.fixture(scope="session")
def builder(tmp_path_factory) -> Callable[..., Build]:
    """Build a raw folder into its own database (cached per name)."""
    root = tmp_path_factory.mktemp("builds")
    cache: dict[str, Build] = {}

    def _build(name: str, raw_dir: Path, **kwargs) -> Build:
        if name not in cache:
            cache[name] = build(root, name, raw_dir, **kwargs)
        return cache[name]

    return _build


@pytest.fixture(scope="session")
def generated_raw(tmp_path_factory) -> Path:
    """A small generated data set (the 'small generated fixture')."""
    from segmart.generate import generate

    out = tmp_path_factory.mktemp("generated_raw")
    generate(out_dir=out, customers=400, seed=11, messy=0.03, progress=False)
    return out


@pytest.fixture(scope="session")
def generated(builder, generated_raw) -> Build:
    result = builder("generated", generated_raw)
    assert result.result.success, result.result.output[-3000:]
    return result


@pytest.fixture(scope="session")
def hand(builder) -> Build:
    """The hand-computed fixture (tests_py/fixtures/raw/hand): known answers."""
    result = builder("hand", FIXTURES / "raw" / "hand")
    assert result.result.success, result.result.output[-3000:]
    return result


@pytest.fixture(scope="session")
def history(tmp_path_factory, generated_raw) -> Build:
    """The small generated data set built twice into one database by the CLI
    (`segmart backfill`): as of 2026-03-31, then as of the newest data, so the
    history marts hold a pair of builds. Read by the CLI, report and browser tests.
    """
    from click.testing import CliRunner

    from segmart.cli import main

    root = tmp_path_factory.mktemp("history")
    db_path = root / "history.duckdb"
    args = ["backfill", "--from", "2026-03-31", "--to", "2026-03-31", "--every", "1"]
    args += ["--db", str(db_path), "--raw-dir", str(generated_raw)]
    args += ["--target-path", str(root / "target")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output[-3000:]
    return Build(db_path, result, generated_raw)
