"""Tests of the demo-data generator (segmart.generate).

Every expectation is computed from the written files (read back with DuckDB or the
csv module) and the brief, never copied from the generator's output.
"""

from __future__ import annotations

import csv
import hashlib
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
