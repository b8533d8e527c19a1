"""The `postgres` target: a real PostgreSQL server, started by the project's script.

scripts/pg_start.sh starts a throwaway server (its own folder and a free port);
`segmart load` writes the raw files, `segmart pg-build` (segmart.pg_build) builds
with dbt on PostgreSQL, and the tests check that:
- the build is green (every model, data test and unit test);
- the known answers of fixture `profile` (tests_py/test_profile.py) come out;
- the marts customer_profile, segment_membership and customer_segment equal the
  DuckDB build of the same files (fixture `profile`, and the small generated
  messy data set), row by row, numbers within a tolerance;
- the read-only BI role reads the marts without personal data and nothing else.

Skipped only when no PostgreSQL server binaries are installed.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import psycopg2  # the `postgres` extra, which `make setup` installs
import pytest

from segmart.contract import PROJECT_DIR
from tests_py.conftest import FIXTURES, build, raw_values_breaches
from tests_py.engines import postgres_binaries, require
from tests_py.test_profile import ANN, BOB, CAT, DAN

pytestmark = pytest.mark.postgres


require(postgres_binaries() is not None, "PostgreSQL (initdb)")

from segmart.load import PgSettings, load  # noqa: E402
from segmart.pg_build import PgBuildResult, pg_build  # noqa: E402

BI_USER, BI_PASSWORD = "segmart_bi", "segmart_bi_test"
MARTS = {
    "main.customer_profile": ("customer_key",),
    "main.segment_membership": ("customer_key", "segment_name"),
    "main.customer_segment": ("customer_key",),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def pg_env() -> Iterator[dict[str, str]]:
    """A server of its own for this session: scripts/pg_start.sh, then pg_stop."""
    folder = tempfile.mkdtemp(prefix="segmart-pg-test-")
    env = {
        **os.environ,
        "SEGMART_PG_DIR": folder,
        "SEGMART_PG_PORT": str(_free_port()),
        "SEGMART_PG_PASSWORD": "segmart_test",
        "SEGMART_PG_BI_USER": BI_USER,
        "SEGMART_PG_BI_PASSWORD": BI_PASSWORD,
    }
    _pg_start(env)
    try:
        yield env
    finally:
        subprocess.run(
            ["bash", str(PROJECT_DIR / "scripts" / "pg_stop.sh"), "--purge"],
            env=env,
            capture_output=True,
            check=False,
        )


def _pg_start(env: dict[str, str]) -> None:
    """scripts/pg_start.sh with `env`: starts the server, or reuses the running
    one, and creates the database and roles that are missing."""
    started = subprocess.run(
        ["bash", str(PROJECT_DIR / "scripts" / "pg_start.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr


def _create_database(pg_env: dict[str, str], name: str) -> dict[str, str]:
    """Database `name` on the session's server; the environment that selects it."""
    env = {**pg_env, "SEGMART_PG_DB": name}
    _pg_start(env)
    return env


