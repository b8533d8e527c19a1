"""Stripe: the payments export (Dashboard > Payments > Export, "unified_payments").

A shop that sells through Stripe alone (Payment Links, Checkout, invoices) has no
store export: each captured payment is then an order, and "Amount Refunded" a
refund. When a store export (Shopify, WooCommerce) or the user's own orders file
is present, the store's orders are the orders and the payments are counted as
`store_orders_present` (they would double-count the same sales, and Stripe's
refunds point at charge ids, not order ids).
"""

from __future__ import annotations

from collections.abc import Iterator

from segmart.adapters._base import (
    Context,
    Kind,
    Outcome,
    Table,
    contract_row,
    is_positive,
    skipped,
    utc_ts,
    written,
)

SOURCE = (
    "docs.stripe.com/payments (Dashboard payments export; columns as exported: "
    "id, Created (UTC) / Created date (UTC), Amount, Amount Refunded, Currency, "
    "Captured, Status, Customer ID, Customer Email, Refunded date (UTC), ...)"
)

CREATED = ("created (utc)", "created date (utc)", "created")


def convert_payments(table: Table, context: Context) -> Iterator[Outcome]:
    """Stripe payments export -> orders and refunds (when no store export)."""
    for row in table.rows:
        reason = ""
        if context.store_orders_present:
            reason = "store_orders_present"
        elif row.get("status").strip().lower() == "failed":
            reason = "failed_payment"
        elif row.get("captured").strip().lower() == "false":
            reason = "not_captured"
        if reason:
            yield skipped(row, "orders", reason)
            yield skipped(row, "refunds", reason)
            continue
        charge = row.get("id").strip()
        yield written(
            row,
            "orders",
            contract_row(
                "orders",
                order_id=charge,
                customer_id=row.get("customer id"),
                email=row.get("customer email"),
                ordered_at=utc_ts(row.get(*CREATED)),
                currency=row.get("currency"),
                status=row.get("status"),
                # Stripe does not itemise: the amount charged is the sale.
                subtotal=row.get("amount"),
                total=row.get("amount"),
            ),
        )
        refunded = row.get("amount refunded")
        if not is_positive(refunded):
            yield skipped(row, "refunds", "no_refund")
            continue
        yield written(
            row,
            "refunds",
            contract_row(
                "refunds",
                refund_id=f"{charge}-refund",
                order_id=charge,
                # The refund date when exported, else the payment's (a lower bound).
                refunded_at=utc_ts(row.first("refunded date (utc)", *CREATED)),
                amount=refunded,
            ),
        )


KIND_PAYMENTS = Kind(
    name="stripe_payments",
    platform="stripe",
    description="Stripe payments (charges) export",
    signature=(
        ("id",),
        ("amount",),
        ("amount refunded",),
        ("currency",),
        ("status",),
        ("created (utc)", "created date (utc)"),
    ),
    targets=("orders", "refunds"),
    convert=convert_payments,
    source=SOURCE,
)

KINDS = (KIND_PAYMENTS,)
