"""Tests of the demo-data generator (segmart.generate).

Every expectation is computed from the written files (read back with DuckDB or the
csv module) and the brief, never copied from the generator's output.
"""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from segmart.contract import contract
from segmart.generate import _generate, generate

SEED = 11
PEOPLE = 2500
END = date(2026, 6, 30)
TABLES = (
    "orders",
    "order_lines",
    "products",
    "refunds",
    "customers",
    "engagement_events",
    "tickets",
    "reviews",
    "campaigns",
    "suppressions",
    "erasure_requests",
    "fx_rates",
)
EMAIL_COLUMNS = {
    "orders": "email",
    "customers": "email",
    "engagement_events": "email",
    "tickets": "email",
    "reviews": "email",
    "suppressions": "email",
    "erasure_requests": "email",
}
MONEY_COLUMNS = {
    "orders": (
        "subtotal",
        "discount_total",
        "shipping_charged",
        "tax_total",
        "total",
        "shipping_cost",
    ),
    "order_lines": ("unit_price", "line_discount"),
    "products": ("unit_cost", "price"),
    "refunds": ("amount",),
}
TIMESTAMP_COLUMNS = {
    "orders": ("ordered_at", "updated_at"),
    "products": ("updated_at",),
    "refunds": ("refunded_at",),
    "customers": ("created_at", "consent_updated_at"),
    "engagement_events": ("occurred_at",),
    "tickets": ("created_at", "updated_at"),
    "reviews": ("created_at",),
    "campaigns": ("sent_at",),
    "suppressions": ("suppressed_at",),
    "erasure_requests": ("requested_at",),
}
EMAIL_RE = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
MONEY_RE = r"^-?[0-9]+\.[0-9]{2}$"
ISO_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$"
KNOWN_STATUSES = ("pending", "paid", "fulfilled", "delivered", "cancelled", "refunded")


def _connect(directory: Path, fmt: str = "csv") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for t in TABLES:
        path = directory / f"{t}.{fmt}"
        if fmt == "csv":
            reader = (
                f"read_csv('{path}', header = true, all_varchar = true, delim = ',', "
                "quote = '\"', escape = '\"', parallel = false)"
            )
        else:
            reader = f"read_parquet('{path}')"
        con.execute(f"create view {t} as select * from {reader}")
    # latest version of every order
    con.execute(
        "create view latest_orders as select * from orders "
        "qualify row_number() over (partition by order_id order by updated_at desc) = 1"
    )
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str):  # noqa: ANN202
    return con.execute(sql).fetchall()[0][0]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("clean")
    counts = generate(out, customers=PEOPLE, seed=SEED, end_date=END, progress=False)
    return out, counts


