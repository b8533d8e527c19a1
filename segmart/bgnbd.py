r"""BG/NBD model: maximum-likelihood fit, P(alive) and expected future purchases.

Reference
---------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "'Counting Your Customers'
the Easy Way: An Alternative to the Pareto/NBD Model". *Marketing Science*
24(2), 275-284. Equation numbers below are the paper's.

Data
----
One row per customer (or per group of identical customers, with ``weights``):

* ``x``   -- number of *repeat* purchases (distinct purchase days - 1), an
  integer >= 0;
* ``t_x`` -- time from the first to the last purchase (0 when ``x == 0``);
* ``T``   -- time from the first purchase to the end of the observation period,
  ``0 <= t_x <= T``.

Time unit
---------
Any unit may be used (segmart passes days; the paper and the CDNOW fixture use
weeks), as long as ``t_x``, ``T`` and the prediction horizon ``t`` share it.
``r``, ``a`` and ``b`` are unit-free; ``alpha`` is a time scale: it scales with
the unit, so a fit in days has ``alpha_days = 7 * alpha_weeks`` (the mean
purchase rate ``r / alpha`` is per unit of time).

Model
-----
While active, a customer buys as a Poisson process with rate ``lambda``;
``lambda ~ Gamma(shape=r, rate=alpha)`` across customers. Every customer is
alive at the first purchase (time 0); after each repeat purchase the customer
drops out for good with probability ``p``; ``p ~ Beta(a, b)`` across
customers. ``lambda`` and ``p`` are independent.

Likelihood of one customer, eq. (6), with ``delta = 1 if x > 0 else 0``::

    L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
      + delta * B(a+1, b+x-1)/B(a, b)
              * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))

evaluated in logs as ``ln L = A1 + A2 + ln(exp(A3) + delta exp(A4))`` with::

    A1 = lnGamma(r+x) - lnGamma(r) + r ln(alpha)
    A2 = lnGamma(a+b) + lnGamma(b+x) - lnGamma(b) - lnGamma(a+b+x)
    A3 = -(r+x) ln(alpha+T)
    A4 = ln(a) - ln(b+x-1) - (r+x) ln(alpha+t_x)

(the two-term sum by log-sum-exp).

Fitting
-------
:func:`fit` maximises ``sum_i w_i ln L_i`` (optionally minus an L2 penalty)
over the log-parameters, so all four stay positive, with L-BFGS-B and the
analytic gradient, inside the box ``[exp(-20), exp(20)]``. Identical
``(x, t_x, T)`` rows are merged first (day-level data has few distinct rows)
and terms that depend on ``x`` alone are computed once per distinct ``x``.
With up to 100,000 distinct rows it runs from three starting points and keeps
the best; with more, it adds the other starts only if the first run did not
converge. Nelder-Mead (2,000 evaluations at most) is the last resort.

Small or uninformative samples (tens of customers, or almost nobody with
more than one repeat purchase) identify the model poorly: the maximum can lie
on a ridge towards the edge of the box (e.g. ``a -> 0, b -> inf``: nobody
drops out; or ``r, alpha -> inf``: identical purchase rates), and the
returned parameters are then huge or tiny, though still a maximum of the
likelihood.

Probability that a customer is still alive, from eq. (6)'s two terms::

    P(alive | x, t_x, T) = 1 / (1 + delta * a/(b+x-1)
                                   * ((alpha+T)/(alpha+t_x))^(r+x))

Unconditional expected number of repeat purchases in (0, t], eq. (9)::

    E[X(t)] = (a+b-1)/(a-1)
              * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]

Conditional expectation of purchases in (T, T+t], eq. (10)::

    E[Y(t) | x, t_x, T] =
        (a+b+x-1)/(a-1)
        * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
               2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
        / (1 + delta * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x))

The denominator is ``1 / P(alive)``. To keep ``2F1`` well behaved for large
``x`` it is evaluated after Euler's transformation
``2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)``, which turns the
bracketed product into ``(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)`` with
``z = t/(alpha+T+t)``: bounded parameters instead of ones that grow with ``x``.
At ``a == 1`` the expression is 0/0; there it is interpolated from
``a = 1 +/- 1e-4``.

Degenerate input (fallback)
---------------------------
:func:`fit` raises :class:`NotEnoughData` (a subclass of :class:`BGNBDError`)
when there are fewer than :data:`MIN_CUSTOMERS` customers (weighted count) or
when no customer has a repeat purchase (``x == 0`` everywhere: the
likelihood then has no interior maximum). Callers catch it and skip the model
for that population. It raises :class:`FitDidNotConverge` (also a
:class:`BGNBDError`) if no optimiser reaches finite parameters. Malformed input
(negative or non-integer ``x``, ``t_x > T``, NaN, mismatched shapes) raises
``ValueError``. Customers with ``T == 0`` (first purchase on the as-of day)
are valid and give no NaN: with ``x == 0`` (always the case when ``x`` counts
distinct purchase days) they have ``P(alive) == 1`` and the expected purchases
of a brand-new customer, eq. (9).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeResult, minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

__all__ = [
    "MIN_CUSTOMERS",
    "BGNBDError",
    "BGNBDParams",
    "FitDidNotConverge",
    "NotEnoughData",
    "expected_purchases",
    "fit",
    "log_likelihood",
    "predict",
    "prob_alive",
]

#: Smallest (weighted) number of customers :func:`fit` accepts.
MIN_CUSTOMERS = 10

# Log-parameter box for L-BFGS-B: parameters in [exp(-20), exp(20)].
_LOG_BOUND = 20.0
# Up to this many distinct (x, t_x, T) rows, fit() always tries three starts.
_MULTISTART_ROWS = 100_000
# Half-width of the interpolation window around a == 1 in expected_purchases.
_A_ONE_EPS = 1e-4


class BGNBDError(Exception):
    """Base class of the errors :func:`fit` raises instead of returning params."""


class NotEnoughData(BGNBDError):
    """Too few customers, or no repeat purchases at all: the model is not fitted."""


class FitDidNotConverge(BGNBDError):
    """No optimiser reached finite parameters."""


@dataclass(frozen=True)
class BGNBDParams:
    """BG/NBD parameters: ``lambda ~ Gamma(r, alpha)``, ``p ~ Beta(a, b)``.

    ``alpha`` is in the caller's time unit (see the module docstring).
    """

    r: float
    alpha: float
    a: float
    b: float


FloatArray = NDArray[np.float64]


def _as_float(name: str, v: ArrayLike) -> FloatArray:
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    arr = np.atleast_1d(arr)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _validate(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return float arrays (x, t_x, T, w) after checking the data are well formed."""
    xa, ta, Ta = _as_float("x", x), _as_float("t_x", t_x), _as_float("T", T)
    xa, ta, Ta = np.broadcast_arrays(xa, ta, Ta)
    if weights is None:
        wa = np.ones_like(xa)
    else:
        wa = np.broadcast_to(_as_float("weights", weights), xa.shape)
        if np.any(wa < 0):
            raise ValueError("weights must be >= 0")
    if np.any(xa < 0) or np.any(xa != np.round(xa)):
        raise ValueError("x must be non-negative integers (repeat purchase counts)")
    if np.any(ta < 0) or np.any(ta > Ta):
        raise ValueError("need 0 <= t_x <= T for every customer")
    return xa, ta, Ta, wa


