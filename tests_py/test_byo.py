"""Bring your own exports: a platform export dropped into the raw folder goes
through the main job (`segmart run`, what `make demo` calls) with no other step.

Expected values worked out by hand from the fixtures in tests_py/fixtures/platforms:
  Shopify: bram.oakes@example.net bought 3 x COF-COL-1K at 32.00 (order #1002, no
    discount, no shipping, no refund); the products export gives "Cost per item"
    12.50 -> margin 96.00 - 3 x 12.50 = 58.50, costed.
  Stripe only: tomas.reyes@example.com paid 129.00 and was refunded 29.00; Stripe
    has no costs -> margin falls back to net revenue - refunds = 100.00.
  WooCommerce: orders per customer are counted from the export with csv.
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from segmart.run import run_pipeline
from tests_py.conftest import FIXTURES
from tests_py.identity import key

PLATFORMS = FIXTURES / "platforms"


def run_shop(tmp_path_factory, platform: str) -> Path:
    root = tmp_path_factory.mktemp(f"byo_{platform}")
    raw = root / "raw"
    shutil.copytree(PLATFORMS / platform, raw)
    db = root / "shop.duckdb"
    code = run_pipeline(raw, db, root / "out" / "audiences")
    assert code == 0
    return db


def profile(db: Path) -> dict[str, dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cursor = con.execute("select * from main.customer_profile")
        names = [d[0] for d in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def one_primary_segment_each(db: Path) -> bool:
    with duckdb.connect(str(db), read_only=True) as con:
        customers = con.execute(
            "select count(*) from main.customer_profile"
        ).fetchone()[0]
        rows, keys = con.execute(
            "select count(*), count(distinct customer_key) from main.customer_segment"
        ).fetchone()
    return customers > 0 and rows == keys == customers


@pytest.fixture(scope="module")
def shopify(tmp_path_factory) -> Path:
    return run_shop(tmp_path_factory, "shopify")


def test_shopify_export_gives_segments_with_margin_from_cost_per_item(shopify):
    bram = profile(shopify)[key("bram.oakes@example.net")]
    assert bram["orders_count"] == 1
    assert bram["net_revenue"] == Decimal("96.00")
    assert bram["has_cost_data"] is True
    assert bram["contribution_margin"] == Decimal("58.50")
    assert one_primary_segment_each(shopify)


def test_stripe_only_shop(tmp_path_factory):
    db = run_shop(tmp_path_factory, "stripe")
    tomas = profile(db)[key("tomas.reyes@example.com")]
    assert tomas["net_revenue"] == Decimal("129.00")
    assert tomas["refund_amount"] == Decimal("29.00")
    assert tomas["has_cost_data"] is False
    assert tomas["contribution_margin"] == Decimal("100.00")
    assert one_primary_segment_each(db)


def test_woocommerce_shop(tmp_path_factory):
    source = next((PLATFORMS / "woocommerce").glob("*.csv"))
    expected: dict[str, set[str]] = {}
    with source.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["status"] in ("completed", "processing", "on-hold", "refunded"):
                expected.setdefault(key(row["billing_email"]), set()).add(
                    row["order_id"]
                )
    db = run_shop(tmp_path_factory, "woocommerce")
    got = profile(db)
    assert expected
    for customer_key, orders in expected.items():
        assert got[customer_key]["orders_count"] == len(orders)
    assert one_primary_segment_each(db)
