"""Propensity scores trained point-in-time (segmart.discover.propensity).

The order facts are built directly in DuckDB with a planted signal: "regulars"
order every 5 to 15 days throughout, "drifters" every 60 to 200 days. Who orders
again within 30 days is then readable from the past (recency, recent orders), so
the holdout AUC reaches 0.75 and the scores are published; with the labels
shuffled the AUC falls below 0.65 and the target is withheld. No feature sees the
future: changing or deleting every order after the cutoff leaves the features
as they were, while changing one before it does not.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from segmart.cli import main
from segmart.discover.propensity import TARGETS, features_at, fit_target

AS_OF = dt.date(2026, 6, 30)
START = dt.date(2024, 7, 1)


def planted_orders(path: Path, customers: int = 600) -> None:
    rng = np.random.default_rng(9)
    rows = []
    for c in range(customers):
        regular = c % 2 == 0
        day = START + dt.timedelta(days=int(rng.integers(0, 120)))
        n = 0
        while day <= AS_OF:
            revenue = float(rng.normal(40 if regular else 60, 8))
            rows.append(
                (f"c{c:04d}_{n}", f"k{c:04d}", day, round(revenue, 2), bool(n % 3))
            )
            gap = rng.integers(5, 16) if regular else rng.integers(60, 201)
            day += dt.timedelta(days=int(gap))
            n += 1
    with duckdb.connect(str(path)) as con:
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.int_build_context as "
            f"select date '{AS_OF}' as as_of_date"
        )
        con.execute(
            "create table intermediate.int_orders_margined (order_id varchar, "
            "customer_key varchar, order_date date, net_revenue decimal(18, 2), "
            "margin_before_refunds decimal(18, 2), is_discounted boolean)"
        )
        con.executemany(
            "insert into intermediate.int_orders_margined values (?, ?, ?, ?, ?, ?)",
            [(o, k, d, r, round(r * 0.3, 2), disc) for o, k, d, r, disc in rows],
        )


@pytest.fixture(scope="module")
def orders_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("propensity") / "orders.duckdb"
    planted_orders(path)
    return path


def test_planted_signal_reaches_auc_and_is_published(orders_db):
    with duckdb.connect(str(orders_db), read_only=True) as con:
        fit = fit_target(con, TARGETS["orders_again_30d"], AS_OF)
    assert fit.auc >= 0.75
    assert fit.published and len(fit.scores) == 600
    # the holdout window ends at as_of and the training window at its start
    assert fit.holdout_cutoff == AS_OF - dt.timedelta(days=30)
    assert fit.train_cutoff == AS_OF - dt.timedelta(days=60)
    # regulars (even customers) score above drifters on average
    even = [s for k, s in fit.scores.items() if int(k[1:]) % 2 == 0]
    odd = [s for k, s in fit.scores.items() if int(k[1:]) % 2 == 1]
    assert np.mean(even) > np.mean(odd) + 0.3


def test_shuffled_labels_are_withheld(orders_db):
    with duckdb.connect(str(orders_db), read_only=True) as con:
        fit = fit_target(con, TARGETS["orders_again_30d"], AS_OF, shuffle_labels=True)
    assert fit.auc < 0.65
    assert not fit.published and not fit.scores
    assert "below 0.65" in fit.reason


def test_no_feature_sees_the_future(orders_db, tmp_path):
    cutoff = AS_OF - dt.timedelta(days=90)
    with duckdb.connect(str(orders_db), read_only=True) as con:
        before = features_at(con, cutoff)
    changed = tmp_path / "changed.duckdb"
    shutil.copy(orders_db, changed)
    with duckdb.connect(str(changed)) as con:
        con.execute(
            "update intermediate.int_orders_margined set net_revenue = 9999, "
            "margin_before_refunds = -500 where order_date > ?",
            [cutoff],
        )
        con.execute(
            "insert into intermediate.int_orders_margined values "
            "('new', 'k0001', ?, 5, 1, true)",
            [cutoff + dt.timedelta(days=1)],
        )
        after_future = features_at(con, cutoff)
        con.execute(
            "delete from intermediate.int_orders_margined where order_date > ?",
            [cutoff],
        )
        after_delete = features_at(con, cutoff)
        con.execute(
            "update intermediate.int_orders_margined set net_revenue = 9999 "
            "where order_date = (select max(order_date) from "
            "intermediate.int_orders_margined where customer_key = 'k0001') "
            "and customer_key = 'k0001'"
        )
        after_past = features_at(con, cutoff)
    for other in (after_future, after_delete):
        assert other[0] == before[0]
        np.testing.assert_array_equal(other[1], before[1])
    # the check can fail: a change on or before the cutoff shows
    assert not np.array_equal(after_past[1], before[1])


def test_too_little_history_is_withheld(tmp_path):
    path = tmp_path / "tiny.duckdb"
    planted_orders(path, customers=20)
    with duckdb.connect(str(path), read_only=True) as con:
        fit = fit_target(con, TARGETS["orders_again_30d"], AS_OF)
    assert not fit.published and fit.auc is None
    assert fit.reason.startswith("too little history")


def test_cli_writes_published_scores_and_names_withheld(orders_db, tmp_path):
    out = tmp_path / "scores.parquet"
    result = CliRunner().invoke(
        main,
        ["propensity", "--db", str(orders_db), "--out", str(out)]
        + ["--target", "orders_again_30d", "--target", "becomes_repeat_90d"],
    )
    assert result.exit_code == 0, result.output
    assert "orders_again_30d" in result.output and "PUBLISHED" in result.output
    # every planted customer has more than one order day: no one-time buyers
    assert "becomes_repeat_90d" in result.output and "WITHHELD" in result.output
    table = pq.read_table(out).to_pylist()
    assert {r["target"] for r in table} == {"orders_again_30d"}
    assert len(table) == 600
    bad = CliRunner().invoke(
        main, ["propensity", "--db", str(orders_db), "--target", "nope"]
    )
    assert bad.exit_code != 0 and "unknown target" in bad.output