def _check_params(params: BGNBDParams) -> None:
    vals = (params.r, params.alpha, params.a, params.b)
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise ValueError(f"all BG/NBD parameters must be finite and > 0: {params}")


def _dot(u: FloatArray, v: FloatArray) -> float:
    """Inner product without BLAS: np.dot's threads are slow on a busy machine."""
    return float(np.einsum("i,i->", u, v))


def _loglik_terms(
    log_params: FloatArray,
    x_u: FloatArray,
    x_idx: NDArray[np.intp],
    t_x: FloatArray,
    T: FloatArray,
    w: FloatArray,
    with_grad: bool,
) -> tuple[float, FloatArray | None]:
    """Weighted log-likelihood (and its gradient wrt the log-parameters).

    Terms that depend on x only are computed once per distinct x value
    (``x_u``) and gathered through ``x_idx``.
    """
    r, alpha, a, b = np.exp(log_params)
    pos_u = x_u > 0
    # Per distinct x: A1 + A2 and the x-only part of A4.
    a12_u = (
        gammaln(r + x_u)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(b + x_u)
        - gammaln(b)
        - gammaln(a + b + x_u)
    )
    bx1_u = np.where(pos_u, b + x_u - 1.0, 1.0)
    a4c_u = np.where(pos_u, np.log(a) - np.log(bx1_u), -np.inf)

    rx = r + x_u[x_idx]
    la_T = np.log(alpha + T)
    la_tx = np.log(alpha + t_x)
    a3 = -rx * la_T
    a4 = a4c_u[x_idx] - rx * la_tx
    # Log-sum-exp: log(exp(a3) + exp(a4)) = max + log1p(exp(-|a3 - a4|));
    # a4 is -inf when x == 0, and the correction term is then exactly 0.
    # (Spelled out: np.logaddexp is several times slower.)
    lse = np.maximum(a3, a4) + np.log1p(np.exp(-np.abs(a3 - a4)))
    ll = _dot(w, a12_u[x_idx] + lse)
    if not with_grad:
        return ll, None

    # Weight of the second (x > 0) term inside the log-sum: 1 - P(alive).
    q = np.exp(a4 - lse)
    p_alive = 1.0 - q
    wq = w * q
    wp = w * p_alive
    # Per-x weight sums let the x-only derivatives be summed cheaply.
    n_x = len(x_u)
    w_u = np.bincount(x_idx, weights=w, minlength=n_x)
    wq_u = np.bincount(x_idx, weights=wq, minlength=n_x)

    g_r = (
        _dot(w_u, digamma(r + x_u) - digamma(r) + np.log(alpha))
        - _dot(wp, la_T)
        - _dot(wq, la_tx)
    )
    g_alpha = (
        np.sum(w_u) * r / alpha
        - _dot(wp, rx / (alpha + T))
        - _dot(wq, rx / (alpha + t_x))
    )
    g_a = _dot(w_u, digamma(a + b) - digamma(a + b + x_u)) + np.sum(wq_u) / a
    g_b = _dot(
        w_u, digamma(a + b) + digamma(b + x_u) - digamma(b) - digamma(a + b + x_u)
    ) - _dot(wq_u, np.where(pos_u, 1.0 / bx1_u, 0.0))
    grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b], dtype=np.float64)
    return ll, grad