@pytest.fixture(scope="module")
def con(clean: tuple[Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    return _connect(clean[0])


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("messy")
    counts = generate(out, PEOPLE, SEED, messy=0.08, end_date=END, progress=False)
    return out, counts


@pytest.fixture(scope="module")
def mcon(messy: tuple[Path, dict[str, int]]) -> duckdb.DuckDBPyConnection:
    return _connect(messy[0])


# --------------------------------------------------------------------------------------
# Files, headers, determinism, formats
# --------------------------------------------------------------------------------------


def test_every_contract_file_with_exact_header(clean: tuple[Path, dict[str, int]]):
    out, counts = clean
    spec = contract()
    assert set(spec) == set(TABLES)
    assert list(counts) == list(spec)
    for name, raw in spec.items():
        path = out / f"{name}.csv"
        assert path.exists(), name
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert tuple(rows[0]) == raw.columns, name
        assert len(rows) - 1 == counts[name], name
        assert all(len(r) == len(raw.columns) for r in rows), name
        assert counts[name] > 0, name


def test_same_arguments_give_identical_bytes(
    clean: tuple[Path, dict[str, int]], tmp_path: Path
):
    again = tmp_path / "again"
    generate(again, customers=PEOPLE, seed=SEED, end_date=END, progress=False)
    for name in TABLES:
        a = (clean[0] / f"{name}.csv").read_bytes()
        b = (again / f"{name}.csv").read_bytes()
        assert hashlib.sha256(a).digest() == hashlib.sha256(b).digest(), name


def test_another_seed_gives_other_data(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, customers=300, seed=1, progress=False)
    generate(b, customers=300, seed=2, progress=False)
    for name in ("orders", "customers", "engagement_events", "fx_rates", "products"):
        assert (a / f"{name}.csv").read_bytes() != (b / f"{name}.csv").read_bytes()


def test_chunks_are_independent_and_ids_unique(tmp_path: Path):
    small, large = tmp_path / "small", tmp_path / "large"
    _generate(small, 600, SEED, 0.0, END, "csv", False, chunk_size=600)
    _generate(large, 2000, SEED, 0.0, END, "csv", False, chunk_size=600)
    # the first chunk's people are the same whatever the total
    for name in ("customers", "orders", "engagement_events", "tickets"):
        head = (small / f"{name}.csv").read_bytes()
        assert (large / f"{name}.csv").read_bytes().startswith(head), name
    c = _connect(large)
    assert _one(c, "select count(*) - count(distinct customer_id) from customers") == 0
    assert _one(c, "select count(*) - count(distinct email) from customers") > 0
    assert (
        _one(
            c,
            "select count(*) from (select order_id from orders "
            "group by order_id, updated_at having count(*) > 1)",
        )
        == 0
    )
    for table, key in (
        ("order_lines", "line_id"),
        ("engagement_events", "event_id"),
        ("tickets", "ticket_id"),
        ("reviews", "review_id"),
        ("refunds", "refund_id"),
    ):
        dupes = _one(c, f"select count(*) - count(distinct {key}) from {table}")
        assert dupes == 0, table
    # four chunks: people from every chunk have orders
    assert _one(c, "select count(distinct lower(email)) from orders") > 1000


def test_parquet_holds_the_same_rows_and_replaces_csv(
    clean: tuple[Path, dict[str, int]], tmp_path: Path
):
    out = tmp_path / "pq"
    out.mkdir()
    (out / "orders.csv").write_text("stale\n")
    counts = generate(out, PEOPLE, SEED, end_date=END, fmt="parquet", progress=False)
    assert counts == clean[1]
    assert not (out / "orders.csv").exists()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{t}.parquet" for t in TABLES
    )
    pq_con = _connect(out, "parquet")
    csv_con = _connect(clean[0])
    for name in TABLES:
        cols = _one(pq_con, f"select list(column_name) from (describe {name})")
        assert tuple(cols) == contract()[name].columns, name
        types = _one(
            pq_con, f"select list(distinct column_type) from (describe {name})"
        )
        assert types == ["VARCHAR"], name
    for name in ("orders", "tickets", "customers", "fx_rates"):
        a = set(csv_con.execute(f"select * from {name}").fetchall())
        b = set(pq_con.execute(f"select * from {name}").fetchall())
        assert a == b, name
    # and back to csv removes the parquet files
    generate(out, 200, SEED, progress=False)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in TABLES)


def test_bad_arguments_are_rejected(tmp_path: Path):
    with pytest.raises(ValueError):
        generate(tmp_path, 10, SEED, fmt="xlsx", progress=False)
    with pytest.raises(ValueError):
        generate(tmp_path, 0, SEED, progress=False)
    with pytest.raises(ValueError):
        generate(tmp_path, 10, SEED, messy=1.5, progress=False)


def test_history_is_three_years_anchored_on_end_date(tmp_path: Path):
    end = date(2025, 3, 15)
    generate(tmp_path, 800, SEED, end_date=end, progress=False)
    c = _connect(tmp_path)
    lo, hi = c.execute(
        "select min(cast(ordered_at as timestamp)), max(cast(ordered_at as timestamp)) "
        "from orders"
    ).fetchall()[0]
    assert hi.date() <= end and hi.date() >= end - timedelta(days=14)
    assert lo.date() >= end - timedelta(days=3 * 366)
    assert lo.date() <= end - timedelta(days=2 * 365)
    for table, cols in TIMESTAMP_COLUMNS.items():
        for col in cols:
            latest = _one(c, f"select max(cast({col} as timestamp)) from {table}")
            if latest is not None:
                assert latest.date() <= end, (table, col)
    fx = c.execute("select min(rate_date), max(rate_date) from fx_rates").fetchall()[0]
    assert fx[1] == end.isoformat()


