"""The behavioural features `segmart discover` clusters on, read from customer_profile.

A feature is a name and a SQL expression over customer_profile, so whatever a
decision tree learns on it can be written back as SQL a spec can hold. Columns the
profile lacks (no engagement or ticket export) and columns that are constant in
this shop are skipped; the command says which were used.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

# Families of behavioural columns (docs/discover.md). Numbers only: identity,
# geography and dates are not behaviour.
FAMILIES: dict[str, tuple[str, ...]] = {
    "rfm": ("days_since_last_order", "orders_count", "net_revenue", "tenure_days"),
    "margin": (
        "contribution_margin",
        "average_margin_per_order",
        "average_order_value",
        "discount_share",
        "refund_rate",
        "return_rate",
    ),
    "rhythm": (
        "median_days_between_orders",
        "orders_per_year",
        "purchase_cycles_since_last_order",
    ),
    "engagement": ("email_opens_90d", "email_clicks_90d", "engagement_score"),
    "categories": ("categories_count",),
    "service": ("tickets_90d", "negative_satisfaction_90d", "open_tickets_count"),
    "text": ("negative_tickets_90d", "reviews_count"),
}
# Amounts and counts are long-tailed: the distance sees log(1 + x) of these.
SKEWED = {
    "orders_count",
    "net_revenue",
    "contribution_margin",
    "average_margin_per_order",
    "average_order_value",
    "orders_per_year",
    "email_opens_90d",
    "email_clicks_90d",
    "tickets_90d",
    "reviews_count",
}
# The most frequent top categories become one boolean feature each.
TOP_CATEGORIES = 5
# Only customers with an order are clustered: a prospect has no behaviour.
POPULATION = "orders_count >= 1"


@dataclass(frozen=True)
class Feature:
    name: str
    sql: str  # an expression over customer_profile
    family: str
    integer: bool  # whole numbers: tree thresholds are written as integers
    boolean: bool = False


@dataclass
class Features:
    """The chosen features and their values for the clustered customers."""

    features: list[Feature]
    keys: list[str]  # customer_key of each row
    raw: np.ndarray  # values as in the profile (NaN: null)
    scaled: np.ndarray  # imputed, log1p where skewed, standardised
    skipped: dict[str, str]  # column -> why it was not used


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return {
        name.lower(): dtype.upper()
        for name, dtype in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'main' and table_name = 'customer_profile'"
        ).fetchall()
    }


def candidate_features(con: duckdb.DuckDBPyConnection) -> tuple[list[Feature], dict]:
    """Every family column the profile has, plus the top categories."""
    types = _columns(con)
    features, skipped = [], {}
    for family, names in FAMILIES.items():
        for name in names:
            if name not in types:
                skipped[name] = "not in customer_profile"
                continue
            integer = any(t in types[name] for t in ("INT", "BOOLEAN"))
            features.append(Feature(name, name, family, integer))
    if "is_b2b" in types:
        features.append(Feature("is_b2b", "is_b2b", "rfm", True, boolean=True))
    if "top_category" in types:
        top = con.execute(
            f"select top_category from main.customer_profile where {POPULATION} "
            "and top_category is not null group by 1 order by count(*) desc, 1 "
            f"limit {TOP_CATEGORIES}"
        ).fetchall()
        for (category,) in top:
            literal = str(category).replace("'", "''")
            slug = "".join(c if c.isalnum() else "_" for c in str(category).lower())
            features.append(
                Feature(
                    f"top_category_{slug}",
                    f"coalesce(top_category = '{literal}', false)",
                    "categories",
                    True,
                    boolean=True,
                )
            )
    return features, skipped


def load_features(con: duckdb.DuckDBPyConnection) -> Features:
    """The values of every usable feature for the customers with an order."""
    features, skipped = candidate_features(con)
    if not features:
        return Features([], [], np.empty((0, 0)), np.empty((0, 0)), skipped)
    select = ", ".join(f"cast({f.sql} as double)" for f in features)
    rows = con.execute(
        f"select customer_key, {select} from main.customer_profile "
        f"where {POPULATION} order by customer_key"
    ).fetchall()
    keys = [r[0] for r in rows]
    raw = np.array(
        [[np.nan if v is None else v for v in r[1:]] for r in rows], dtype=float
    ).reshape(len(rows), len(features))
    keep = []
    for i, feature in enumerate(features):
        column = raw[:, i]
        present = column[~np.isnan(column)]
        if present.size == 0:
            skipped[feature.name] = "null for every customer"
        elif np.nanmax(present) == np.nanmin(present):
            skipped[feature.name] = "constant in this shop"
        else:
            keep.append(i)
    features = [features[i] for i in keep]
    raw = raw[:, keep]
    return Features(features, keys, raw, scale(features, raw), skipped)


def scale(features: list[Feature], raw: np.ndarray) -> np.ndarray:
    """Median-impute, log1p the long-tailed non-negative columns, standardise."""
    values = raw.copy()
    for i, feature in enumerate(features):
        column = values[:, i]
        missing = np.isnan(column)
        if missing.any():
            column[missing] = np.nanmedian(column) if (~missing).any() else 0.0
        if feature.name in SKEWED and column.min() >= 0:
            column[:] = np.log1p(column)
    std = values.std(axis=0)
    std[std == 0] = 1.0
    return (values - values.mean(axis=0)) / std
