"""The Spark target: the same project builds on Spark, and its marts equal DuckDB's.

A fixture is loaded into a local Spark (`segmart load --target spark`: the DuckDB
landing macro, Parquet, `raw.*` tables over it), built with `segmart dbt build
--target spark` (every model, data test and unit test), and customer_profile,
segment_membership and customer_segment are compared with the DuckDB build of the
same files: same columns with the same types, the same keys, and on every row the
same values. Money (decimals of scale 2) may differ by 0.01 (a cent of rounding:
DuckDB divides decimals as doubles, Spark as decimals), other numbers by 1e-6
relative; text, booleans, integers, dates and timestamps must be equal.

Fixture `profile` has hand-computed answers (tests_py/test_profile.py), so equal
marts mean the Spark build gets them too. SEGMART_SPARK_GENERATED=1 also builds
and compares the small generated messy data set (a second Spark build, minutes).
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests_py.conftest import FIXTURES, NO_UNIT_TESTS, raw_values_breaches
from tests_py.engines import require

pytestmark = pytest.mark.spark

require(importlib.util.find_spec("pyspark") is not None, "pyspark (the spark extra)")
require(shutil.which("java") is not None, "Java 17 for Spark (java on PATH)")

from segmart import spark  # noqa: E402  (after the skips: it needs the extra)

# mart -> its key columns
MARTS = {
    "customer_profile": ["customer_key"],
    "segment_membership": ["customer_key", "segment_name"],
    "customer_segment": ["customer_key"],
}
# the Python models' tables (run in-process on Spark: segmart.spark)
PYTHON_MODELS = {
    "int_customers_predicted": ["customer_key"],
    "int_text_signals": ["source", "id"],
}
MONEY_TOLERANCE = Decimal("0.01")
RELATIVE_TOLERANCE = 1e-6


@dataclass
class Table:
    """A table read for comparison: columns, their DuckDB type names, rows."""

    columns: list[str]
    types: list[str]
    rows: list[tuple]

    def keyed(self, keys: list[str]) -> dict[tuple, tuple]:
        positions = [self.columns.index(key) for key in keys]
        keyed = {tuple(row[p] for p in positions): row for row in self.rows}
        assert len(keyed) == len(self.rows), f"{keys} is not a key"
        return keyed


def read_table(con: duckdb.DuckDBPyConnection, relation: str) -> Table:
    cursor = con.execute(f"select * from {relation}")
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    types = [
        str(row[1])
        for row in con.execute(f"describe select * from {relation}").fetchall()
    ]
    return Table(columns, types, rows)


def values_equal(left: object, right: object) -> bool:
    """Equal, or within tolerance: money 0.01, other numbers 1e-6 relative."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, Decimal) and isinstance(right, Decimal):
        if left.as_tuple().exponent == -2 or right.as_tuple().exponent == -2:
            return abs(left - right) <= MONEY_TOLERANCE
        return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9)
    if isinstance(left, float) or isinstance(right, float):
        if isinstance(left, bool) or isinstance(right, bool):
            return left == right
        return math.isclose(
            float(left), float(right), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-9
        )
    return left == right and type(left) is type(right)


def compare_tables(expected: Table, actual: Table, keys: list[str]) -> list[str]:
    """Every difference between two reads of a mart, as readable lines."""
    problems: list[str] = []
    if expected.columns != actual.columns:
        return [f"columns differ: {expected.columns} != {actual.columns}"]
    for column, want, got in zip(
        expected.columns, expected.types, actual.types, strict=True
    ):
        if want != got:
            problems.append(f"type of {column}: {want} != {got}")
    left, right = expected.keyed(keys), actual.keyed(keys)
    for key in sorted(left.keys() - right.keys(), key=str):
        problems.append(f"row {key} missing")
    for key in sorted(right.keys() - left.keys(), key=str):
        problems.append(f"row {key} unexpected")
    for key in sorted(left.keys() & right.keys(), key=str):
        for column, want, got in zip(
            expected.columns, left[key], right[key], strict=True
        ):
            if not values_equal(want, got):
                problems.append(f"row {key}, {column}: {want!r} != {got!r}")
    return problems


@dataclass
class SparkBuild:
    """A finished load + build on the local Spark of `spark_dir`."""

    spark_dir: Path
    counts: dict[str, int]
    result: object

    def relation(self, schema: str, table: str) -> str:
        """The table's Parquet files, as a DuckDB relation (no second JVM)."""
        folder = self.spark_dir / "warehouse" / f"{schema}.db" / table
        return f"read_parquet('{folder}/*.parquet')"


@pytest.fixture(scope="session")
def spark_builder(tmp_path_factory) -> Callable[[str, Path], SparkBuild]:
    """Load and build a raw folder on Spark (cached per name)."""
    root = tmp_path_factory.mktemp("spark")
    cache: dict[str, SparkBuild] = {}

    def _build(name: str, raw_dir: Path, unit_tests: bool = False) -> SparkBuild:
        if name not in cache:
            spark_dir = root / name
            env = {"SEGMART_SPARK_DIR": str(spark_dir)}
            counts = spark.load(
                raw_dir, extra_env=env, target_path=root / f"target_load_{name}"
            )
            args = ["build"] if unit_tests else ["build", *NO_UNIT_TESTS]
            result = spark.run_spark_dbt(
                args, extra_env=env, target_path=root / f"target_{name}"
            )
            cache[name] = SparkBuild(spark_dir, counts, result)
        return cache[name]

    return _build