# --------------------------------------------------------------------------------------
# Identity: guests, several accounts, case variants, prospects
# --------------------------------------------------------------------------------------


def test_guest_checkouts_and_several_accounts_per_email(con: duckdb.DuckDBPyConnection):
    guests = _one(
        con,
        "select count(*) from orders where customer_id is null and email is not null",
    )
    assert guests > 0
    # guest orders of people who also have an account, and of guest-only people
    assert (
        _one(
            con,
            "select count(*) from orders o where o.customer_id is null and exists "
            "(select 1 from customers c where lower(c.email) = lower(o.email))",
        )
        > 0
    )
    assert (
        _one(
            con,
            "select count(*) from orders o where o.customer_id is null and not exists "
            "(select 1 from customers c where lower(c.email) = lower(o.email))",
        )
        > 0
    )
    shared = _one(
        con,
        "select count(*) from (select lower(email) from customers group by 1 "
        "having count(distinct customer_id) > 1)",
    )
    assert shared > 0
    # the same identity written with different letter case
    assert (
        _one(
            con,
            "select count(*) from (select lower(email) from orders group by 1 "
            "having count(distinct email) > 1)",
        )
        > 0
    )


def test_prospects_have_engagement_but_no_orders(con: duckdb.DuckDBPyConnection):
    prospects = _one(
        con,
        "select count(distinct lower(c.email)) from customers c "
        "where lower(c.email) not in (select lower(email) from orders) "
        "and lower(c.email) in (select lower(email) from engagement_events)",
    )
    customers = _one(con, "select count(distinct lower(email)) from customers")
    assert 0.05 * customers < prospects < 0.4 * customers


# --------------------------------------------------------------------------------------
# Orders, money, currencies
# --------------------------------------------------------------------------------------


def test_order_arithmetic_and_lines(con: duckdb.DuckDBPyConnection):
    bad = _one(
        con,
        """
        with l as (
            select order_id,
                   sum(quantity::int * unit_price::decimal(12, 2)) as line_sum,
                   sum(line_discount::decimal(12, 2)) as line_discounts,
                   count(*) as n_lines
            from order_lines group by order_id
        )
        select count(*) from latest_orders o left join l using (order_id)
        where l.order_id is null
           or o.subtotal::decimal(12, 2) <> l.line_sum
           or o.discount_total::decimal(12, 2) < l.line_discounts
           or o.total::decimal(12, 2) <> o.subtotal::decimal(12, 2)
                - o.discount_total::decimal(12, 2) + o.shipping_charged::decimal(12, 2)
                + o.tax_total::decimal(12, 2)
           or o.shipping_cost::decimal(12, 2) <= 0
           or o.total::decimal(12, 2) < 0
           or l.n_lines not between 1 and 5
           or cast(o.updated_at as timestamp) < cast(o.ordered_at as timestamp)
        """,
    )
    assert bad == 0
    spread = con.execute(
        "select count(distinct n) from (select count(*) n from order_lines "
        "group by order_id)"
    ).fetchall()[0][0]
    assert spread == 5
    assert (
        _one(
            con,
            "select count(*) from order_lines where sku not in "
            "(select sku from products)"
            " or quantity::int <= 0 or line_discount::decimal(12, 2) < 0",
        )
        == 0
    )
    lines_per_order = _one(
        con, "select count(*) / count(distinct order_id) from order_lines"
    )
    assert 1.8 < lines_per_order < 3.2


