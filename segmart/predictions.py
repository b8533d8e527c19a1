"""A shop's customer predictions: orders, churn risk and value (margin, revenue).

Used by the dbt Python model ``int_customers_predicted`` (the same code on
DuckDB, PostgreSQL and Spark). From the shop's purchases (one row per order:
customer, day, contribution margin, net revenue) as of the build's as_of day:

1. **Enough data?** Below ``min_repeat_buyers`` customers with a repeat
   purchase, or ``min_history_days`` from the shop's first purchase to as_of,
   nothing is predicted: every prediction is null and ``prediction_status``
   says why (``too_few_repeat_buyers: 12 < 50``).
2. **Which count model?** BG/NBD and Pareto/NBD are both fitted on the history
   up to ``as_of - backtest_days`` and scored on the last ``backtest_days``
   (:mod:`segmart.backtest`); the one with the lower per-customer mean
   absolute error is used (``count_model``, ``count_model_reason``).
3. **Fit on everything** up to as_of: P(alive) and expected orders in the next
   30, 90 and 365 days from the chosen model; expected margin (and net
   revenue) per future order from a Gamma-Gamma fit on each customer's mean
   contribution margin (net revenue) per repeat purchase; predicted margin
   over 365 days = expected orders x expected margin per order (undiscounted).

Gamma-Gamma needs positive values; margins can be zero or negative. When more
than 5% of the repeat buyers average a margin <= 0 per repeat purchase, the
margin per order uses the credibility weights of the Gamma-Gamma fit on net
revenue instead (:func:`segmart.backtest.value_per_purchase`; ``margin_model``
says which). Otherwise customers at <= 0 are left out of the fit and predicted
at m = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from segmart import backtest, gammagamma

FloatArray = NDArray[np.float64]

HORIZONS = {"predicted_orders_30d": 30, "expected_orders_90d": 90}
YEAR_DAYS = 365

#: The float columns :func:`predict_shop` returns, in order.
FLOAT_COLUMNS = (
    "probability_alive",
    "predicted_orders_30d",
    "expected_orders_90d",
    "predicted_orders_365d",
    "expected_margin_per_order",
    "predicted_margin_365d",
    "expected_revenue_per_order",
    "predicted_revenue_365d",
)
#: The text columns (one value for the whole shop).
TEXT_COLUMNS = (
    "prediction_status",
    "count_model",
    "count_model_reason",
    "margin_model",
    "revenue_model",
)


@dataclass(frozen=True)
class Settings:
    """The thresholds (dbt vars prediction_min_repeat_buyers, ...)."""

    min_repeat_buyers: int = 50
    min_history_days: int = 180
    backtest_days: int = 90


def not_ready_reason(x: FloatArray, T: FloatArray, settings: Settings) -> str | None:
    """Why this shop is below the minimum, or None when it is not."""
    repeat_buyers = int((x > 0).sum())
    if repeat_buyers < settings.min_repeat_buyers:
        return f"too_few_repeat_buyers: {repeat_buyers} < {settings.min_repeat_buyers}"
    history = int(T.max()) if len(T) else 0
    if history < settings.min_history_days:
        return f"too_short_history: {history} < {settings.min_history_days} days"
    return None


def _choose(
    customer: NDArray[np.int64],
    day: NDArray[np.int64],
    margin: FloatArray,
    as_of: int,
    settings: Settings,
) -> tuple[str, str]:
    """Count model by backtest on the last backtest_days before as_of."""
    horizon = settings.backtest_days
    summary = backtest.summarise(customer, day, margin, as_of - horizon, horizon)
    result = backtest.run_backtest(summary, float(horizon))
    return result.chosen, result.reason


def _spend(
    x: FloatArray, m: FloatArray, support: FloatArray | None, orders_365: FloatArray
) -> tuple[FloatArray, FloatArray, str]:
    """(expected value per order, over 365 days, method or why not fitted)."""
    nan = np.full(len(x), np.nan)
    try:
        per_order, method = backtest.value_per_purchase(x, m, support)
    except (gammagamma.NotEnoughData, gammagamma.FitDidNotConverge) as error:
        return nan, nan, f"not_fitted: {error}"
    return per_order, per_order * orders_365, method


def predict_shop(
    customer: ArrayLike,
    day: ArrayLike,
    margin: ArrayLike,
    revenue: ArrayLike,
    as_of: int,
    settings: Settings | None = None,
) -> tuple[NDArray[np.int64], dict[str, FloatArray], dict[str, str | None]]:
    """Predictions per customer code (module docstring).

    Returns ``(codes, floats, texts)``: the customer codes (ascending) of the
    customers with a purchase on or before ``as_of``, the :data:`FLOAT_COLUMNS`
    (NaN for null) in that order, and the :data:`TEXT_COLUMNS` for the shop.
    """
    settings = settings or Settings()
    cust = np.asarray(customer, dtype=np.int64)
    days = np.asarray(day, dtype=np.int64)
    margin_a = np.asarray(margin, dtype=np.float64)
    revenue_a = np.asarray(revenue, dtype=np.float64)
    full = backtest.summarise(cust, days, margin_a, as_of, 0, support=revenue_a)
    n = len(full.x)
    floats = {name: np.full(n, np.nan) for name in FLOAT_COLUMNS}
    texts: dict[str, str | None] = dict.fromkeys(TEXT_COLUMNS)
    reason = not_ready_reason(full.x, full.T, settings)
    if reason is not None:
        texts["prediction_status"] = reason
        return full.customer, floats, texts

    chosen, why = _choose(cust, days, margin_a, as_of, settings)
    try:
        params = backtest.fit_count_model(chosen, full.x, full.t_x, full.T)
    except backtest._FIT_ERRORS as error:
        texts["prediction_status"] = f"not_fitted: {type(error).__name__}: {error}"
        return full.customer, floats, texts
    texts["count_model"], texts["count_model_reason"] = chosen, why
    alive, orders_365 = backtest.score(params, YEAR_DAYS, full.x, full.t_x, full.T)
    floats["probability_alive"] = alive
    floats["predicted_orders_365d"] = orders_365
    for column, horizon in HORIZONS.items():
        floats[column] = backtest.score(params, horizon, full.x, full.t_x, full.T)[1]

    revenue = full.repeat_support
    assert revenue is not None
    statuses = []
    for kind, m, support in (
        ("margin", full.repeat_value, revenue),
        ("revenue", revenue, None),
    ):
        per_order, year, method = _spend(full.x, m, support, orders_365)
        floats[f"expected_{kind}_per_order"] = per_order
        floats[f"predicted_{kind}_365d"] = year
        texts[f"{kind}_model"] = method
        if method.startswith("not_fitted"):
            statuses.append(f"{kind} {method}")
    texts["prediction_status"] = "fitted" + (
        f" (orders only; {'; '.join(statuses)})" if statuses else ""
    )
    return full.customer, floats, texts