@pytest.fixture(scope="module")
def profile_on_spark(spark_builder) -> SparkBuild:
    # the unit tests run here too: they prove the models' SQL on Spark
    build = spark_builder("profile", FIXTURES / "raw" / "profile", unit_tests=True)
    assert build.result.success, build.result.output[-5000:]
    return build


@pytest.fixture(scope="module")
def profile_on_duckdb(builder):
    build = builder("profile", FIXTURES / "raw" / "profile")
    assert build.result.success, build.result.output[-3000:]
    return build


def test_load_lands_every_raw_table(profile_on_spark, profile_on_duckdb):
    with duckdb.connect(str(profile_on_duckdb.db_path), read_only=True) as con:
        # landing's refresh bookkeeping (parsing fingerprints, lines edited in
        # place) is DuckDB's incremental machinery, not a landed export
        tables = con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw' "
            "and table_name not in ('_parsing_fingerprints', '_relanded_lines')"
        ).fetchall()
        want = {
            table: con.execute(f"select count(*) from raw.{table}").fetchone()[0]
            for (table,) in tables
        }
    assert want["orders"] > 0
    assert profile_on_spark.counts == want


def test_spark_build_passes_every_test(profile_on_spark):
    failed = [
        (r["unique_id"], r["status"])
        for r in profile_on_spark.result.results
        if r["status"] not in {"success", "pass", "warn", "no-op"}
    ]
    assert failed == []
    assert any(
        r["unique_id"].startswith("unit_test.") for r in profile_on_spark.result.results
    )
    built = {
        r["unique_id"].split(".")[-1]
        for r in profile_on_spark.result.results
        if r["unique_id"].startswith("model.")
    }
    assert {*PYTHON_MODELS, *MARTS} <= built


TABLES = [("main", mart) for mart in sorted(MARTS)] + [
    ("intermediate", model) for model in sorted(PYTHON_MODELS)
]


def assert_equal_builds(duckdb_build, spark_build: SparkBuild, schema, table) -> None:
    with duckdb.connect(str(duckdb_build.db_path), read_only=True) as con:
        expected = read_table(con, f"{schema}.{table}")
    with duckdb.connect() as con:
        actual = read_table(con, spark_build.relation(schema, table))
    assert expected.rows, f"{table} is empty: nothing compared"
    keys = {**MARTS, **PYTHON_MODELS}[table]
    assert compare_tables(expected, actual, keys) == []


@pytest.mark.parametrize(("schema", "table"), TABLES)
def test_table_equals_duckdb(profile_on_spark, profile_on_duckdb, schema, table):
    assert_equal_builds(profile_on_duckdb, profile_on_spark, schema, table)


@pytest.mark.skipif(
    os.environ.get("SEGMART_SPARK_GENERATED") != "1",
    reason="a second Spark build (minutes): SEGMART_SPARK_GENERATED=1 runs it",
)
@pytest.mark.parametrize(("schema", "table"), TABLES)
def test_generated_table_equals_duckdb(
    spark_builder, generated, generated_raw, schema, table
):
    """The small generated messy data set (conftest: 400 customers)."""
    on_spark = spark_builder("generated", generated_raw)
    assert on_spark.result.success, on_spark.result.output[-5000:]
    assert_equal_builds(generated, on_spark, schema, table)


@pytest.mark.skipif(
    os.environ.get("SEGMART_SPARK_GENERATED") != "1",
    reason="a second Spark build (minutes): SEGMART_SPARK_GENERATED=1 runs it",
)
def test_raw_values_are_kept_for_the_lines_not_staged_only(
    spark_builder, generated_raw
):
    """As on DuckDB (test_staging.py), with Spark's `* except`."""
    on_spark = spark_builder("generated", generated_raw)
    assert on_spark.result.success, on_spark.result.output[-5000:]
    with duckdb.connect() as con:
        breaches, unstaged = raw_values_breaches(
            lambda sql: con.execute(sql).fetchall(),
            lambda name: on_spark.relation("staging", f"base_shop__{name}"),
        )
    assert breaches == []
    assert unstaged > 20


# -- the comparison itself ----------------------------------------------------


def test_comparison_reports_each_kind_of_difference():
    columns = ["customer_key", "margin", "rate", "name", "first_date"]
    types = ["VARCHAR", "DECIMAL(38,2)", "DOUBLE", "VARCHAR", "DATE"]
    base = [
        ("a", Decimal("10.00"), 0.5, "x", None),
        ("b", Decimal("-3.50"), 1e6, None, None),
    ]
    within = [
        ("a", Decimal("10.01"), 0.5 * (1 + 1e-7), "x", None),
        ("b", Decimal("-3.50"), 1e6 + 0.5, None, None),
    ]
    expected = Table(columns, types, base)
    assert (
        compare_tables(expected, Table(columns, types, within), ["customer_key"]) == []
    )

    off = [
        ("a", Decimal("10.02"), 0.5 * (1 + 1e-5), "y", None),
        ("c", Decimal("1.00"), 0.0, None, None),
    ]
    problems = compare_tables(expected, Table(columns, types, off), ["customer_key"])
    assert problems == [
        "row ('b',) missing",
        "row ('c',) unexpected",
        "row ('a',), margin: Decimal('10.00') != Decimal('10.02')",
        f"row ('a',), rate: 0.5 != {0.5 * (1 + 1e-5)!r}",
        "row ('a',), name: 'x' != 'y'",
    ]
    retyped = Table(columns, [*types[:4], "TIMESTAMP"], base)
    assert compare_tables(expected, retyped, ["customer_key"]) == [
        "type of first_date: DATE != TIMESTAMP"
    ]
    reordered = Table(columns[::-1], types[::-1], base)
    assert compare_tables(expected, reordered, ["name"])[0].startswith("columns differ")