def log_likelihood(
    params: BGNBDParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total (weighted) log-likelihood of the data under ``params``, eq. (6)."""
    _check_params(params)
    xa, ta, Ta, wa = _validate(x, t_x, T, weights)
    x_u, x_idx = _index_x(xa)
    lp = np.log([params.r, params.alpha, params.a, params.b])
    ll, _ = _loglik_terms(lp, x_u, x_idx, ta, Ta, wa, with_grad=False)
    return ll


def _compress(
    x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Merge identical (x, t_x, T) rows, summing their weights.

    Data measured in whole days have far fewer distinct rows than customers;
    continuous times have none to merge, and the rows are returned as they are,
    sorted. Sorted either way, so that the fit does not depend on the order the
    rows arrive in (floating-point sums do).
    """
    keep = w > 0
    x, t_x, T, w = x[keep], t_x[keep], T[keep], w[keep]
    order = np.lexsort((T, t_x, x))
    xs, ts, Ts = x[order], t_x[order], T[order]
    new = np.ones(len(xs), dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]) | (ts[1:] != ts[:-1]) | (Ts[1:] != Ts[:-1])
    n_uniq = int(new.sum())
    if n_uniq > 0.8 * len(xs):
        return xs, ts, Ts, w[order]  # little to gain; sorted all the same
    group = np.cumsum(new) - 1
    wu = np.bincount(group, weights=w[order], minlength=n_uniq)
    return xs[new], ts[new], Ts[new], wu