class PgBuild:
    """A data set loaded and built in a database of its own."""

    def __init__(self, settings: PgSettings, result: PgBuildResult) -> None:
        self.settings = settings
        self.result = result

    def query(self, sql: str, *, user: str | None = None, password: str = "") -> list:
        conn = psycopg2.connect(
            host=self.settings.host,
            port=self.settings.port,
            dbname=self.settings.dbname,
            user=user or self.settings.user,
            password=password if user else self.settings.password,
        )
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
                names = [column.name for column in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            conn.close()


@pytest.fixture(scope="session")
def pg_builder(pg_env, tmp_path_factory) -> Callable[[str, Path], PgBuild]:
    """Load and build a raw folder into database segmart_<name> (cached)."""
    root = tmp_path_factory.mktemp("pg_builds")
    cache: dict[str, PgBuild] = {}

    def _build(name: str, raw_dir: Path) -> PgBuild:
        if name in cache:
            return cache[name]
        env = _create_database(pg_env, f"segmart_{name}")
        settings = PgSettings.from_env(env)
        load(raw_dir, settings)
        result = pg_build(
            settings=settings,
            target_path=root / f"target_{name}",
            extra_env={"SEGMART_RAW_DIR": str(raw_dir)},
        )
        cache[name] = PgBuild(settings, result)
        return cache[name]

    return _build


@pytest.fixture(scope="module")
def pg_profile(pg_builder) -> PgBuild:
    built = pg_builder("profile", FIXTURES / "raw" / "profile")
    assert built.result.success, built.result.output[-5000:]
    return built


# -- the build -----------------------------------------------------------------


def test_build_is_green(pg_profile):
    statuses = {r["unique_id"]: r["status"] for r in pg_profile.result.results}
    failed = {
        uid: s
        for uid, s in statuses.items()
        if s not in ("success", "pass", "warn", "no-op")  # no-op: exposures
    }
    assert not failed, failed
    # every kind of node ran: models, data tests and unit tests, both Python stand-ins
    assert any(uid.startswith("unit_test.") for uid in statuses)
    assert any(uid.startswith("test.") for uid in statuses)
    for name in ("customer_profile", "int_customers_predicted", "int_text_signals"):
        assert statuses[f"model.segmart.{name}"] == "success"


def test_load_lands_what_duckdb_lands(pg_profile, builder):
    """Raw tables: same columns (as text) and the same rows as the DuckDB landing."""
    duck = builder("profile", FIXTURES / "raw" / "profile")
    for table in ("orders", "customers", "campaigns", "_unreadable_lines"):
        pg_rows = pg_profile.query(f"select * from raw.{table} order by 1, 2, 3")
        duck_rows = duck.query_dicts(f"select * from raw.{table} order by 1, 2, 3")
        assert pg_rows == duck_rows, table
    types = pg_profile.query(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'orders'"
    )
    assert {t["data_type"] for t in types if not t["column_name"].startswith("_")} == {
        "text"
    }


def test_known_answers(pg_profile):
    """The hand-worked answers of tests_py/test_profile.py, read on PostgreSQL."""
    profile = {
        r["customer_key"]: r
        for r in pg_profile.query("select * from main.customer_profile")
    }
    assert set(profile) == {ANN, BOB, CAT, DAN}
    assert profile[ANN]["contribution_margin"] == Decimal("114.50")
    assert profile[ANN]["net_revenue"] == Decimal("175.00")
    assert profile[BOB]["refund_amount"] == Decimal("196.00")
    assert profile[BOB]["contribution_margin"] == Decimal("-122.00")
    assert profile[BOB]["contribution_margin_365d"] == Decimal("-176.00")
    assert profile[ANN]["median_days_between_orders"] == 60.5
    assert profile[ANN]["expected_next_order_date"] == dt.date(2024, 7, 10)
    assert profile[BOB]["days_overdue"] == 212 - 92
    got = {
        k: (
            r["recency_score"],
            r["frequency_score"],
            r["monetary_score"],
            r["rfm_group"],
        )
        for k, r in profile.items()
    }
    assert got[ANN] == (2, 2, 4, "At Risk")
    assert got[BOB] == (1, 2, 1, "Lost")
    assert got[CAT] == (4, 1, 2, "Promising")
    assert {k: r["lifecycle_stage"] for k, r in profile.items()} == {
        ANN: "early_repeat",
        BOB: "lapsing",
        CAT: "new",
        DAN: "prospect",
    }
    assert profile[ANN]["engagement_score"] == 80.0
    assert profile[ANN]["top_category"] == "coffee_beans"
    assert profile[ANN]["categories_bought"] == "coffee_beans,filters,mugs"


# -- the same marts as DuckDB --------------------------------------------------


def _same_value(duck, pg) -> bool:
    if duck is None or pg is None:
        return duck is None and pg is None
    numbers = (int, float, Decimal)
    if isinstance(duck, bool) or isinstance(pg, bool):
        return duck is pg
    if isinstance(duck, numbers) and isinstance(pg, numbers):
        if isinstance(duck, Decimal) and isinstance(pg, Decimal):  # money
            return abs(duck - pg) <= Decimal("0.01")
        return math.isclose(float(duck), float(pg), rel_tol=1e-6, abs_tol=1e-9)
    return duck == pg


def _differences(duck_rows: list[dict], pg_rows: list[dict], key: tuple) -> list:
    def by_key(rows):
        return {tuple(r[k] for k in key): r for r in rows}

    duck, pg = by_key(duck_rows), by_key(pg_rows)
    found: list = [("missing on PostgreSQL", k) for k in duck.keys() - pg.keys()]
    found += [("only on PostgreSQL", k) for k in pg.keys() - duck.keys()]
    for k in sorted(duck.keys() & pg.keys()):
        if duck[k].keys() != pg[k].keys():
            found.append(("columns", k, duck[k].keys() ^ pg[k].keys()))
            continue
        for column, value in duck[k].items():
            if not _same_value(value, pg[k][column]):
                found.append((k, column, value, pg[k][column]))
    return found


def _assert_marts_equal(duck_build, pg_build: PgBuild) -> None:
    for table, key in MARTS.items():
        order = ", ".join(key)
        duck_rows = duck_build.query_dicts(f"select * from {table} order by {order}")
        pg_rows = pg_build.query(f"select * from {table} order by {order}")
        assert len(duck_rows) == len(pg_rows), table
        assert list(duck_rows[0]) == list(pg_rows[0]), f"{table}: column order"
        assert _differences(duck_rows, pg_rows, key) == [], table


def test_marts_equal_duckdb_on_fixture_profile(pg_profile, builder):
    duck = builder("profile", FIXTURES / "raw" / "profile")
    assert duck.result.success, duck.result.output[-3000:]
    _assert_marts_equal(duck, pg_profile)


def test_marts_equal_duckdb_on_generated_messy_data(
    pg_builder, generated, generated_raw
):
    """400 generated customers with 3% messy values: parsing, quarantine, margin,
    RFM, predictions, text signals and every segment, on both engines."""
    built = pg_builder("generated", generated_raw)
    assert built.result.success, built.result.output[-5000:]
    assert len(generated.query("select * from main.segment_membership")) > 100
    _assert_marts_equal(generated, built)


def test_raw_values_are_kept_for_the_lines_not_staged_only(pg_builder, generated_raw):
    """As on DuckDB (test_staging.py): on PostgreSQL the base models' post-hook
    nulls a staged line's raw_values."""
    built = pg_builder("generated", generated_raw)
    assert built.result.success, built.result.output[-5000:]
    breaches, unstaged = raw_values_breaches(
        lambda sql: [tuple(row.values()) for row in built.query(sql)],
        lambda name: f"staging.base_shop__{name}",
    )
    assert breaches == []
    assert unstaged > 20


def test_comparison_can_fail():
    """The equality check sees a changed number, a changed text and a lost row."""
    rows = [{"customer_key": "a", "margin": Decimal("1.00"), "x": 0.5, "s": "t"}]
    key = ("customer_key",)
    assert _differences(rows, rows, key) == []
    assert _differences(rows, [{**rows[0], "margin": Decimal("1.02")}], key)
    assert _differences(rows, [{**rows[0], "x": 0.5001}], key)
    assert _differences(rows, [{**rows[0], "s": "u"}], key)
    assert _differences(rows, [], key)


# -- BI access -----------------------------------------------------------------


def test_bi_role_reads_the_profile_but_no_personal_data(pg_profile):
    rows = pg_profile.query(
        "select count(*) as n from main.customer_profile",
        user=BI_USER,
        password=BI_PASSWORD,
    )
    assert rows == [{"n": 4}]
    for table in (
        "intermediate.int_customers_identified",
        "activation.audience_members",
        "raw.customers",
        "staging.stg_shop__customers",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            pg_profile.query(
                f"select email from {table} limit 1", user=BI_USER, password=BI_PASSWORD
            )


def test_bi_role_can_read_only_marts_without_personal_columns(pg_profile):
    readable = pg_profile.query(
        """
        select table_schema, table_name
        from information_schema.tables
        where table_schema not in ('pg_catalog', 'information_schema')
            and has_table_privilege(
                format('%I.%I', table_schema, table_name), 'select'
            )
        """,
        user=BI_USER,
        password=BI_PASSWORD,
    )
    assert {r["table_schema"] for r in readable} == {"main"}
    assert {"customer_profile", "segment_membership", "customer_segment"} <= {
        r["table_name"] for r in readable
    }
    personal = pg_profile.query(
        """
        select table_name, column_name from information_schema.columns
        where table_schema = 'main'
            and column_name in ('email', 'phone', 'first_name', 'last_name',
                'postal_code')
        """
    )
    assert not {r["table_name"] for r in personal} & {r["table_name"] for r in readable}
    # and the role cannot write
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        pg_profile.query(
            "create table main.bi_scratch as select 1 as x",
            user=BI_USER,
            password=BI_PASSWORD,
        )


def test_build_without_load_says_run_segmart_load(pg_env, tmp_path):
    """A database with no raw tables: the build stops and names `segmart load`."""
    env = _create_database(pg_env, "segmart_empty")
    result = pg_build(settings=PgSettings.from_env(env), target_path=tmp_path / "t")
    assert not result.success
    assert "run `segmart load` first" in result.output
    assert "raw.orders" in result.output


# -- an incremental refresh ---------------------------------------------------


def test_refresh_on_postgres_is_incremental_and_exact(pg_env, tmp_path):
    """Day 1 built, then day 2 (day 1 plus an order version, a duplicate line and a
    new event) refreshed incrementally on PostgreSQL: the labels equal a full
    DuckDB build of day 2, and the refresh ran delete+insert."""
    day = tmp_path / "exports"
    shutil.copytree(FIXTURES / "raw" / "profile", day)
    env = _create_database(pg_env, "segmart_refresh")
    settings = PgSettings.from_env(env)

    def refresh(name: str) -> PgBuildResult:
        load(day, settings)
        return pg_build(
            settings=settings,
            target_path=tmp_path / f"target_{name}",
            extra_env={"SEGMART_RAW_DIR": str(day)},
        )

    first = refresh("day1")
    assert first.success, first.output[-5000:]
    for name in ("orders", "engagement_events"):
        header, *lines = (day / f"{name}.csv").read_text().splitlines()
        row = lines[0].split(",")
        extra = [lines[-1]]  # an exact duplicate of the last line
        if name == "orders":  # and a newer version of the first order, cancelled
            row[4], row[6] = "2024-01-12T10:00:00Z", "cancelled"
        else:  # and an event that arrives late, with a new id
            row[0] = "refresh-event"
        extra.append(",".join(row))
        (day / f"{name}.csv").write_text("\n".join([header, *lines, *extra]) + "\n")
    second = refresh("day2")
    assert second.success, second.output[-5000:]
    compiled = tmp_path / "target_day2" / "run" / "segmart" / "models" / "staging"
    assert "delete from" in (compiled / "shop/base/base_shop__orders.sql").read_text()

    duck = build(tmp_path, "refresh_duckdb", day)
    assert duck.result.success, duck.result.output[-3000:]
    refreshed = PgBuild(settings, second)
    statuses = refreshed.query(
        "select row_status from staging.base_shop__orders where order_id = 'A1' "
        "order by _raw_row"
    )
    assert [r["row_status"] for r in statuses] == ["superseded", "staged"]
    for name in ("orders", "order_lines", "engagement_events"):
        sql = (
            f"select _raw_row, row_status, quarantine_reason from "
            f"staging.base_shop__{name} order by _raw_row"
        )
        assert refreshed.query(sql) == duck.query_dicts(sql), name
    _assert_marts_equal(duck, refreshed)
