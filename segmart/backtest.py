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
predicted vs actual holdout value and its per-customer mean absolute error, on
contribution margin and, when a second amount is given, on net revenue (for
comparison with revenue-based tools).
:func:`choose_model` picks the count model with the lower per-customer error.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import ArrayLike, NDArray

from segmart import bgnbd, gammagamma, paretonbd
from segmart.errors import UserError

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
    (NaN where ``x == 0``); ``holdout_value`` the value of the holdout purchases;
    ``repeat_support`` and ``holdout_support`` the same for the second amount
    (net revenue), when one was given.
    """

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    holdout_x: FloatArray
    repeat_value: FloatArray
    holdout_value: FloatArray
    repeat_support: FloatArray | None = None
    holdout_support: FloatArray | None = None
    customer: NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(0, dtype=np.int64)
    )


def summarise(
    customer: ArrayLike,
    day: ArrayLike,
    value: ArrayLike,
    calibration_end: int,
    horizon: int,
    support: ArrayLike | None = None,
) -> Summary:
    """Calibration summary and holdout outcome from purchases.

    ``customer`` are integer customer codes, ``day`` integer day numbers (any
    origin), ``value`` one amount per row; ``support`` optionally a second
    amount (net revenue beside margin: :func:`value_per_purchase`). Rows of one
    customer on one day are summed into one purchase. The calibration period is ``day <=
    calibration_end``; the holdout ``calibration_end < day <= calibration_end +
    horizon``. ``Summary.customer`` lists the cohort's codes, ascending.
    """
    cust = np.asarray(customer, dtype=np.int64)
    days = np.asarray(day, dtype=np.int64)
    val = np.asarray(value, dtype=np.float64)
    sup = val if support is None else np.asarray(support, dtype=np.float64)
    if not (cust.shape == days.shape == val.shape == sup.shape):
        raise ValueError("customer, day and value need one entry per row")
    keep = days <= calibration_end + horizon
    cust, days, val, sup = cust[keep], days[keep], val[keep], sup[keep]
    # one purchase per customer and day
    order = np.lexsort((days, cust))
    cust, days, val, sup = cust[order], days[order], val[order], sup[order]
    new = np.ones(len(cust), dtype=bool)
    new[1:] = (cust[1:] != cust[:-1]) | (days[1:] != days[:-1])
    starts = np.flatnonzero(new)
    cust, days = cust[starts], days[starts]
    val = np.add.reduceat(val, starts) if len(starts) else val[:0]
    sup = np.add.reduceat(sup, starts) if len(starts) else sup[:0]

    codes, first_idx, index = np.unique(cust, return_index=True, return_inverse=True)
    first_day = days[first_idx]
    in_cal = days <= calibration_end
    n = len(codes)
    cal_count = np.bincount(index, weights=in_cal, minlength=n)
    last_cal = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_cal, index[in_cal], days[in_cal])
    is_first = np.zeros(len(days), dtype=bool)
    is_first[first_idx] = True
    cal_repeat = in_cal & ~is_first
    repeat_sum = np.bincount(index, weights=val * cal_repeat, minlength=n)
    support_sum = np.bincount(index, weights=sup * cal_repeat, minlength=n)
    hold = ~in_cal
    holdout_x = np.bincount(index, weights=hold, minlength=n)
    holdout_value = np.bincount(index, weights=val * hold, minlength=n)
    holdout_support = np.bincount(index, weights=sup * hold, minlength=n)

    cohort = first_day <= calibration_end
    x = cal_count[cohort] - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        repeat_value = np.where(x > 0, repeat_sum[cohort] / np.maximum(x, 1), np.nan)
        repeat_support = np.where(x > 0, support_sum[cohort] / np.maximum(x, 1), np.nan)
    return Summary(
        x=x,
        t_x=(last_cal[cohort] - first_day[cohort]).astype(np.float64),
        T=(calibration_end - first_day[cohort]).astype(np.float64),
        holdout_x=holdout_x[cohort],
        repeat_value=repeat_value,
        holdout_value=holdout_value[cohort],
        repeat_support=None if support is None else repeat_support,
        holdout_support=None if support is None else holdout_support[cohort],
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


#: Gamma-Gamma needs positive values. When more than this share of the repeat
#: buyers average zero or less per repeat purchase (thin margins), a fit on the
#: others would overstate the shop's value: value_per_purchase then borrows the
#: weights from the fit on the always-positive support (net revenue).
MAX_NON_POSITIVE_SHARE = 0.05


def fit_spend(x: FloatArray, m: FloatArray) -> gammagamma.GammaGammaParams:
    """Gamma-Gamma on the customers whose repeat purchases have a positive mean."""
    use = (x > 0) & np.isfinite(m) & (m > 0)
    return gammagamma.fit(x[use], m[use])


def expected_value_per_purchase(
    params: gammagamma.GammaGammaParams, x: FloatArray, m: FloatArray
) -> FloatArray:
    """E[M | x, m]; a customer whose repeat purchases averaged zero or less is
    taken at m = 0 (the shop's mean, shrunk towards zero by their x).

    Where the expectation is infinite (``p x + q <= 1``: with ``q <= 1`` at
    least the one-time buyers), the limit of the credibility form as ``q -> 1``:
    the customer's own mean, and for one-time buyers the shop's observed mean per
    repeat purchase, instead of a null.
    """
    usable = (x > 0) & np.isfinite(m) & (m > 0)
    m_used = np.where(usable, m, 1e-12)
    out = gammagamma.expected_average_spend(params, x, m_used)
    infinite = np.isnan(out)
    if infinite.any():
        shop_mean = float(np.sum(m[usable] * x[usable]) / np.sum(x[usable]))
        out = np.where(infinite, np.where(x > 0, m_used, shop_mean), out)
    return out


def value_per_purchase(
    x: FloatArray, m: FloatArray, support: FloatArray | None = None
) -> tuple[FloatArray, str]:
    """Expected value per future purchase of every customer, and the method.

    ``gamma_gamma``: E[M | x, m] of a Gamma-Gamma fit on ``m``. When more than
    :data:`MAX_NON_POSITIVE_SHARE` of the repeat buyers have ``m <= 0`` and a
    ``support`` (mean net revenue per repeat purchase) is given,
    ``gamma_gamma_weights``: the same credibility form
    ``w m + (1 - w) shop mean``, ``w = p x / (p x + q - 1)`` with ``p, q`` from
    a Gamma-Gamma fit on ``support``, and the shop mean of ``m`` per repeat
    purchase (negatives included). Raises gammagamma's errors.

    The weight is clipped to ``[0, 1]``: with ``q <= 1`` (net revenue so spread
    between customers that its population mean is infinite: a wholesaler
    beside walk-in buyers) ``p x / (p x + q - 1)`` is above 1 or negative and
    would push a customer past their own mean; its limit as ``q -> 1`` is 1,
    the customer's own mean.
    """
    repeat = (x > 0) & np.isfinite(m)
    share = float((m[repeat] <= 0).mean()) if repeat.any() else 0.0
    if support is None or share <= MAX_NON_POSITIVE_SHARE:
        return expected_value_per_purchase(fit_spend(x, m), x, m), "gamma_gamma"
    params = fit_spend(x, support)
    den = params.p * x + params.q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(den > 0, np.clip(params.p * x / den, 0.0, 1.0), 1.0)
    weight = np.where(x > 0, weight, 0.0)
    shop_mean = float(np.sum(m[repeat] * x[repeat]) / np.sum(x[repeat]))
    own = np.where(repeat, m, 0.0)
    return (
        weight * own + (1.0 - weight) * shop_mean,
        f"gamma_gamma_weights: {share:.0%} of repeat buyers average <= 0",
    )


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
class SpendResult:
    """The spend backtest on one amount (margin or net revenue)."""

    method: str | None
    error: str | None
    actual_total: float
    predicted_total: float = float("nan")
    mae: float = float("nan")


#: The amounts the spend backtest reports, in order: label -> what it is.
SPEND_KINDS = {"margin": "contribution margin", "net_revenue": "net revenue"}


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
    spend: dict[str, SpendResult]
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


def _spend(
    x: FloatArray,
    m: FloatArray,
    support: FloatArray | None,
    holdout: FloatArray,
    predicted_purchases: FloatArray | None,
) -> SpendResult:
    """Predicted holdout value (purchases x value per purchase) vs the actual."""
    result = SpendResult(None, None, float(holdout.sum()))
    try:
        per_purchase, result.method = value_per_purchase(x, m, support)
    except (gammagamma.NotEnoughData, gammagamma.FitDidNotConverge) as error:
        result.error = str(error)
        return result
    if predicted_purchases is not None:
        predicted = predicted_purchases * per_purchase
        result.predicted_total = float(np.nansum(predicted))
        result.mae = float(np.nanmean(np.abs(predicted - holdout)))
    return result


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

    chosen_predicted = counts[chosen].predicted if chosen in counts else None
    amounts = {
        "margin": (summary.repeat_value, summary.repeat_support, summary.holdout_value)
    }
    if summary.repeat_support is not None and summary.holdout_support is not None:
        amounts["net_revenue"] = (summary.repeat_support, None, summary.holdout_support)
    spend = {
        kind: _spend(summary.x, m, support, holdout, chosen_predicted)
        for kind, (m, support, holdout) in amounts.items()
    }
    return BacktestResult(
        horizon=horizon,
        customers=len(summary.x),
        repeat_buyers=int((summary.x > 0).sum()),
        actual_total=float(summary.holdout_x.sum()),
        counts=counts,
        mae=mae,
        table=_table(summary, counts),
        spend=spend,
        chosen=chosen,
        reason=reason,
    )


# ------------------------------------------------- a built database (the command)

#: Sections of the backtest table (the Parquet file and the report's chart).
SECTIONS = ("by_calibration_repeats", "total", "mae_per_customer")


def default_output(db_path: Path) -> Path:
    """The backtest file beside the database: ``<db>.backtest.parquet``."""
    return db_path.with_name(db_path.name + ".backtest.parquet")


def backtest_database(
    db_path: Path, calibration_end: datetime.date | None, horizon_days: int
) -> tuple[BacktestResult, datetime.date]:
    """Backtest on a built database's orders (intermediate.int_orders_margined):
    fit on the orders up to ``calibration_end`` (default: as_of - horizon_days),
    compare with the next ``horizon_days``; values are contribution margin."""
    if horizon_days <= 0:
        raise UserError("--horizon-days must be positive")
    if not db_path.exists():
        raise UserError(f"no database at {db_path}: run `segmart build` first")
    with duckdb.connect(str(db_path), read_only=True) as con:
        try:
            (as_of,) = con.execute(
                "select as_of_date from intermediate.int_build_context"
            ).fetchone()
            rows = con.execute(
                "select customer_key,"
                " date_diff('day', date '1970-01-01', cast(order_date as date)),"
                " coalesce(cast(contribution_margin as double), 0),"
                " coalesce(cast(net_revenue as double), 0)"
                " from intermediate.int_orders_margined"
                " where customer_key is not null"
            ).fetchall()
        except duckdb.Error as error:
            raise UserError(f"cannot read the orders of {db_path}: {error}") from error
    end = calibration_end or as_of - datetime.timedelta(days=horizon_days)
    if end + datetime.timedelta(days=horizon_days) > as_of:
        raise UserError(
            f"the holdout {end} + {horizon_days} days runs past the data's as_of "
            f"{as_of}: choose an earlier --calibration-end or fewer --horizon-days"
        )
    keys = {key: code for code, key in enumerate(sorted({r[0] for r in rows}))}
    epoch = datetime.date(1970, 1, 1)
    summary = summarise(
        [keys[r[0]] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
        (end - epoch).days,
        horizon_days,
        support=[r[3] for r in rows],
    )
    if not (summary.x > 0).any():
        raise UserError(f"no repeat purchase up to {end}: nothing to fit")
    return run_backtest(summary, float(horizon_days)), end


def result_table(result: BacktestResult, calibration_end: datetime.date) -> pa.Table:
    """The backtest as one long table (:data:`SECTIONS`), one column per model."""
    rows: list[dict] = []
    for row in result.table:
        rows.append(
            {
                "section": "by_calibration_repeats",
                "label": row["calibration_repeats"],
                "customers": row["customers"],
                "actual": row["actual"],
                **{m: row.get(m) for m in COUNT_MODELS},
            }
        )
    totals = {m: result.counts[m].total() for m in COUNT_MODELS}
    rows.append(
        {
            "section": "total",
            "label": "repeat_purchases",
            "customers": result.customers,
            "actual": result.actual_total,
            **totals,
        }
    )
    rows.append(
        {
            "section": "mae_per_customer",
            "label": "repeat_purchases",
            "customers": result.customers,
            "actual": None,
            **{m: result.mae[m] for m in COUNT_MODELS},
        }
    )
    spend_rows = []
    for kind, spent in result.spend.items():
        spend_rows.append((kind, spent.actual_total, spent.predicted_total))
        spend_rows.append((f"{kind}_mae", None, spent.mae))
    for label, actual, predicted in spend_rows:
        rows.append(
            {
                "section": "total" if actual is not None else "mae_per_customer",
                "label": label,
                "customers": result.customers,
                "actual": actual,
                **{
                    m: (predicted if m == result.chosen else None) for m in COUNT_MODELS
                },
            }
        )
    clean = [
        {
            k: (None if isinstance(v, float) and not np.isfinite(v) else v)
            for k, v in row.items()
        }
        for row in rows
    ]
    table = pa.Table.from_pylist(
        clean,
        schema=pa.schema(
            [
                ("section", pa.string()),
                ("label", pa.string()),
                ("customers", pa.int64()),
                ("actual", pa.float64()),
                *((m, pa.float64()) for m in COUNT_MODELS),
            ]
        ),
    )
    n = table.num_rows
    return (
        table.append_column("chosen_model", pa.array([result.chosen] * n))
        .append_column("calibration_end", pa.array([calibration_end] * n, pa.date32()))
        .append_column("horizon_days", pa.array([int(result.horizon)] * n, pa.int64()))
    )


def write_table(table: pa.Table, path: Path) -> None:
    """Write the backtest table as Parquet (replacing an older one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def verdict(result: BacktestResult) -> str:
    """A few lines for the terminal: totals, errors, the model chosen."""
    chosen = result.counts[result.chosen]
    gap = chosen.total() / result.actual_total - 1 if result.actual_total else np.nan
    lines = [
        f"{result.customers:,} customers, {result.repeat_buyers:,} with a repeat "
        f"purchase in the calibration period; holdout {result.horizon:g} days",
        f"repeat purchases in the holdout: actual {result.actual_total:,.0f}, "
        + ", ".join(f"{m} {result.counts[m].total():,.0f}" for m in COUNT_MODELS),
        f"model: {result.chosen} ({result.reason}); its total is {gap:+.1%} off",
    ]
    for kind, spent in result.spend.items():
        name = SPEND_KINDS[kind]
        if spent.method is None:
            lines.append(f"{name}: not predicted ({spent.error})")
            continue
        lines.append(
            f"{name} in the holdout: actual {spent.actual_total:,.0f}, "
            f"predicted {spent.predicted_total:,.0f}; per-customer MAE "
            f"{spent.mae:,.2f} ({spent.method})"
        )
    trust = "trustworthy" if abs(gap) <= 0.2 else "off by more than 20%: use with care"
    lines.append(f"verdict: totals {trust}")
    return "\n".join(lines)
