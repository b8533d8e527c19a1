r"""Pareto/NBD model: maximum-likelihood fit, P(alive) and expected purchases.

References
----------
Schmittlein, D. C., Morrison, D. G. and Colombo, R. (1987). "Counting Your
Customers: Who Are They and What Will They Do Next?" *Management Science*
33(1), 1-24.
Fader, P. S. and Hardie, B. G. S. (2005). "A Note on Deriving the Pareto/NBD
Model and Related Expressions". http://www.brucehardie.com/notes/009/
Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005). "A Note on Implementing
the Pareto/NBD Model in MATLAB". http://www.brucehardie.com/notes/008/

Data
----
The same ``(x, t_x, T)`` summary as :mod:`segmart.bgnbd` (repeat purchases,
time of the last one, time since the first purchase; any time unit shared by
``t_x``, ``T`` and horizons; ``alpha`` and ``beta`` scale with the unit).

Model
-----
While alive a customer buys as a Poisson process with rate ``lambda``; the
lifetime is exponential with rate ``mu``; ``lambda ~ Gamma(r, rate alpha)``
and ``mu ~ Gamma(s, rate beta)`` independently across customers.

Likelihood
----------
Integrating the individual likelihood ``lambda^x e^{-(lambda+mu)T} + mu/(lambda+mu)
lambda^x (e^{-(lambda+mu)t_x} - e^{-(lambda+mu)T})`` over both gammas gives::

    L = Gamma(r+x) alpha^r beta^s / Gamma(r)
        * [ (alpha+T)^-(r+x) (beta+T)^-s + s (J(t_x) - J(T)) ]

    J(t) = integral_t^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du

The note (Fader, Hardie and Lee 2005) writes ``s (J(t_x) - J(T))`` as
``s/(r+s+x) * A0`` with ``A0`` a difference of two Gaussian hypergeometric
functions, case-split so that the argument lies in ``[0, 1)``:

* ``alpha >= beta``: ``(r+s+x) J(t) = 2F1(r+s+x, s+1; r+s+x+1; z)
  / (alpha+t)^(r+s+x)``, ``z = (alpha-beta)/(alpha+t)``;
* ``alpha < beta``: ``(r+s+x) J(t) = 2F1(r+s+x, r+x; r+s+x+1; z)
  / (beta+t)^(r+s+x)``, ``z = (beta-alpha)/(beta+t)``.

Here both are evaluated after Euler's transformation
``2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z)``, which gives
``2F1(1, r+x; r+s+x+1; z) (alpha+t)^-(r+x) (beta+t)^-s`` and
``2F1(1, s+1; r+s+x+1; z) (alpha+t)^-(r+x-1) (beta+t)^-(s+1)`` respectively:
the remaining ``2F1`` is a positive series bounded by ``(r+s+x)/s`` resp.
``(r+s+x)/(r+x-1)`` (for ``r+x > 1``), so nothing overflows for large ``x``.
Everything is then combined in logs. (scipy's ``hyp2f1`` would also continue
either form to ``z < 0``; the split keeps ``z`` in ``[0, 1)``, where the
series converges, as the note does.)

Predictions
-----------
``P(alive | x, t_x, T)`` is the first bracketed term's share of ``L``::

    P(alive) = (alpha+T)^-(r+x) (beta+T)^-s
               / [ (alpha+T)^-(r+x) (beta+T)^-s + s (J(t_x) - J(T)) ]

Expected purchases in ``(T, T+t]`` (Schmittlein et al. 1987; the 2005 note)::

    E[Y(t) | x, t_x, T] = (r+x)(beta+T) / ((alpha+T)(s-1))
                          * [1 - ((beta+T)/(beta+T+t))^(s-1)] * P(alive)

with the ``s -> 1`` limit ``(r+x)(beta+T)/(alpha+T) ln(1 + t/(beta+T))``.

Fitting
-------
:func:`fit` maximises the weighted log-likelihood over the log-parameters
(box ``[exp(-20), exp(20)]``) with L-BFGS-B and finite-difference gradients
(``2F1`` has no cheap parameter derivatives), from two starting points.
Identical ``(x, t_x, T)`` rows are merged first.

Degenerate input
----------------
:func:`fit` raises :class:`NotEnoughData` (a ``ValueError``) with fewer than
:data:`MIN_CUSTOMERS` customers or no repeat purchase at all, and
:class:`FitDidNotConverge` (also a ``ValueError``) if no run reaches finite
parameters. Malformed input raises a plain ``ValueError`` (the checks of
:mod:`segmart.bgnbd`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import expit, gammaln, hyp2f1

from segmart.bgnbd import _as_float, _compress, _validate

__all__ = [
    "MIN_CUSTOMERS",
    "FitDidNotConverge",
    "NotEnoughData",
    "ParetoNBDParams",
    "expected_purchases",
    "fit",
    "log_likelihood",
    "prob_alive",
]

#: Smallest (weighted) number of customers :func:`fit` accepts.
MIN_CUSTOMERS = 10

_LOG_BOUND = 20.0
# Below this |s - 1| the s -> 1 limit of the expected-purchases formula is used.
_S_ONE_EPS = 1e-7

FloatArray = NDArray[np.float64]


class NotEnoughData(ValueError):
    """Too few customers, or no repeat purchases: the model is not fitted."""


class FitDidNotConverge(ValueError):
    """No optimiser run reached finite parameters."""


@dataclass(frozen=True)
class ParetoNBDParams:
    """Pareto/NBD parameters: ``lambda ~ Gamma(r, alpha)``, ``mu ~ Gamma(s, beta)``.

    ``alpha`` and ``beta`` are in the caller's time unit.
    """

    r: float
    alpha: float
    s: float
    beta: float


def _check_params(params: ParetoNBDParams) -> None:
    vals = (params.r, params.alpha, params.s, params.beta)
    if not all(np.isfinite(v) and v > 0 for v in vals):
        raise ValueError(f"all Pareto/NBD parameters must be finite and > 0: {params}")


def _log_j(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t: FloatArray
) -> FloatArray:
    """ln J(t) = ln of integral_t^inf (alpha+u)^-(r+x) (beta+u)^-(s+1) du."""
    c = r + s + x + 1.0
    la, lb = np.log(alpha + t), np.log(beta + t)
    if alpha >= beta:
        z = (alpha - beta) / (alpha + t)
        f = hyp2f1(1.0, r + x, c, z)
        return np.log(f) - (r + x) * la - s * lb - np.log(c - 1.0)
    z = (beta - alpha) / (beta + t)
    f = hyp2f1(1.0, s + 1.0, c, z)
    return np.log(f) - (r + x - 1.0) * la - (s + 1.0) * lb - np.log(c - 1.0)


def _log_parts(
    params: ParetoNBDParams, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(ln C, ln A, ln D): ``L = C (A + D)``, A = alive-at-T term, D = died term."""
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    log_c = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    log_a = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    lj_tx = _log_j(r, alpha, s, beta, x, t_x)
    lj_T = _log_j(r, alpha, s, beta, x, T)
    # s (J(t_x) - J(T)) in logs; J is decreasing, so lj_tx >= lj_T (equal: D = 0).
    diff = np.minimum(lj_T - lj_tx, 0.0)
    with np.errstate(divide="ignore"):
        log_d = np.log(s) + lj_tx + np.log(-np.expm1(diff))
    log_d = np.where(t_x < T, log_d, -np.inf)
    return log_c, log_a, log_d