def _index_x(x: FloatArray) -> tuple[FloatArray, NDArray[np.intp]]:
    """Distinct values of the integer counts ``x`` and each row's index into them."""
    if len(x) == 0 or x.max() > 10 * len(x) + 1_000_000:
        x_u, x_idx = np.unique(x, return_inverse=True)
        return x_u, x_idx.ravel()
    xi = x.astype(np.intp)
    present = np.bincount(xi) > 0
    lookup = np.cumsum(present) - 1
    return np.flatnonzero(present).astype(np.float64), lookup[xi]


def fit(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
    penalizer: float = 0.0,
) -> BGNBDParams:
    """Fit the BG/NBD model by maximum likelihood.

    Parameters
    ----------
    x, t_x, T
        Per-customer repeat purchases, recency and age (see the module
        docstring); any time unit, shared by ``t_x`` and ``T``.
    weights
        Optional non-negative counts for grouped data (row ``i`` stands for
        ``weights[i]`` identical customers).
    penalizer
        Optional L2 penalty ``penalizer * sum(log(theta)**2)`` on the
        log-parameters, added to the *mean* negative log-likelihood (so its
        strength does not depend on the number of customers). Default 0: plain
        maximum likelihood.

    Raises
    ------
    NotEnoughData
        Fewer than :data:`MIN_CUSTOMERS` customers, or no repeat purchases.
    FitDidNotConverge
        The optimisers did not reach finite parameters.
    ValueError
        Malformed input.
    """
    if penalizer < 0:
        raise ValueError("penalizer must be >= 0")
    xa, ta, Ta, wa = _validate(x, t_x, T, weights)
    n = float(wa.sum())
    if n < MIN_CUSTOMERS:
        raise NotEnoughData(
            f"BG/NBD needs at least {MIN_CUSTOMERS} customers, got {n:g}"
        )
    if not np.any((xa > 0) & (wa > 0)):
        raise NotEnoughData("BG/NBD needs at least one repeat purchase (all x == 0)")

    xa, ta, Ta, wa = _compress(xa, ta, Ta, wa)
    x_u, x_idx = _index_x(xa)
    w_norm = wa / n  # optimise the mean log-likelihood: scale-free tolerances

    def objective(lp: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):  # extreme trial points only
            ll, g = _loglik_terms(lp, x_u, x_idx, ta, Ta, w_norm, with_grad=True)
        assert g is not None
        val = -ll + penalizer * (_dot(lp, lp))
        grad = -g + 2.0 * penalizer * lp
        if not (np.isfinite(val) and np.all(np.isfinite(grad))):
            return 1e300, np.zeros(4)
        return val, grad

    def lbfgsb(start: FloatArray) -> OptimizeResult:
        return minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
            options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-9, "maxcor": 20},
        )

    def converged(res: OptimizeResult) -> bool:
        if not (np.all(np.isfinite(res.x)) and np.isfinite(res.fun)):
            return False
        # L-BFGS-B often reports a line-search "failure" when it is already at
        # the optimum to machine precision; judge by the projected gradient.
        # A stop on the box edge is a degenerate corner (e.g. a -> 0: nobody
        # drops out) that small samples can fall into: try other starts too.
        if np.any(np.abs(res.x) >= _LOG_BOUND - 1e-6):
            return False
        g = objective(res.x)[1]
        return bool(res.success or np.max(np.abs(g)) < 1e-6)

    # Start: r = 1, alpha from the observed purchase rate (mean lambda = r /
    # alpha ~ sum x / sum T), and a, b of a moderately likely dropout.
    rate = _dot(wa, xa) / max(_dot(wa, Ta), 1e-12)
    alpha0 = float(np.clip(1.0 / max(rate, 1e-12), 1e-6, 1e6))
    x0 = np.log([1.0, alpha0, 0.5, 2.0])
    other_starts = ([0.3, 0.3 * alpha0, 1.0, 1.0], [3.0, 3.0 * alpha0, 2.0, 8.0])
    tries = [lbfgsb(x0)]
    # Small samples can have a second, spurious optimum on a degenerate ridge
    # (a -> 0, b -> inf: nobody drops out), so they always get the other
    # starts too; large ones only when the first run did not converge.
    if len(ta) <= _MULTISTART_ROWS or not converged(tries[0]):
        tries += [lbfgsb(np.log(s)) for s in other_starts]
    if not any(converged(t) for t in tries):
        # Last resort: a derivative-free Nelder-Mead solution (bounded number
        # of evaluations), polished by L-BFGS-B.
        nm = minimize(
            lambda lp: objective(np.clip(lp, -_LOG_BOUND, _LOG_BOUND))[0],
            x0,
            method="Nelder-Mead",
            options={"maxfev": 2_000, "xatol": 1e-8, "fatol": 1e-12},
        )
        tries.append(lbfgsb(np.clip(nm.x, -_LOG_BOUND, _LOG_BOUND)))
    finite = [t for t in tries if np.all(np.isfinite(t.x)) and t.fun < 1e300]
    if not finite:
        raise FitDidNotConverge(f"BG/NBD fit failed: {tries[0].message}")
    res = min(finite, key=lambda t: t.fun)

    r, alpha, a, b = (float(v) for v in np.exp(res.x))
    params = BGNBDParams(r=r, alpha=alpha, a=a, b=b)
    if not all(np.isfinite(v) for v in (r, alpha, a, b)):
        raise FitDidNotConverge(f"BG/NBD fit gave non-finite parameters: {params}")
    return params


