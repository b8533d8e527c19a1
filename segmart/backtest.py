"""Backtest of the purchase and spend models on a shop's own history.

Split the history at a calibration end date: fit on what happened up to it,
predict the next ``horizon`` days, and compare with what happened then
(Fader, Hardie & Lee 2005, "'Counting Your Customers' the Easy Way", section
4: CDNOW, 39 calibration + 39 holdout weeks).

Data are purchases: one row per customer and purchase *day* (orders of one
customer on one day are one purchase, as :mod:`segmart.bgnbd` counts ``x``),
with a value (contribution margin, or net revenue). :func:`summarise` turns
them into the calibration summary ``(x, t_x, T)``, the mean value of the
calibration repeat purchases and the holdout purchases and value of every
customer whose first purchase is on or before the calibration end.

:func:`run_backtest` fits BG/NBD and Pareto/NBD on the calibration summary and
reports, per model: total predicted vs actual holdout repeat purchases, the
mean actual vs predicted holdout purchases by calibration repeat purchases
(0, 1, ..., 7+; the paper's figure 4), and the per-customer mean absolute
error; and for spend (Gamma-Gamma on the calibration repeat values): total
predicted vs actual holdout value and its per-customer mean absolute error.
:func:`choose_model` picks the count model with the lower per-customer error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from segmart import bgnbd, gammagamma, paretonbd

FloatArray = NDArray[np.float64]

#: The count models compared, in order of preference on a tie.
COUNT_MODELS = ("bg_nbd", "pareto_nbd")
#: Calibration repeat purchases are grouped 0, 1, ..., TABLE_TOP - 1, TABLE_TOP+.
TABLE_TOP = 7

_FIT_ERRORS = (bgnbd.BGNBDError, paretonbd.NotEnoughData, paretonbd.FitDidNotConverge)


@dataclass(frozen=True)
class Summary:
    """Per customer of the cohort (first purchase on or before the calibration end).

    ``repeat_value`` is the mean value of the ``x`` calibration repeat purchases
    (NaN where ``x == 0``); ``holdout_value`` the value of the holdout purchases.
    """

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    holdout_x: FloatArray
    repeat_value: FloatArray
    holdout_value: FloatArray
    customer: NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )


def summarise(
    customer: ArrayLike,
    day: ArrayLike,
    value: ArrayLike,
    calibration_end: int,
    horizon: int,
) -> Summary:
    """Calibration summary and holdout outcome from purchases.

    ``customer`` are integer customer codes, ``day`` integer day numbers (any
    origin), ``value`` one amount per row. Rows of one customer on one day are
    summed into one purchase. The calibration period is ``day <=
    calibration_end``; the holdout ``calibration_end < day <= calibration_end +
    horizon``. ``Summary.customer`` lists the cohort's codes, ascending.
    """
    cust = np.asarray(customer, dtype=np.int64)
    days = np.asarray(day, dtype=np.int64)
    val = np.asarray(value, dtype=np.float64)
    if not (cust.shape == days.shape == val.shape):
        raise ValueError("customer, day and value need one entry per row")
    keep = days <= calibration_end + horizon
    cust, days, val = cust[keep], days[keep], val[keep]
    # one purchase per customer and day
    order = np.lexsort((days, cust))
    cust, days, val = cust[order], days[order], val[order]
    new = np.ones(len(cust), dtype=bool)
    new[1:] = (cust[1:] != cust[:-1]) | (days[1:] != days[:-1])
    starts = np.flatnonzero(new)
    cust, days = cust[starts], days[starts]
    val = np.add.reduceat(val, starts) if len(starts) else val[:0]

    codes, first_idx, index = np.unique(cust, return_index=True, return_inverse=True)
    first_day = days[first_idx]
    in_cal = days <= calibration_end
    n = len(codes)
    cal_count = np.bincount(index, weights=in_cal, minlength=n)
    last_cal = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_cal, index[in_cal], days[in_cal])
    is_first = np.zeros(len(days), dtype=bool)
    is_first[first_idx] = True
    repeat_sum = np.bincount(index, weights=val * (in_cal & ~is_first), minlength=n)
    hold = ~in_cal
    holdout_x = np.bincount(index, weights=hold, minlength=n)
    holdout_value = np.bincount(index, weights=val * hold, minlength=n)

    cohort = first_day <= calibration_end
    x = cal_count[cohort] - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat_value = np.where(x > 0, repeat_sum[cohort] / np.maximum(x, 1), np.nan)
    return Summary(
        x=x,
        t_x=(last_cal[cohort] - first_day[cohort]).astype(np.float64),
        T=(calibration_end - first_day[cohort]).astype(np.float64),
        holdout_x=holdout_x[cohort],
        repeat_value=repeat_value,
        holdout_value=holdout_value[cohort],
        customer=codes[cohort],
    )


def fit_count_model(
    name: str, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> bgnbd.BGNBDParams | paretonbd.ParetoNBDParams:
    """Fit the count model ``name`` (one of :data:`COUNT_MODELS`)."""
    if name == "bg_nbd":
        return bgnbd.fit(x, t_x, T)
    if name == "pareto_nbd":
        return paretonbd.fit(x, t_x, T)
    raise ValueError(f"unknown count model {name!r}; expected one of {COUNT_MODELS}")


def score(
    params: bgnbd.BGNBDParams | paretonbd.ParetoNBDParams,
    horizon: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """(P(alive), expected purchases in (T, T + horizon]) under either model."""
    module = bgnbd if isinstance(params, bgnbd.BGNBDParams) else paretonbd
    return (
        module.prob_alive(params, x, t_x, T),
        module.expected_purchases(params, horizon, x, t_x, T),
    )


def fit_spend(x: FloatArray, m: FloatArray) -> gammagamma.GammaGammaParams:
    """Gamma-Gamma on the customers whose repeat purchases have a positive mean."""
    use = (x > 0) & np.isfinite(m) & (m > 0)
    return gammagamma.fit(x[use], m[use])


def expected_value_per_purchase(
    params: gammagamma.GammaGammaParams, x: FloatArray, m: FloatArray
) -> FloatArray:
    """E[M | x, m]; a customer whose repeat purchases averaged zero or less is
    taken at m = 0 (the shop's mean, shrunk towards zero by their x)."""
    m_used = np.where((x > 0) & np.isfinite(m) & (m > 0), m, 1e-12)
    return gammagamma.expected_average_spend(params, x, m_used)


@dataclass
class CountResult:
    """One count model's backtest."""

    model: str
    params: object | None
    predicted: FloatArray | None = None
    error: str | None = None

    def total(self) -> float:
        return float("nan") if self.predicted is None else float(self.predicted.sum())


@dataclass
class BacktestResult:
    """Everything :func:`run_backtest` measured (see the module docstring)."""

    horizon: float
    customers: int
    repeat_buyers: int
    actual_total: float
    counts: dict[str, CountResult]
    mae: dict[str, float]
    table: list[dict]
    spend_params: gammagamma.GammaGammaParams | None
    spend_error: str | None
    actual_value_total: float
    predicted_value_total: float
    value_mae: float
    chosen: str
    reason: str


def _table(summary: Summary, counts: dict[str, CountResult]) -> list[dict]:
    """Mean actual vs predicted holdout purchases by calibration repeat purchases."""
    bucket = np.minimum(summary.x, TABLE_TOP).astype(int)
    rows = []
    for k in range(TABLE_TOP + 1):
        members = bucket == k
        if not members.any():
            continue
        row: dict = {
            "calibration_repeats": f"{k}+" if k == TABLE_TOP else str(k),
            "customers": int(members.sum()),
            "actual": float(summary.holdout_x[members].mean()),
        }
        for name, result in counts.items():
            row[name] = (
                None
                if result.predicted is None
                else float(result.predicted[members].mean())
            )
        rows.append(row)
    return rows


def choose_model(
    mae: dict[str, float], horizon: float, unit: str = "days"
) -> tuple[str, str]:
    """The count model with the lower per-customer holdout MAE, and why."""
    usable = {k: v for k, v in mae.items() if np.isfinite(v)}
    if not usable:
        return (
            "bg_nbd",
            "no backtest: neither model could be fitted on the calibration period",
        )
    best = min(COUNT_MODELS, key=lambda k: usable.get(k, np.inf))
    others = (
        ", ".join(f"{k} {v:.4f}" for k, v in usable.items() if k != best)
        or "the other model could not be fitted"
    )
    over = f"lower holdout MAE over {horizon:g} {unit}"
    return best, f"{over}: {best} {usable[best]:.4f} vs {others}"


def run_backtest(
    summary: Summary,
    horizon: float,
    models: tuple[str, ...] = COUNT_MODELS,
    unit: str = "days",
) -> BacktestResult:
    """Fit on the calibration summary, compare with the holdout (module docstring)."""
    counts: dict[str, CountResult] = {}
    mae: dict[str, float] = {}
    for name in models:
        try:
            params = fit_count_model(name, summary.x, summary.t_x, summary.T)
        except _FIT_ERRORS as error:
            counts[name] = CountResult(name, None, error=str(error))
            mae[name] = float("nan")
            continue
        _, predicted = score(params, horizon, summary.x, summary.t_x, summary.T)
        counts[name] = CountResult(name, params, predicted)
        mae[name] = float(np.mean(np.abs(predicted - summary.holdout_x)))
    chosen, reason = choose_model(mae, horizon, unit)

    spend_params, spend_error = None, None
    predicted_value_total, value_mae = float("nan"), float("nan")
    chosen_predicted = counts[chosen].predicted if chosen in counts else None
    try:
        spend_params = fit_spend(summary.x, summary.repeat_value)
    except (gammagamma.NotEnoughData, gammagamma.FitDidNotConverge) as error:
        spend_error = str(error)
    if spend_params is not None and chosen_predicted is not None:
        per_purchase = expected_value_per_purchase(
            spend_params, summary.x, summary.repeat_value
        )
        predicted_value = chosen_predicted * per_purchase
        predicted_value_total = float(np.nansum(predicted_value))
        value_mae = float(np.nanmean(np.abs(predicted_value - summary.holdout_value)))
    return BacktestResult(
        horizon=horizon,
        customers=len(summary.x),
        repeat_buyers=int((summary.x > 0).sum()),
        actual_total=float(summary.holdout_x.sum()),
        counts=counts,
        mae=mae,
        table=_table(summary, counts),
        spend_params=spend_params,
        spend_error=spend_error,
        actual_value_total=float(summary.holdout_value.sum()),
        predicted_value_total=predicted_value_total,
        value_mae=value_mae,
        chosen=chosen,
        reason=reason,
    )