def test_order_versions_and_statuses(con: duckdb.DuckDBPyConnection):
    versions = _one(
        con,
        "select count(*) from (select order_id from orders group by order_id "
        "having count(*) > 1 and count(distinct updated_at) = count(*) "
        "and count(distinct status) > 1)",
    )
    n_orders = _one(con, "select count(distinct order_id) from orders")
    assert 0 < versions < 0.1 * n_orders
    shares = dict(
        con.execute(
            "select status, count(*) / sum(count(*)) over () from latest_orders "
            "group by status"
        ).fetchall()
    )
    assert set(shares) <= set(KNOWN_STATUSES)
    assert shares["paid"] + shares["fulfilled"] + shares["delivered"] > 0.85
    assert 0.005 < shares["cancelled"] < 0.08
    assert 0.005 < shares["refunded"] < 0.08


def test_multi_currency_with_daily_fx_for_every_order_day(
    con: duckdb.DuckDBPyConnection,
):
    currencies = {
        r[0] for r in con.execute("select distinct currency from orders").fetchall()
    }
    assert {"USD", "EUR", "GBP", "CAD"} <= currencies
    usd_share = _one(con, "select avg((currency = 'USD')::int) from orders")
    assert 0.5 < usd_share < 0.9
    missing = _one(
        con,
        "select count(*) from orders o where currency <> 'USD' and not exists ("
        "select 1 from fx_rates f where f.currency = o.currency "
        "and f.rate_date = strftime(cast(o.ordered_at as timestamp), '%Y-%m-%d'))",
    )
    assert missing == 0
    # every day, no gaps, gentle moves, plausible levels
    for cur, lo, hi in (("EUR", 0.9, 1.35), ("GBP", 1.05, 1.55), ("CAD", 0.6, 0.9)):
        days, span, low, high, jump = con.execute(
            f"""
            with f as (select rate_date::date d, rate_to_base::double r
                       from fx_rates where currency = '{cur}')
            select count(distinct d), max(d) - min(d) + 1, min(r), max(r),
                   max(abs(r / lag_r - 1))
            from (select d, r, lag(r) over (order by d) lag_r from f)
            """
        ).fetchall()[0]
        assert days == span, cur
        assert lo < low <= high < hi, cur
        assert jump < 0.03, cur


def test_seasonality_peaks_in_november_and_december(con: duckdb.DuckDBPyConnection):
    share = _one(
        con,
        "select avg((month(cast(ordered_at as timestamp)) in (11, 12))::int) "
        "from latest_orders",
    )
    assert share > 2 / 12 + 0.04
    by_weekday = [
        r[0]
        for r in con.execute(
            "select count(*) from latest_orders "
            "group by dayofweek(cast(ordered_at as timestamp))"
        ).fetchall()
    ]
    assert len(by_weekday) == 7
    assert max(by_weekday) / min(by_weekday) < 1.5  # mild weekly pattern


def test_spend_is_skewed(con: duckdb.DuckDBPyConnection):
    top_share = _one(
        con,
        """
        with r as (
            select lower(o.email) who,
                   sum(o.total::double * coalesce(f.rate_to_base::double, 1)) usd
            from latest_orders o left join fx_rates f
              on f.currency = o.currency
             and f.rate_date = strftime(cast(o.ordered_at as timestamp), '%Y-%m-%d')
            group by 1
        ), ranked as (select usd, ntile(10) over (order by usd desc) decile from r)
        select sum(usd) filter (where decile = 1) / sum(usd) from ranked
        """,
    )
    assert top_share > 0.4
    mean, median = con.execute(
        "select avg(total::double), median(total::double) from latest_orders "
        "where currency = 'USD'"
    ).fetchall()[0]
    assert mean > 1.2 * median


