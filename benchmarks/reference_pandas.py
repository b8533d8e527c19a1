"""The pandas reference: the floor's per-customer facts, as a Python shop writes them.

    python benchmarks/reference_pandas.py RAW_DIR OUT.parquet

The same rules as reference_floor.sql (read it for the list), in idiomatic pandas:
``read_csv`` with the pyarrow engine, ``merge``, ``groupby``, ``rank``. Money is
kept in integer cents (FX rates in 1e-8 units) so that every amount is rounded
exactly as DuckDB's decimals round it, half away from zero; the facts then match the
floor and customer_profile to the cent, so the timings compare equal work.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

# `python benchmarks/reference_pandas.py`: the project folder, for benchmarks.facts
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.facts import COMPARED  # noqa: E402
from segmart import keys  # noqa: E402

TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
RATE_SCALE = 10**8


def read(raw: Path, name: str, columns: list[str]) -> pd.DataFrame:
    return pd.read_csv(
        raw / f"{name}.csv", usecols=columns, dtype=str, engine="pyarrow"
    )


def cents(values: pd.Series) -> pd.Series:
    """'12.34' -> 1234 (int64); missing -> 0."""
    return np.rint(pd.to_numeric(values).fillna(0) * 100).astype("int64")


def round_div(numerator: pd.Series, denominator: int) -> pd.Series:
    """numerator / denominator rounded half away from zero, in integers."""
    magnitude = (numerator.abs() + denominator // 2) // denominator
    return np.sign(numerator) * magnitude


def timestamps(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, format=TS_FORMAT)


def compute(raw: Path) -> pd.DataFrame:
    # orders: the newest version of each order
    orders = read(
        raw,
        "orders",
        [
            "order_id",
            "customer_id",
            "email",
            "ordered_at",
            "updated_at",
            "currency",
            "status",
            "subtotal",
            "discount_total",
            "shipping_charged",
            "total",
            "shipping_cost",
        ],
    )
    orders["ordered_at"] = timestamps(orders["ordered_at"])
    orders["updated_at"] = timestamps(orders["updated_at"]).fillna(orders["ordered_at"])
    orders = orders.sort_values(
        ["order_id", "updated_at", "ordered_at"], ascending=[True, False, False]
    ).drop_duplicates("order_id")
    as_of = orders["ordered_at"].max().normalize()

    # identity: the order's email, else its customer record's; erased emails out
    customers = read(
        raw, "customers", ["customer_id", "email", "created_at", "consent_updated_at"]
    )
    customers = customers.dropna(subset=["customer_id"])
    customers["created_at"] = timestamps(customers["created_at"])
    customers["consent_updated_at"] = timestamps(customers["consent_updated_at"])
    customers = customers.sort_values(
        ["consent_updated_at", "created_at"], ascending=False, na_position="last"
    ).drop_duplicates("customer_id")
    customers["record_email"] = customers["email"].str.strip().str.lower()
    erased = read(raw, "erasure_requests", ["email"])["email"].dropna()
    erased = set(erased.str.strip().str.lower())

    orders["email"] = orders["email"].str.strip().str.lower()
    orders = orders.merge(
        customers[["customer_id", "record_email"]], on="customer_id", how="left"
    )
    orders["customer_email"] = orders["email"].fillna(orders["record_email"])
    orders = orders[
        (orders["status"].str.strip().str.lower() != "cancelled")
        & ~orders["customer_email"].isin(erased)
    ].copy()

    # FX: USD per unit of the order currency, on the order day
    fx = read(raw, "fx_rates", ["currency", "rate_date", "rate_to_base"])
    fx["rate_date"] = pd.to_datetime(fx["rate_date"], format="%Y-%m-%d")
    fx["rate"] = np.rint(pd.to_numeric(fx["rate_to_base"]) * RATE_SCALE).astype("int64")
    fx = fx[["currency", "rate_date", "rate"]]
    orders["currency"] = orders["currency"].str.strip().str.upper()
    orders["order_date"] = orders["ordered_at"].dt.normalize()
    orders = orders.merge(
        fx,
        left_on=["currency", "order_date"],
        right_on=["currency", "rate_date"],
        how="left",
    )

    # product cost from order lines x products
    products = read(raw, "products", ["sku", "unit_cost"])
    products["unit_cost"] = np.rint(pd.to_numeric(products["unit_cost"]) * 100)
    lines = read(raw, "order_lines", ["order_id", "sku", "quantity", "unit_price"])
    lines = lines.merge(products, on="sku", how="left")
    lines["quantity"] = pd.to_numeric(lines["quantity"]).astype("int64")
    lines["gross"] = lines["quantity"] * cents(lines["unit_price"])
    lines["cost"] = lines["quantity"] * lines["unit_cost"]
    line_totals = lines.groupby("order_id").agg(
        lines_count=("sku", "size"),
        lines_gross=("gross", "sum"),
        lines_cost=("cost", "sum"),
        costed_lines=("cost", "count"),
    )
    orders = orders.merge(line_totals, left_on="order_id", right_index=True, how="left")
    has_cost = (orders["lines_count"] > 0) & (
        orders["costed_lines"] == orders["lines_count"]
    )
    orders["product_cost"] = orders["lines_cost"].where(has_cost)

    subtotal = cents(orders["subtotal"])
    subtotal = subtotal.where(orders["subtotal"].notna(), orders["lines_gross"])
    discount = cents(orders["discount_total"]).abs()
    rate = orders["rate"]
    orders["net_revenue"] = round_div((subtotal - discount) * rate, RATE_SCALE)
    shipping_charged = round_div(cents(orders["shipping_charged"]) * rate, RATE_SCALE)
    shipping_cost = round_div(cents(orders["shipping_cost"]) * rate, RATE_SCALE)
    orders["total"] = cents(orders["total"])

    # refunds up to as_of, capped at what is left of the order total
    refunds = read(
        raw, "refunds", ["refund_id", "order_id", "refunded_at", "amount", "is_return"]
    )
    refunds["refunded_at"] = timestamps(refunds["refunded_at"])
    refunds = refunds[refunds["refunded_at"].dt.normalize() <= as_of]
    refunds = refunds.merge(
        orders[["order_id", "currency", "total", "product_cost"]], on="order_id"
    )
    refunds["amount"] = cents(refunds["amount"])
    refunds = refunds.sort_values(["order_id", "refunded_at", "refund_id"])
    before = refunds.groupby("order_id")["amount"].cumsum() - refunds["amount"]
    capped = np.minimum(refunds["amount"], refunds["total"] - before).clip(lower=0)
    refunds["refund_date"] = refunds["refunded_at"].dt.normalize()
    refunds = refunds.merge(
        fx,
        left_on=["currency", "refund_date"],
        right_on=["currency", "rate_date"],
        how="left",
    )
    capped = capped.to_numpy()
    refunds["refund_amount"] = round_div(capped * refunds["rate"], RATE_SCALE)
    share = np.minimum((capped / 100.0) / (refunds["total"] / 100.0), 1.0)
    recovered = np.floor(
        (refunds["product_cost"].fillna(0) / 100.0 * share).abs() * 100 + 0.5
    ) * np.sign(refunds["product_cost"].fillna(0))
    is_return = refunds["is_return"].str.strip().str.lower().isin(["true", "t", "1"])
    refunds["recovered"] = recovered.where(is_return & (refunds["total"] > 0), 0)
    per_order = refunds.groupby("order_id")[["refund_amount", "recovered"]].sum()
    orders = orders.merge(per_order, left_on="order_id", right_index=True, how="left")
    refund_amount = orders["refund_amount"].fillna(0)
    with_cost = (
        orders["net_revenue"]
        + shipping_charged
        - refund_amount
        - (orders["product_cost"] - orders["recovered"].fillna(0))
        - shipping_cost
    )
    orders["contribution_margin"] = with_cost.where(
        orders["product_cost"].notna(), orders["net_revenue"] - refund_amount
    )

    # per customer, then R/F/M quintiles (ties share the lower score)
    facts = (
        orders.dropna(subset=["customer_email"])
        .groupby("customer_email")
        .agg(
            orders_count=("order_id", "size"),
            first_order_date=("order_date", "min"),
            last_order_date=("order_date", "max"),
            net_revenue=("net_revenue", "sum"),
            contribution_margin=("contribution_margin", "sum"),
        )
        .reset_index()
    )
    n = len(facts)
    for score, column in (
        ("recency_score", "last_order_date"),
        ("frequency_score", "orders_count"),
        ("monetary_score", "contribution_margin"),
    ):
        rank = facts[column].rank(method="min", ascending=True)
        facts[score] = (1 + np.floor(5.0 * (rank - 1) / n)).astype("int32")
    facts["customer_key"] = [keys.customer_key(e) for e in facts["customer_email"]]
    facts["first_order_date"] = facts["first_order_date"].dt.date
    facts["last_order_date"] = facts["last_order_date"].dt.date
    facts["net_revenue_cents"] = facts["net_revenue"].astype("int64")
    facts["contribution_margin_cents"] = facts["contribution_margin"].astype("int64")
    return facts[["customer_key", *COMPARED]]


def main(raw_dir: str, out: str) -> None:
    compute(Path(raw_dir)).to_parquet(out, index=False)


if __name__ == "__main__":
    main(*sys.argv[1:3])
