"""Tests of the demo-data generator (segmart.generate): its modes, clean and
messy (--messy), and the shop shapes (--shape).

Every expectation is computed from the written files and the brief (see
test_generate.py, whose constants, helpers and data set these tests use).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from segmart.generate import generate
from tests_py import test_generate
from tests_py.test_generate import (
    EMAIL_COLUMNS,
    EMAIL_RE,
    END,
    ISO_RE,
    KNOWN_STATUSES,
    MONEY_COLUMNS,
    MONEY_RE,
    PEOPLE,
    SEED,
    TABLES,
    TIMESTAMP_COLUMNS,
    _connect,
    _one,
)

# test_generate's clean data set, generated once for this module too (module scope)
clean, con = test_generate.clean, test_generate.con


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("messy")
    counts = generate(out, PEOPLE, SEED, messy=0.08, end_date=END, progress=False)
    return out, counts


@pytest.fixture(scope="module")
def mcon(messy: tuple[Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    return _connect(messy[0])


# --------------------------------------------------------------------------------------
# Clean and messy modes
# --------------------------------------------------------------------------------------


def test_clean_mode_has_no_defects(con: duckdb.DuckDBPyConnection):
    for table, col in EMAIL_COLUMNS.items():
        bad = _one(
            con,
            f"select count(*) from {table} where {col} is null "
            f"or not regexp_matches({col}, '{EMAIL_RE}')",
        )
        assert bad == 0, table
    # only realistic case variants: the customers file and engagement are lower case
    for table in ("engagement_events", "suppressions", "erasure_requests"):
        assert (
            _one(con, f"select count(*) from {table} where email <> lower(email)") == 0
        )
    for table, cols in MONEY_COLUMNS.items():
        for col in cols:
            bad = _one(
                con,
                f"select count(*) from {table} where {col} is null "
                f"or not regexp_matches({col}, '{MONEY_RE}')",
            )
            assert bad == 0, (table, col)
    for table, cols in TIMESTAMP_COLUMNS.items():
        for col in cols:
            bad = _one(
                con,
                f"select count(*) from {table} where {col} is null "
                f"or not regexp_matches({col}, '{ISO_RE}') "
                f"or cast({col} as timestamp) < date '2023-01-01'",
            )
            assert bad == 0, (table, col)
    assert _one(con, "select count(*) from orders where order_id is null") == 0
    assert (
        _one(
            con,
            "select count(*) from orders where status not in "
            f"{KNOWN_STATUSES} or currency not in ('USD', 'EUR', 'GBP', 'CAD')",
        )
        == 0
    )
    assert (
        _one(
            con,
            "select count(*) from order_lines "
            "where not regexp_matches(quantity, '^[1-9][0-9]*$')",
        )
        == 0
    )
    for table in TABLES:
        dupes = _one(
            con,
            f"select count(*) from (select * from {table} "
            "group by all having count(*) > 1)",
        )
        assert dupes == 0, table
    assert (
        _one(
            con,
            "select count(*) from fx_rates where not regexp_matches(rate_date, "
            "'^\\d{4}-\\d{2}-\\d{2}$') or not regexp_matches(rate_to_base, "
            "'^[0-9]+\\.[0-9]{6}$')",
        )
        == 0
    )


def test_messy_mode_injects_every_defect_class(mcon: duckdb.DuckDBPyConnection):
    def count(sql: str) -> int:
        return _one(mcon, sql)

    checks = {
        "padded or wrong-case email": "select count(*) from orders "
        "where email <> trim(email) "
        "or (email = upper(email) and email like '%@%')",
        "invalid email": "select count(*) from engagement_events "
        "where email is null or "
        "email in ('n/a', 'none', '-') or email like '% at %'",
        "blank order id": "select count(*) from orders where order_id is null",
        "dollar money": "select count(*) from orders where total like '$%,%' "
        "or subtotal like '$%' or total like '$%'",
        "money with code": "select count(*) from orders where subtotal like '% USD' "
        "or total like '% ___'",
        "accounting negative": "select count(*) from refunds where amount like '(%)'",
        "negative quantity": "select count(*) from order_lines "
        "where quantity like '-%'",
        "zero amount": "select count(*) from orders where total = '0.00'",
        "refund above order": "select count(*) from refunds r join (select distinct "
        "order_id, total from orders where regexp_matches(total, '^[0-9.]+$')) o "
        "using (order_id) where try_cast(r.amount as double) > o.total::double",
        "unparseable date": "select count(*) from orders where ordered_at in "
        "('not a date', '31/31/2024') or updated_at in ('not a date', '31/31/2024')",
        "far future date": "select count(*) from orders where ordered_at like '2099-%' "
        "or updated_at like '2099-%'",
        "ancient date": "select count(*) from engagement_events where occurred_at like "
        "'1970-%'",
        "other offset": "select count(*) from orders where ordered_at like '%+02:00' "
        "or ordered_at like '%-05:00' or updated_at like '%+02:00' "
        "or updated_at like '%-05:00'",
        "local date format": "select count(*) from engagement_events where "
        "regexp_matches(occurred_at, '^\\d{2}/\\d{2}/\\d{4} \\d{2}:\\d{2}$')",
        "exact duplicate": "select count(*) from (select * from engagement_events "
        "group by all having count(*) > 1)",
        "several versions": "select count(*) from (select order_id from orders where "
        "order_id is not null group by 1 having count(distinct updated_at) > 2)",
        "unknown status": "select count(*) from orders where status in "
        "('Cancelled', 'canceled', 'voided', 'SHIPPED', 'weird_status')",
        "unknown sku": "select count(*) from order_lines where sku not in "
        "(select sku from products)",
        "unknown currency": "select count(*) from orders where currency = 'XXX' "
        "or currency = lower(currency)",
    }
    missing = [name for name, sql in checks.items() if count(sql) == 0]
    assert missing == []
    # every status and currency variant of the brief occurs
    statuses = {
        r[0] for r in mcon.execute("select distinct status from orders").fetchall()
    }
    assert {"Cancelled", "canceled", "voided", "SHIPPED", "weird_status"} <= statuses
    currencies = {
        r[0] for r in mcon.execute("select distinct currency from orders").fetchall()
    }
    assert "XXX" in currencies and "eur" in currencies


def test_messy_share_and_rest_consistent(
    clean: tuple[Path, dict[str, int]],
    messy: tuple[Path, dict[str, int]],
    con: duckdb.DuckDBPyConnection,
    mcon: duckdb.DuckDBPyConnection,
):
    for name in TABLES:
        assert messy[1][name] >= clean[1][name], name
    # the defect share is close to the requested one
    bad_email = _one(
        mcon,
        f"select avg((email is null or not regexp_matches(email, '{EMAIL_RE}'))::int) "
        "from engagement_events",
    )
    assert 0.01 < bad_email < 0.08
    # a messy run is the clean run plus its defects: clean ids are all still there
    clean_ids = {
        r[0] for r in con.execute("select distinct ticket_id from tickets").fetchall()
    }
    messy_ids = {
        r[0] for r in mcon.execute("select distinct ticket_id from tickets").fetchall()
    }
    assert clean_ids == messy_ids


# --------------------------------------------------------------------------------------
# Shop shapes (--shape): rows of segmart/shop_shapes.csv
# --------------------------------------------------------------------------------------

SHAPES = ("fashion", "cafe", "subscription", "durables", "b2b_wholesale", "archive")
SHAPE_PEOPLE = 2000


def _digests(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
    }


def _cli(*args: str):  # noqa: ANN202
    from click.testing import CliRunner

    from segmart.cli import main

    return CliRunner().invoke(main, ["generate", *args])


def test_shape_table_holds_the_required_shapes():
    from segmart.generate import shapes

    assert tuple(shapes()) == SHAPES
    help_text = _cli("--help").output
    for name in SHAPES:
        assert name in help_text


def test_default_is_the_fashion_shape_byte_for_byte(tmp_path: Path):
    default, fashion = tmp_path / "default", tmp_path / "fashion"
    generate(default, customers=1500, seed=7, progress=False)
    result = _cli(
        "--customers", "1500", "--seed", "7", "--quiet", "--out", str(fashion),
        "--shape", "fashion",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _digests(default) == _digests(fashion)
    assert len(_digests(default)) == len(TABLES)


def test_unknown_shape_is_a_clear_error(tmp_path: Path):
    result = _cli("--customers", "10", "--out", str(tmp_path), "--shape", "bakery")
    assert result.exit_code == 2
    assert "bakery" in result.output
    for name in SHAPES:
        assert name in result.output
    with pytest.raises(ValueError, match="known shapes: fashion, cafe"):
        generate(tmp_path, 10, SEED, progress=False, shape="bakery")
    assert not list(tmp_path.iterdir())


def test_a_shape_is_deterministic_also_when_messy(tmp_path: Path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out in (a, b):
        generate(out, 800, SEED, messy=0.05, progress=False, shape="b2b_wholesale")
    generate(c, 800, SEED, messy=0.05, progress=False)
    assert _digests(a) == _digests(b)
    assert _digests(a)["orders.csv"] != _digests(c)["orders.csv"]
    # the defects are there too
    m = _connect(a)
    assert _one(m, "select count(*) from orders where status = 'weird_status'") > 0


# Each measure is computed from the files alone: a person is a lower-cased email;
# an order counts once (latest version); totals are converted to USD with the
# fx_rates row of the order's UTC date.
_SHAPE_SQL = """
with o as (
    select order_id, lower(trim(email)) as person,
        min(cast(ordered_at as timestamp)) as ts,
        cast(arg_max(total, updated_at) as double) as total,
        arg_max(currency, updated_at) as currency
    from orders group by order_id, lower(trim(email))
), usd as (
    select o.person, o.total * cast(f.rate_to_base as double) as total_usd
    from o join fx_rates f
        on f.currency = o.currency and cast(f.rate_date as date) = cast(o.ts as date)
), gaps as (
    select person,
        epoch(ts - lag(ts) over (partition by person order by ts)) / 86400 as gap
    from o
), person_gaps as (
    select person, count(*) as n, median(gap) as median_gap,
        stddev_samp(gap) / avg(gap) as cv
    from gaps where gap is not null group by person
), people as (
    select person, count(*) as n, min(ts) as first_ts, max(ts) as last_ts
    from o group by person
), value_cv as (
    select person, stddev_samp(total_usd) / avg(total_usd) as cv
    from usd group by person having count(*) >= 3
), companies as (
    select distinct lower(trim(email)) as person from customers
    where coalesce(trim(company_name), '') <> ''
        and coalesce(trim(company_size), '') <> ''
        and coalesce(trim(industry), '') <> ''
)
select
    (select count(*) from people) as buyers,
    (select avg((n = 1)::int) from people) as one_time,
    (select median(median_gap) from person_gaps) as median_gap,
    (select median(cv) from person_gaps where n >= 3) as gap_cv,
    (select median(total_usd) from usd) as median_total,
    (select median(cv) from value_cv) as value_cv,
    (select avg((person in (select person from companies))::int) from people)
        as b2b_share,
    (select (max(ts)::date - min(ts)::date) / 365.25 from o) as years,
    (select median(date '{end}' - last_ts::date) from people) as days_since_last,
    (select count(*) filter (where last_ts < date '{end}' - 60) / sum(n) from people)
        as churn_per_order,
    (select count(*) filter (where first_ts >= date '{end}' - 365)
        / (count(*) / ((max(first_ts)::date - min(first_ts)::date) / 365.25))
        from people) as recent_new_vs_average,
    (select avg((lower(trim(email)) not in (select person from people))::int)
        from customers) as accounts_without_orders