def test_repeat_buyers_lapse_while_others_stay_active(con: duckdb.DuckDBPyConnection):
    lapsed, active, one_time, longest = con.execute(
        f"""
        with p as (
            select lower(email) who, count(distinct order_id) n,
                   max(cast(ordered_at as timestamp)) last_at
            from orders group by 1
        )
        select count(*) filter (where n >= 3
                                and last_at < date '{END}' - interval 180 day),
               count(*) filter (where n >= 3
                                and last_at >= date '{END}' - interval 60 day),
               count(*) filter (where n = 1),
               max(n)
        from p
        """
    ).fetchall()[0]
    assert lapsed >= 20
    assert active >= 20
    assert one_time >= 100
    assert longest >= 40  # heavy tail: a few people order very often
    # buyers with a rhythm (median gap <= 60 days) who then stop: silent for over
    # four of their own gaps (and 180 days). Without dropout this is rare.
    rhythmic, dropped = con.execute(
        f"""
        with o as (select distinct order_id, lower(email) who,
                          cast(ordered_at as timestamp) t from orders),
        g as (select who, t, datediff('day', lag(t) over (partition by who
                                                          order by t), t) gap
              from o),
        p as (select who, count(*) n, median(gap) med, max(t) last_t
              from g group by 1)
        select count(*) filter (where n >= 4 and med <= 60),
               count(*) filter (where n >= 4 and med <= 60 and datediff(
                   'day', last_t, date '{END}') >= greatest(180, 4 * med))
        from p
        """
    ).fetchall()[0]
    assert rhythmic >= 100
    assert dropped / rhythmic > 0.12


def test_discount_driven_and_full_price_buyers(con: duckdb.DuckDBPyConnection):
    driven, full_price = con.execute(
        """
        with p as (
            select lower(email) who, count(*) n,
                   avg((discount_codes is not null
                        and discount_total::double > 0)::int) coded
            from latest_orders group by 1 having count(*) >= 3
        )
        select count(*) filter (where coded >= 0.75),
               count(*) filter (where coded = 0)
        from p
        """
    ).fetchall()[0]
    assert driven >= 20
    assert full_price >= 50


def test_refunds_returns_and_partial(con: duckdb.DuckDBPyConnection):
    kinds = con.execute(
        """
        select r.is_return,
               r.amount::decimal(12, 2) = o.total::decimal(12, 2) as full_refund,
               count(*)
        from refunds r join latest_orders o using (order_id)
        group by all
        """
    ).fetchall()
    seen = {(k[0], k[1]) for k in kinds}
    assert ("true", True) in seen  # full returns
    assert ("true", False) in seen  # one item returned
    assert ("false", False) in seen  # partial goodwill refunds
    bad = _one(
        con,
        """
        select count(*) from refunds r join latest_orders o using (order_id)
        where r.amount::decimal(12, 2) > o.total::decimal(12, 2)
           or r.amount::decimal(12, 2) <= 0
           or cast(r.refunded_at as timestamp) <= cast(o.ordered_at as timestamp)
           or cast(r.refunded_at as timestamp)
              > cast(o.ordered_at as timestamp) + interval 150 day
           or r.reason is null
        """,
    )
    assert bad == 0
    assert _one(con, "select count(*) from refunds where order_id not in "
                "(select order_id from orders)") == 0  # fmt: skip
    lag_days = _one(
        con,
        "select median(datediff('day', cast(o.ordered_at as timestamp), "
        "cast(r.refunded_at as timestamp))) from refunds r join latest_orders o "
        "using (order_id) where r.is_return = 'true'",
    )
    assert 3 <= lag_days <= 45
    assert (
        _one(
            con,
            "select count(*) from latest_orders where status = 'refunded' and "
            "order_id not in (select order_id from refunds)",
        )
        == 0
    )


# --------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------


def _relations() -> set[tuple[str, str]]:
    path = Path(__file__).resolve().parent.parent / "seeds" / "category_relations.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and set(rows[0]) == {"category", "related_category"}
    return {(r["category"], r["related_category"]) for r in rows}