def _loglik_rows(
    params: ParetoNBDParams, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    log_c, log_a, log_d = _log_parts(params, x, t_x, T)
    return log_c + np.logaddexp(log_a, log_d)


def log_likelihood(
    params: ParetoNBDParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total (weighted) log-likelihood of the data under ``params``."""
    _check_params(params)
    xa, ta, Ta, wa = _validate(x, t_x, T, weights)
    return float(np.sum(wa * _loglik_rows(params, xa, ta, Ta)))


def fit(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    weights: ArrayLike | None = None,
) -> ParetoNBDParams:
    """Fit the Pareto/NBD model by maximum likelihood.

    Parameters
    ----------
    x, t_x, T
        Per-customer repeat purchases, recency and age (see
        :mod:`segmart.bgnbd`); any time unit shared by ``t_x`` and ``T``.
    weights
        Optional non-negative counts for grouped data.

    Raises
    ------
    NotEnoughData
        Fewer than :data:`MIN_CUSTOMERS` customers, or no repeat purchases.
    FitDidNotConverge
        No optimiser run reached finite parameters.
    ValueError
        Malformed input.
    """
    xa, ta, Ta, wa = _validate(x, t_x, T, weights)
    n = float(wa.sum())
    if n < MIN_CUSTOMERS:
        raise NotEnoughData(
            f"Pareto/NBD needs at least {MIN_CUSTOMERS} customers, got {n:g}"
        )
    if not np.any((xa > 0) & (wa > 0)):
        raise NotEnoughData(
            "Pareto/NBD needs at least one repeat purchase (all x == 0)"
        )
    xa, ta, Ta, wa = _compress(xa, ta, Ta, wa)
    wn = wa / n

    def objective(lp: FloatArray) -> float:
        r, alpha, s, beta = np.exp(lp)
        with np.errstate(all="ignore"):
            ll = _loglik_rows(ParetoNBDParams(r, alpha, s, beta), xa, ta, Ta)
            val = -float(np.sum(wn * ll))
        return val if np.isfinite(val) else 1e300

    rate = float(np.sum(wa * xa) / max(np.sum(wa * Ta), 1e-12))
    alpha0 = float(np.clip(1.0 / max(rate, 1e-12), 1e-6, 1e6))
    t_scale = float(np.clip(np.sum(wa * Ta) / n, 1e-6, 1e6))
    starts = [(1.0, alpha0, 1.0, t_scale), (0.5, 0.5 * alpha0, 0.5, 0.5 * t_scale)]
    tries = [
        minimize(
            objective,
            np.log(s0),
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
            options={"maxiter": 2_000, "ftol": 1e-14, "gtol": 1e-8, "eps": 1e-7},
        )
        for s0 in starts
    ]
    finite = [t for t in tries if np.all(np.isfinite(t.x)) and t.fun < 1e300]
    if not finite:
        raise FitDidNotConverge(f"Pareto/NBD fit failed: {tries[0].message}")
    r, alpha, s, beta = (float(v) for v in np.exp(min(finite, key=lambda t: t.fun).x))
    return ParetoNBDParams(r=r, alpha=alpha, s=s, beta=beta)


def prob_alive(
    params: ParetoNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """P(customer still alive at T | x, t_x, T)."""
    _check_params(params)
    xa, ta, Ta, _ = _validate(x, t_x, T)
    _, log_a, log_d = _log_parts(params, xa, ta, Ta)
    return expit(log_a - log_d)


def expected_purchases(
    params: ParetoNBDParams,
    t: float | ArrayLike,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in ``(T, T + t]``.

    ``t`` is a horizon in the unit of ``t_x`` and ``T`` (scalar or one per
    customer).
    """
    _check_params(params)
    xa, ta, Ta, _ = _validate(x, t_x, T)
    tt = np.broadcast_to(_as_float("t", t), xa.shape)
    if np.any(tt < 0):
        raise ValueError("horizon t must be >= 0")
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    log_ratio = np.log1p(tt / (beta + Ta))  # ln((beta+T+t)/(beta+T))
    if abs(s - 1.0) < _S_ONE_EPS:
        bracket = log_ratio
    else:
        bracket = -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0)
    alive = prob_alive(params, xa, ta, Ta)
    return (r + xa) * (beta + Ta) / (alpha + Ta) * bracket * alive
