"""The per-customer facts the floor, pandas and customer_profile are compared on.

Beside customer_key: what benchmarks/reference_pandas.py writes and tiers.agreement
compares. No imports, so that the pandas reference can read it at no cost.
"""

COMPARED = (
    "orders_count",
    "first_order_date",
    "last_order_date",
    "net_revenue_cents",
    "contribution_margin_cents",
    "recency_score",
    "frequency_score",
    "monetary_score",
)