def test_products_catalogue(con: duckdb.DuckDBPyConnection):
    n, cats, below_cost, out_of_stock = con.execute(
        "select count(*), count(distinct category), "
        "count(*) filter (where unit_cost::double >= price::double), "
        "count(*) filter (where inventory_quantity::int = 0) from products"
    ).fetchall()[0]
    assert 200 <= n <= 400
    assert 8 <= cats <= 12
    assert 1 <= below_cost <= 0.05 * n  # a few loss leaders
    assert out_of_stock >= 1
    assert _one(con, "select count(*) - count(distinct sku) from products") == 0
    margins = con.execute(
        "select category, avg(1 - unit_cost::double / price::double) m "
        "from products group by 1 order by m"
    ).fetchall()
    assert margins[-1][1] - margins[0][1] > 0.2  # margins vary by category
    categories = {
        r[0] for r in con.execute("select distinct category from products").fetchall()
    }
    relations = _relations()
    assert {a for a, _ in relations} | {b for _, b in relations} <= categories
    assert {a for a, _ in relations} == categories  # every category has a relation
    symmetric = sum((b, a) in relations for a, b in relations)
    assert symmetric >= 0.8 * len(relations)


def test_baskets_follow_category_relations(con: duckdb.DuckDBPyConnection):
    rows = con.execute(
        """
        with oc as (
            select distinct l.order_id, p.category
            from order_lines l join products p using (sku)
        ), n as (select count(distinct order_id) total from oc),
        single as (select category, count(*) c from oc group by 1),
        pair as (
            select a.category ca, b.category cb, count(*) c
            from oc a join oc b on a.order_id = b.order_id and a.category <> b.category
            group by all
        )
        select ca, cb, pair.c * n.total / (sa.c * sb.c) as lift
        from pair, n, single sa, single sb
        where sa.category = ca and sb.category = cb
        """
    ).fetchall()
    relations = _relations()
    related = [lift for a, b, lift in rows if (a, b) in relations]
    unrelated = [lift for a, b, lift in rows if (a, b) not in relations]
    assert related and unrelated
    assert sum(related) / len(related) > 1.3 * sum(unrelated) / len(unrelated)


# --------------------------------------------------------------------------------------
# Customers, engagement, campaigns, suppressions, erasure
# --------------------------------------------------------------------------------------


def test_customer_records_are_varied(con: duckdb.DuckDBPyConnection):
    names = {
        r[0]
        for r in con.execute(
            "select first_name || ' ' || last_name from customers"
        ).fetchall()
    }
    assert any(re.search(r"[^\x00-\x7f]", n) for n in names)  # é, ø, Ł ...
    assert any(re.search(r"[\u4e00-\u9fff]", n) for n in names)  # 陈, 王 ...
    b2b = _one(
        con,
        "select count(*) from customers where company_name is not null "
        "and company_size is not null and industry is not null",
    )
    assert b2b > 0
    assert _one(con, "select count(distinct country) from customers") >= 5
    assert _one(con, "select count(distinct language) from customers") >= 4
    phones = [
        r[0]
        for r in con.execute(
            "select phone from customers where phone is not null"
        ).fetchall()
    ]
    shapes = {re.sub(r"\d", "9", p) for p in phones}
    assert len(shapes) >= 5
    assert (
        _one(
            con,
            "select count(*) from customers "
            "where email_consent not in ('true', 'false')"
            " or sms_consent not in ('true', 'false')"
            " or cast(consent_updated_at as timestamp) < cast(created_at as timestamp)",
        )
        == 0
    )
    assert _one(con, "select count(*) from customers where tags like '%,%'") > 0
    # postal codes stay text (leading zeros, letters)
    assert _one(con, "select count(*) from customers where postal_code like '0%'") > 0