def prob_alive(
    params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(customer still alive | x, t_x, T); exactly 1 when ``x == 0``."""
    _check_params(params)
    xa, ta, Ta, _ = _validate(x, t_x, T)
    return _prob_alive(params, xa, ta, Ta)


def _prob_alive(
    params: BGNBDParams, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    pos = x > 0
    bx1 = np.where(pos, b + x - 1.0, 1.0)
    # log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x); the odds of "dead".
    log_odds_dead = (
        np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.where(pos, expit(-log_odds_dead), 1.0)


def _bracket_over_a1(
    r: float,
    alpha: float,
    a: float,
    b: float,
    t: FloatArray,
    x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """(a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(...)] of eq. (10)."""
    z = t / (alpha + T + t)
    one_minus_z = (alpha + T) / (alpha + T + t)
    c = a + b + x - 1.0
    # Euler: ((1-z)^(r+x)) 2F1(r+x, b+x; c; z) == (1-z)^(a-1) 2F1(c-r-x, c-b-x; c; z)
    f = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    prod = np.power(one_minus_z, a - 1.0) * f
    return c / (a - 1.0) * (1.0 - prod)


def expected_purchases(
    params: BGNBDParams,
    t: float | ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t], eq. (10).

    ``t`` is the horizon in the same time unit as ``t_x`` and ``T`` (a scalar
    or one value per customer). For ``x == t_x == T == 0`` this is the
    unconditional E[X(t)] of eq. (9).
    """
    _check_params(params)
    xa, ta, Ta, _ = _validate(x, t_x, T)
    tt = np.broadcast_to(_as_float("t", t), xa.shape)
    if np.any(tt < 0):
        raise ValueError("horizon t must be >= 0")
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < _A_ONE_EPS:
        # 0/0 at a == 1: interpolate linearly between a = 1 -/+ eps (smooth in a).
        lo = _bracket_over_a1(r, alpha, 1.0 - _A_ONE_EPS, b, tt, xa, Ta)
        hi = _bracket_over_a1(r, alpha, 1.0 + _A_ONE_EPS, b, tt, xa, Ta)
        frac = (a - (1.0 - _A_ONE_EPS)) / (2.0 * _A_ONE_EPS)
        bracket = lo + frac * (hi - lo)
    else:
        bracket = _bracket_over_a1(r, alpha, a, b, tt, xa, Ta)
    return bracket * _prob_alive(params, xa, ta, Ta)


def predict(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    horizon: float,
    *,
    params: BGNBDParams | None = None,
) -> tuple[BGNBDParams, FloatArray, FloatArray]:
    """Fit (unless ``params`` is given) and score every customer.

    Returns ``(params, prob_alive, expected purchases in (T, T + horizon])``.
    Propagates :class:`NotEnoughData` / :class:`FitDidNotConverge` from
    :func:`fit` when ``params`` is None.
    """
    if params is None:
        params = fit(x, t_x, T)
    return (
        params,
        prob_alive(params, x, t_x, T),
        expected_purchases(params, horizon, x, t_x, T),
    )