"""


@pytest.fixture(scope="module")
def shape_stats(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    cache: dict[str, dict[str, float]] = {}

    def stats(name: str) -> dict[str, float]:
        if name not in cache:
            out = tmp_path_factory.mktemp(name)
            counts = generate(
                out, SHAPE_PEOPLE, 7, end_date=END, progress=False, shape=name
            )
            assert all(counts[t] > 0 for t in TABLES), (name, counts)
            c = _connect(out)
            cur = c.execute(_SHAPE_SQL.format(end=END.isoformat()))
            row = cur.fetchall()[0]
            cache[name] = dict(zip([d[0] for d in cur.description], row, strict=True))
            cache[name]["first_rate"] = _one(c, "select min(rate_date) from fx_rates")
        return cache[name]

    return stats


def _years_back(years: int) -> str:
    return (date(END.year - years, END.month, END.day) + timedelta(days=1)).isoformat()


def test_shape_fashion_is_the_coffee_webshop(shape_stats):
    s = shape_stats("fashion")
    assert s["first_rate"] == _years_back(3) and 2.9 < s["years"] <= 3.0
    assert 0.15 < s["one_time"] < 0.35  # about a fifth are one-and-done
    assert 10 < s["median_gap"] < 45  # a few weeks
    assert s["gap_cv"] > 0.4  # irregular
    assert 40 < s["median_total"] < 250
    assert s["b2b_share"] < 0.1


def test_shape_cafe_regulars_buy_every_few_days_with_small_baskets(shape_stats):
    s = shape_stats("cafe")
    assert 3 <= s["median_gap"] <= 7
    assert 5 <= s["median_total"] <= 20
    assert 0.2 <= s["one_time"] <= 0.4  # tourists
    assert s["churn_per_order"] < 0.03  # fairly low dropout per order
    assert s["b2b_share"] < 0.1


def test_shape_subscription_orders_monthly_until_churn(shape_stats):
    s = shape_stats("subscription")
    assert 25 <= s["median_gap"] <= 35
    assert s["gap_cv"] < 0.2  # very regular
    assert 0.03 <= s["churn_per_order"] <= 0.1  # monthly churn ~4-8%
    assert s["one_time"] < 0.2
    assert s["value_cv"] < 0.25  # a similar box every month
    assert s["b2b_share"] < 0.1


def test_shape_durables_most_buy_once_big_tickets_years_apart(shape_stats):
    s = shape_stats("durables")
    assert 0.65 <= s["one_time"] <= 0.85  # about 3 in 4
    assert 300 <= s["median_total"] <= 5000
    assert 330 <= s["median_gap"] <= 800  # about one to two years
    assert s["b2b_share"] < 0.1


def test_shape_b2b_wholesale_accounts_reorder_in_bulk(shape_stats):
    s = shape_stats("b2b_wholesale")
    assert s["b2b_share"] >= 0.8
    assert 14 <= s["median_gap"] <= 30
    assert s["median_total"] >= 300
    assert s["one_time"] < 0.15 and s["churn_per_order"] < 0.05  # low dropout
    assert s["accounts_without_orders"] < 0.1  # few prospects


def test_shape_archive_long_sparse_history(shape_stats):
    s = shape_stats("archive")
    assert s["first_rate"] == _years_back(8) and 7.5 < s["years"] <= 8.0
    assert s["one_time"] >= 0.5
    assert s["days_since_last"] > 730  # the median buyer last bought years ago
    assert s["recent_new_vs_average"] <= 1.0  # no growth lately
    assert s["b2b_share"] < 0.1