def test_engagement_events(con: duckdb.DuckDBPyConnection):
    types = {
        r[0]
        for r in con.execute(
            "select distinct event_type from engagement_events"
        ).fetchall()
    }
    assert types == {
        "sent",
        "delivered",
        "opened",
        "clicked",
        "bounced",
        "unsubscribed",
        "spam_complaint",
    }
    channels = {
        r[0]
        for r in con.execute(
            "select distinct channel from engagement_events"
        ).fetchall()
    }
    assert channels == {"email", "sms"}
    assert (
        _one(
            con,
            "select count(*) from engagement_events "
            "where campaign_id not in (select campaign_id from campaigns)",
        )
        == 0
    )
    # engaged and dormant subscribers: per-person open rates differ widely
    engaged, dormant = con.execute(
        """
        with p as (
            select email,
                   count(*) filter (where event_type = 'opened') /
                   count(*) filter (where event_type = 'delivered') rate
            from engagement_events where channel = 'email' group by 1
            having count(*) filter (where event_type = 'delivered') >= 10
        )
        select count(*) filter (where rate >= 0.3), count(*) filter (where rate < 0.05)
        from p
        """
    ).fetchall()[0]
    assert engaged >= 20 and dormant >= 20
    # opens decay once a customer lapses
    recent, lapsed = con.execute(
        """
        with o as (select distinct lower(email) who, cast(ordered_at as timestamp) t
                   from orders),
        s as (
            select e.email, cast(e.occurred_at as timestamp) t,
                   (select max(o.t) from o where o.who = e.email
                    and o.t < cast(e.occurred_at as timestamp)) last_order,
                   exists (select 1 from engagement_events x
                           where x.email = e.email and x.campaign_id = e.campaign_id
                           and x.event_type = 'opened') opened
            from engagement_events e
            where e.event_type = 'delivered' and e.channel = 'email'
        )
        select avg(opened::int) filter (where t - last_order < interval 60 day),
               avg(opened::int) filter (where t - last_order > interval 365 day)
        from s where last_order is not null
        """
    ).fetchall()[0]
    assert recent > 1.3 * lapsed


def test_campaigns_plan(con: duckdb.DuckDBPyConnection):
    segments = {
        r[0] for r in con.execute("select distinct segment from campaigns").fetchall()
    }
    assert {
        "champions",
        "win_back",
        "new_second_purchase",
        "at_risk",
        "lost",
        "unengaged_subscribers",
    } <= segments
    assert (
        _one(con, "select count(*) from campaigns where experiment like 'holdout_%'")
        > 0
    )
    offers = {
        r[0] for r in con.execute("select distinct offer from campaigns").fetchall()
    }
    assert None in offers and "free_shipping" in offers and "10_percent" in offers
    assert (
        _one(con, "select count(*) - count(distinct campaign_id) from campaigns") == 0
    )
    assert {
        r[0] for r in con.execute("select distinct channel from campaigns").fetchall()
    } == {
        "email",
        "sms",
    }


def test_campaigns_lift_orders_in_the_next_seven_days(con: duckdb.DuckDBPyConnection):
    sends, post, pre = con.execute(
        """
        with o as (select distinct order_id, lower(email) who,
                          cast(ordered_at as timestamp) t from orders),
        f as (select who, min(t) first_t from o group by 1),
        s as (
            select e.email who, cast(e.occurred_at as timestamp) t
            from engagement_events e join campaigns c using (campaign_id)
            join f on f.who = e.email
            where e.event_type = 'sent' and c.segment in
                  ('all_subscribers', 'engaged_subscribers')
              and f.first_t < cast(e.occurred_at as timestamp) - interval 30 day
        )
        select count(*),
          (select count(*) from s join o on s.who = o.who
           and o.t > s.t and o.t <= s.t + interval 7 day),
          (select count(*) from s join o on s.who = o.who
           and o.t <= s.t and o.t > s.t - interval 7 day)
        from s
        """
    ).fetchall()[0]
    assert sends > 1000
    assert post > 1.04 * pre  # a real lift ...
    assert post < 1.6 * pre  # ... but a modest one


