r"""Gamma-Gamma model of spend per transaction: fit and conditional expected spend.

References
----------
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "RFM and CLV: Using
Iso-Value Curves for Customer Base Analysis". *Journal of Marketing Research*
42(4), 415-430.
Fader, P. S. and Hardie, B. G. S. (2013). "The Gamma-Gamma Model of Monetary
Value". http://www.brucehardie.com/notes/025/

Data
----
One row per customer (or per group of identical customers, with ``weights``):

* ``x`` -- number of *repeat* transactions, an integer >= 0 (the same ``x`` as
  in :mod:`segmart.bgnbd`);
* ``m`` -- mean value of those ``x`` transactions (``m_x``, "zbar"), > 0 when
  ``x > 0``; ignored when ``x == 0``.

Only customers with ``x > 0`` carry information about spend; :func:`fit`
uses those and ignores the others (so the whole customer table can be passed).

Model
-----
A customer's transaction values ``z_1, ..., z_x`` are i.i.d.
``Gamma(shape=p, rate=nu)`` (mean ``p / nu``); ``nu ~ Gamma(shape=q,
rate=gamma)`` across customers; spend is independent of the purchase process.
The mean ``m`` of ``x`` values is then ``Gamma(px, rate=nu x)``, and
integrating ``nu`` out gives the likelihood of one customer (the 2013 note,
eq. 1)::

    f(m | x) = Gamma(px+q) / (Gamma(px) Gamma(q))
               * gamma^q m^(px-1) x^(px) / (gamma + m x)^(px+q)

Expected mean spend per transaction of a customer given ``(x, m)`` (the
2013 note, eq. 5; the 2005 paper, eq. 9)::

    E[M | x, m] = p (gamma + m x) / (p x + q - 1)
                = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m

a weighted average of the population mean ``p gamma / (q - 1)`` and the
customer's own mean. With ``x == 0`` it is the population mean. It needs
``p x + q > 1`` (the population mean itself needs ``q > 1``); where that fails
the expectation is infinite and :func:`expected_average_spend` returns NaN.

Units: ``p`` and ``q`` are unit-free; ``gamma`` is in the currency of ``m``.

Fitting
-------
:func:`fit` maximises ``sum_i w_i ln f(m_i | x_i)`` over the log-parameters
with L-BFGS-B and the analytic gradient (box ``[exp(-20), exp(20)]``), from
three starting points, keeping the best. A population whose spends barely vary
between customers has no interior maximum (``p, q -> inf``); the fit then
stops at the box edge, and the predictions are still the sensible ones
(every customer's expected spend is close to the common mean).

Degenerate input
----------------
:func:`fit` raises :class:`NotEnoughData` (a ``ValueError``) when fewer than
:data:`MIN_CUSTOMERS` customers (weighted) have a repeat transaction. Malformed
input (negative or non-integer ``x``, ``m <= 0`` where ``x > 0``, NaN,
mismatched shapes) raises a plain ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from segmart.bgnbd import _as_float

__all__ = [
    "MIN_CUSTOMERS",
    "FitDidNotConverge",
    "GammaGammaParams",
    "NotEnoughData",
    "expected_average_spend",
    "fit",
    "log_likelihood",
    "population_mean_spend",
]

#: Smallest (weighted) number of customers with ``x > 0`` that :func:`fit` accepts.
MIN_CUSTOMERS = 10

_LOG_BOUND = 20.0

FloatArray = NDArray[np.float64]


class NotEnoughData(ValueError):
    """Too few customers with a repeat transaction: the spend model is not fitted."""


class FitDidNotConverge(ValueError):
    """No optimiser run reached finite parameters."""


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters: ``z ~ Gamma(p, rate nu)``, ``nu ~ Gamma(q, rate gamma)``.

    ``gamma`` is in the currency of the spends.
    """

    p: float
    q: float
    gamma: float


def _validate(
    x: ArrayLike, m: ArrayLike, weights: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    xa, ma = _as_float("x", x), _as_float("m", m)
    if xa.shape != ma.shape:
        raise ValueError(f"x and m differ in shape: {xa.shape} vs {ma.shape}")
    if weights is None:
        wa = np.ones_like(xa)
    else:
        wa = _as_float("weights", weights)
        if wa.shape != xa.shape:
            raise ValueError("weights must have one value per customer")
        if np.any(wa < 0):
            raise ValueError("weights must be >= 0")
    if np.any(xa < 0) or np.any(xa != np.round(xa)):
        raise ValueError("x must be non-negative integers (repeat transaction counts)")
    if np.any((xa > 0) & (ma <= 0)):
        raise ValueError(
            "m (mean spend per repeat transaction) must be > 0 where x > 0; "
            "leave out customers whose repeat transactions net to zero or less"
        )
    return xa, ma, wa


def _check_params(params: GammaGammaParams) -> None:
    vals = (params.p, params.q, params.gamma)
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise ValueError(f"all Gamma-Gamma parameters must be finite and > 0: {params}")


def _loglik(
    log_params: FloatArray,
    x: FloatArray,
    m: FloatArray,
    w: FloatArray,
    with_grad: bool,
) -> tuple[float, FloatArray | None]:
    """Weighted log-likelihood of ``x > 0`` rows, and its log-parameter gradient."""
    p, q, g = np.exp(log_params)
    px = p * x
    lx, lm = np.log(x), np.log(m)
    lgmx = np.log(g + m * x)
    ll_i = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(g)
        + (px - 1.0) * lm
        + px * lx
        - (px + q) * lgmx
    )
    ll = float(np.sum(w * ll_i))
    if not with_grad:
        return ll, None
    dpq = digamma(px + q)
    g_p = np.sum(w * x * (dpq - digamma(px) + lm + lx - lgmx))
    g_q = np.sum(w * (dpq - digamma(q) + np.log(g) - lgmx))
    g_g = np.sum(w * (q / g - (px + q) / (g + m * x)))
    return ll, np.array([g_p * p, g_q * q, g_g * g], dtype=np.float64)