def test_suppressions_follow_engagement(con: duckdb.DuckDBPyConnection):
    reasons = {
        r[0] for r in con.execute("select distinct reason from suppressions").fetchall()
    }
    assert {"bounced", "unsubscribed"} <= reasons
    assert reasons <= {"bounced", "spam_complaint", "unsubscribed", "manual"}
    unmatched = _one(
        con,
        """
        select count(*) from suppressions s where reason <> 'manual' and not exists (
            select 1 from engagement_events e
            where e.email = s.email and e.channel = s.channel
              and e.event_type = s.reason and e.occurred_at = s.suppressed_at)
        """,
    )
    assert unmatched == 0
    later_sends = _one(
        con,
        """
        select count(*) from suppressions s join engagement_events e
          on e.email = s.email and e.channel = s.channel and e.event_type = 'sent'
         and cast(e.occurred_at as timestamp) > cast(s.suppressed_at as timestamp)
        """,
    )
    assert later_sends == 0
    still_consenting = _one(
        con,
        """
        select count(*) from suppressions s join customers c
          on lower(c.email) = s.email
        where s.reason in ('unsubscribed', 'spam_complaint') and s.channel = 'email'
          and c.email_consent = 'true'
        """,
    )
    assert still_consenting == 0


def test_erasure_requests_name_existing_customers(con: duckdb.DuckDBPyConnection):
    n, known = con.execute(
        "select count(*), count(*) filter (where lower(email) in "
        "(select lower(email) from customers)) from erasure_requests"
    ).fetchall()[0]
    assert 1 <= n <= 20
    assert known == n


# --------------------------------------------------------------------------------------
# Service: tickets and reviews
# --------------------------------------------------------------------------------------


def test_ticket_texts_are_varied_and_round_trip(
    clean: tuple[Path, dict[str, int]], con: duckdb.DuckDBPyConnection
):
    with (clean[0] / "tickets.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    db = {
        r[0]: r[1:]
        for r in con.execute("select ticket_id, subject, body from tickets").fetchall()
    }
    assert len(rows) == len(db)
    for r in rows:
        assert db[r["ticket_id"]] == (r["subject"], r["body"])
    bodies = [r["body"] for r in rows]
    assert sum("\n" in b for b in bodies) > 10
    assert sum('"' in b for b in bodies) > 3
    assert sum("," in b for b in bodies) > 10
    text = [(r["subject"] + " " + r["body"]).lower() for r in rows]
    kinds = {
        "refund": r"refund|return",
        "shipping": r"where is my order|still not here|tracking|delivery delay",
        "urgent": r"urgent|asap",
        "quote": r"quote for \d+ units|wholesale",
        "praise": r"thank you|love it|best i've had",
        "question": r"question|compatible|grind size|back in stock",
        "complaint": r"disappointed|broken|terrible",
    }
    for kind, pattern in kinds.items():
        assert sum(bool(re.search(pattern, t)) for t in text) >= 2, kind
    foreign = r"pedido|commande|bestellung|gracias|merci|danke|¿"
    assert sum(bool(re.search(foreign, t)) for t in text) >= 2
    assert sum(bool(re.search(r"#\d{6,}", t)) for t in text) > 10  # order numbers
    statuses = {r["status"] for r in rows}
    assert statuses == {"open", "pending", "solved", "closed"}
    assert {r["satisfaction"] for r in rows} == {"", "good", "bad"}
    assert all(r["updated_at"] >= r["created_at"] for r in rows)
    per_person = len(rows) / PEOPLE
    assert 0.05 < per_person < 0.6


def test_review_bodies_match_ratings(con: duckdb.DuckDBPyConnection):
    ratings = {
        r[0] for r in con.execute("select distinct rating from reviews").fetchall()
    }
    assert ratings == {"1", "2", "3", "4", "5"}
    positive, negative = con.execute(
        r"""
        select avg(rating::int) filter (where regexp_matches(lower(body),
                   'love|excellent|perfect|amazing|highly recommend')),
               avg(rating::int) filter (where regexp_matches(lower(body),
                   'terrible|awful|disappointed|worst|waste'))
        from reviews
        """
    ).fetchall()[0]
    assert positive >= 4.5
    assert negative <= 2.0
    assert (
        _one(
            con,
            "select count(*) from reviews where sku not in (select sku from products)",
        )
        == 0
    )


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