def log_likelihood(
    params: GammaGammaParams,
    x: ArrayLike,
    m: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total (weighted) log-likelihood of the spends of customers with ``x > 0``."""
    _check_params(params)
    xa, ma, wa = _validate(x, m, weights)
    pos = xa > 0
    lp = np.log([params.p, params.q, params.gamma])
    return _loglik(lp, xa[pos], ma[pos], wa[pos], with_grad=False)[0]


def fit(
    x: ArrayLike,
    m: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> GammaGammaParams:
    """Fit the Gamma-Gamma spend model by maximum likelihood.

    Parameters
    ----------
    x
        Repeat transactions per customer (customers with ``x == 0`` are ignored).
    m
        Mean value of the repeat transactions (> 0 where ``x > 0``).
    weights
        Optional non-negative counts for grouped data.

    Raises
    ------
    NotEnoughData
        Fewer than :data:`MIN_CUSTOMERS` customers with ``x > 0``.
    FitDidNotConverge
        No optimiser run reached finite parameters.
    ValueError
        Malformed input.
    """
    xa, ma, wa = _validate(x, m, weights)
    keep = (xa > 0) & (wa > 0)
    xa, ma, wa = xa[keep], ma[keep], wa[keep]
    n = float(wa.sum())
    if n < MIN_CUSTOMERS:
        raise NotEnoughData(
            f"Gamma-Gamma needs at least {MIN_CUSTOMERS} customers with a repeat "
            f"transaction, got {n:g}"
        )
    # Sort so that the result does not depend on row order (floating-point sums).
    order = np.lexsort((ma, xa))
    xa, ma, wn = xa[order], ma[order], wa[order] / n

    def objective(lp: FloatArray) -> tuple[float, FloatArray]:
        with np.errstate(all="ignore"):
            ll, g = _loglik(lp, xa, ma, wn, with_grad=True)
        assert g is not None
        if not (np.isfinite(ll) and np.all(np.isfinite(g))):
            return 1e300, np.zeros(3)
        return -ll, -g

    # Starts: the population mean p*gamma/(q-1) set to the observed mean spend.
    mean_m = float(np.sum(wn * ma))
    starts = [(1.0, 2.0), (5.0, 4.0), (0.5, 10.0)]
    tries = []
    for p0, q0 in starts:
        x0 = np.log([p0, q0, mean_m * (q0 - 1.0) / p0])
        tries.append(
            minimize(
                objective,
                x0,
                jac=True,
                method="L-BFGS-B",
                bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 3,
                options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10},
            )
        )
    finite = [t for t in tries if np.all(np.isfinite(t.x)) and t.fun < 1e300]
    if not finite:
        raise FitDidNotConverge(f"Gamma-Gamma fit failed: {tries[0].message}")
    best = min(finite, key=lambda t: t.fun)
    p, q, g = (float(v) for v in np.exp(best.x))
    return GammaGammaParams(p=p, q=q, gamma=g)


def population_mean_spend(params: GammaGammaParams) -> float:
    """Mean spend per transaction across customers, ``p gamma / (q - 1)``.

    NaN when ``q <= 1`` (the mean is infinite).
    """
    _check_params(params)
    if params.q <= 1.0:
        return float("nan")
    return params.p * params.gamma / (params.q - 1.0)


def expected_average_spend(
    params: GammaGammaParams, x: ArrayLike, m: ArrayLike
) -> FloatArray:
    """E[M | x, m]: a customer's expected spend per future transaction.

    ``p (gamma + m x) / (p x + q - 1)``; for ``x == 0`` (``m`` ignored) the
    population mean. NaN where ``p x + q <= 1`` (infinite expectation).
    """
    _check_params(params)
    xa, ma, _ = _validate(x, m)
    ma = np.where(xa > 0, ma, 0.0)
    p, q, g = params.p, params.q, params.gamma
    den = p * xa + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = p * (g + ma * xa) / den
    return np.where(den > 0, out, np.nan)
