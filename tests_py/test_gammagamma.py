"""Tests of segmart.gammagamma: the Gamma-Gamma spend model.

References: Fader, Hardie & Lee (2005), "RFM and CLV: Using Iso-Value Curves
for Customer Base Analysis", JMR 42(4); Fader & Hardie (2013), "The
Gamma-Gamma Model of Monetary Value". The reference values are the published
CDNOW estimates, or are computed here by a different route than the module's
(numerical integration over the customer's rate ``nu``, a simulator).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate

from segmart import gammagamma
from segmart.gammagamma import (
    GammaGammaParams,
    NotEnoughData,
    expected_average_spend,
    fit,
    log_likelihood,
    population_mean_spend,
)

CDNOW = Path(__file__).parent / "fixtures" / "cdnow"

# Published CDNOW estimates (2 decimals), 946 repeat customers, weeks 1-39.
PUBLISHED = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PAPER_PARAMS = GammaGammaParams(**PUBLISHED)


def load_cdnow_spend() -> tuple[np.ndarray, np.ndarray]:
    """(x, m) for all 2,357 customers; m = mean repeat spend (0 where x == 0)."""
    with (CDNOW / "cdnow_customers_summary.csv").open(newline="") as fh:
        summary = list(csv.DictReader(fh))
    with (CDNOW / "cdnow_spend_holdout.csv").open(newline="") as fh:
        spend = list(csv.DictReader(fh))
    assert [r["ID"] for r in summary] == [r["ID"] for r in spend]
    x = np.array([float(r["frequency"]) for r in summary])
    total = np.array([float(r["repeat_spend"]) for r in spend])
    m = np.where(x > 0, total / np.maximum(x, 1.0), 0.0)
    return x, m


@pytest.fixture(scope="module")
def cdnow() -> tuple[np.ndarray, np.ndarray]:
    return load_cdnow_spend()


@pytest.fixture(scope="module")
def cdnow_fit(cdnow: tuple[np.ndarray, np.ndarray]) -> GammaGammaParams:
    return fit(*cdnow)


def reproduces_published(params: GammaGammaParams) -> bool:
    """Every parameter equals the published 2-decimal figure after rounding,
    i.e. lies within the published figure's rounding interval (+/- 0.005)."""
    return all(
        round(getattr(params, k), 2) == v and abs(getattr(params, k) - v) <= 0.005
        for k, v in PUBLISHED.items()
    )


# --- hand-written reference computations (not the module's code path) --------


def density_by_quadrature(p: GammaGammaParams, x: int, m: float) -> float:
    """f(m | x) = integral over nu of Gamma(m; px, rate nu x) Gamma(nu; q, rate gamma).

    Written from the model's two gamma layers; the module uses the closed form.
    """

    def integrand(nu: float) -> float:
        log_f_m = (
            p.p * x * math.log(nu * x)
            + (p.p * x - 1) * math.log(m)
            - nu * x * m
            - math.lgamma(p.p * x)
        )
        log_g = (
            p.q * math.log(p.gamma)
            + (p.q - 1) * math.log(nu)
            - p.gamma * nu
            - math.lgamma(p.q)
        )
        return math.exp(log_f_m + log_g)

    # The posterior of nu peaks near (px + q - 1) / (gamma + m x); split there.
    mode = (p.p * x + p.q - 1) / (p.gamma + m * x)
    opts = {"epsabs": 0.0, "epsrel": 1e-12, "limit": 200}
    a = integrate.quad(integrand, 0.0, mode, **opts)[0]
    b = integrate.quad(integrand, mode, np.inf, **opts)[0]
    return a + b


def posterior_mean_spend(p: GammaGammaParams, x: int, m: float) -> float:
    """E[p / nu | x, m] by quadrature over the posterior of nu."""

    # nu | x, m ~ Gamma(px + q, rate gamma + m x) -- but integrate numerically
    # against the unnormalised joint instead of using that.
    def joint(nu: float, power: float) -> float:
        return nu ** (p.p * x + p.q - 1 - power) * math.exp(-(p.gamma + m * x) * nu)

    opts = {"epsabs": 0.0, "epsrel": 1e-12, "limit": 200}
    num = integrate.quad(joint, 0.0, np.inf, args=(1.0,), **opts)[0]
    den = integrate.quad(joint, 0.0, np.inf, args=(0.0,), **opts)[0]
    return p.p * num / den


# --- 1. CDNOW reproduction ---------------------------------------------------


def test_cdnow_spend_fixture(cdnow):
    x, m = cdnow
    assert len(x) == 2357 and int((x > 0).sum()) == 946
    # The paper: the mean of the 946 customers' average spends is $35.08.
    assert round(float(m[x > 0].mean()), 2) == 35.08
    assert np.all(m[x > 0] > 0)


def test_cdnow_reproduces_published_estimates(cdnow_fit):
    assert reproduces_published(cdnow_fit), cdnow_fit


@pytest.mark.parametrize("name", ["p", "q", "gamma"])
@pytest.mark.parametrize("factor", [0.95, 1.05])
def test_reproduction_check_fails_for_perturbed_parameters(cdnow_fit, name, factor):
    """The reproduction criterion is not vacuous: 5% off in one parameter fails."""
    perturbed = GammaGammaParams(
        **{k: getattr(cdnow_fit, k) * (factor if k == name else 1.0) for k in PUBLISHED}
    )
    assert not reproduces_published(perturbed)


def test_cdnow_fit_is_a_maximum(cdnow, cdnow_fit):
    ll = log_likelihood(cdnow_fit, *cdnow)
    assert ll >= log_likelihood(PAPER_PARAMS, *cdnow)
    # and it is the maximum the 2-decimal figures describe: the two differ by
    # less than 0.01 log-likelihood units (flat along the p-q-gamma ridge).
    assert ll - log_likelihood(PAPER_PARAMS, *cdnow) < 0.01
    # The implied population mean p gamma / (q - 1): about $35.2.
    assert round(population_mean_spend(cdnow_fit), 1) == 35.2


def test_cdnow_expected_spend_shrinks_towards_population_mean(cdnow, cdnow_fit):
    x, m = cdnow
    e = expected_average_spend(cdnow_fit, x, m)
    pop = population_mean_spend(cdnow_fit)
    rep = x > 0
    # Each estimate lies between the customer's own mean and the population mean.
    lo, hi = np.minimum(m[rep], pop), np.maximum(m[rep], pop)
    assert np.all((e[rep] >= lo - 1e-9) & (e[rep] <= hi + 1e-9))
    np.testing.assert_allclose(e[~rep], pop, rtol=1e-12)
    # Customer 1 (x = 2, spends $44.69 over two repeat purchases).
    assert x[0] == 2 and m[0] == pytest.approx(22.345)
    hand = 6.25 * (15.44 + 2 * 22.345) / (6.25 * 2 + 3.74 - 1)
    assert expected_average_spend(PAPER_PARAMS, [2], [22.345])[0] == pytest.approx(
        hand, rel=1e-14
    )


# --- 2. independent checks ---------------------------------------------------


@pytest.mark.parametrize("params", [PAPER_PARAMS, GammaGammaParams(0.8, 1.7, 3.0)])
@pytest.mark.parametrize(("x", "m"), [(1, 11.77), (2, 22.345), (7, 58.3), (25, 4.1)])
def test_log_likelihood_matches_integral_over_nu(params, x, m):
    got = log_likelihood(params, [x], [m])
    assert got == pytest.approx(math.log(density_by_quadrature(params, x, m)), abs=1e-8)


@pytest.mark.parametrize(("x", "m"), [(1, 11.77), (2, 22.345), (9, 140.0)])
def test_expected_spend_matches_posterior_integral(x, m):
    got = expected_average_spend(PAPER_PARAMS, [x], [m])[0]
    assert got == pytest.approx(posterior_mean_spend(PAPER_PARAMS, x, m), rel=1e-9)


def test_analytic_gradient_matches_finite_differences(cdnow):
    x, m = cdnow
    rep = x > 0
    w = np.ones(int(rep.sum()))
    lp = np.log([4.0, 2.5, 20.0])
    _, grad = gammagamma._loglik(lp, x[rep], m[rep], w, with_grad=True)
    assert grad is not None
    h = 1e-6
    for k in range(3):
        up, dn = lp.copy(), lp.copy()
        up[k] += h
        dn[k] -= h
        f_up = gammagamma._loglik(up, x[rep], m[rep], w, with_grad=False)[0]
        f_dn = gammagamma._loglik(dn, x[rep], m[rep], w, with_grad=False)[0]
        assert grad[k] == pytest.approx((f_up - f_dn) / (2 * h), rel=1e-6)


def test_fit_recovers_simulated_parameters():
    truth = GammaGammaParams(p=4.0, q=3.0, gamma=20.0)
    rng = np.random.default_rng(11)
    n = 20_000
    x = rng.integers(1, 12, n).astype(float)
    nu = rng.gamma(truth.q, 1.0 / truth.gamma, n)
    # the mean of x Gamma(p, rate nu) values, drawn value by value
    m = np.array(
        [rng.gamma(truth.p, 1.0 / v, int(k)).mean() for v, k in zip(nu, x, strict=True)]
    )
    est = fit(x, m)
    for name in ("p", "q", "gamma"):
        assert getattr(est, name) == pytest.approx(getattr(truth, name), rel=0.1), name
    assert population_mean_spend(est) == pytest.approx(
        population_mean_spend(truth), rel=0.03
    )
    assert log_likelihood(est, x, m) >= log_likelihood(truth, x, m)


# --- 3. input handling -------------------------------------------------------


def test_grouped_weights_and_row_order(cdnow, cdnow_fit):
    x, m = cdnow
    rows, counts = np.unique(np.stack([x, m], axis=1), axis=0, return_counts=True)
    grouped = fit(rows[:, 0], rows[:, 1], weights=counts)
    for name in PUBLISHED:
        assert getattr(grouped, name) == pytest.approx(
            getattr(cdnow_fit, name), rel=1e-5
        )
    order = np.random.default_rng(2).permutation(len(x))
    assert fit(x[order], m[order]) == cdnow_fit


def test_no_repeat_buyers_raises_not_enough_data():
    with pytest.raises(NotEnoughData, match="repeat"):
        fit(np.zeros(100), np.zeros(100))
    with pytest.raises(NotEnoughData):
        fit([], [])
    n = gammagamma.MIN_CUSTOMERS - 1
    with pytest.raises(NotEnoughData):
        fit(np.ones(n), np.full(n, 10.0))
    # a ValueError, so callers can map it to a prediction status
    assert issubclass(NotEnoughData, ValueError)


@pytest.mark.parametrize(
    ("x", "m"),
    [
        ([1, 2], [0.0, 5.0]),  # zero spend where x > 0
        ([1, 2], [-3.0, 5.0]),  # refunds
        ([1.5, 2], [3.0, 5.0]),  # non-integer x
        ([-1, 2], [3.0, 5.0]),  # negative x
        ([1, 2], [float("nan"), 5.0]),
        ([1, 2], [3.0, 5.0, 6.0]),  # shape mismatch
    ],
)
def test_malformed_input_raises_value_error(x, m):
    with pytest.raises(ValueError):
        expected_average_spend(PAPER_PARAMS, x, m)


def test_zero_spend_is_fine_without_repeats():
    got = expected_average_spend(PAPER_PARAMS, [0, 0], [0.0, -5.0])
    np.testing.assert_allclose(got, population_mean_spend(PAPER_PARAMS))


def test_infinite_mean_gives_nan_not_a_number():
    heavy = GammaGammaParams(p=0.3, q=0.5, gamma=2.0)  # q <= 1: infinite mean
    assert math.isnan(population_mean_spend(heavy))
    got = expected_average_spend(heavy, [0, 1, 5], [0.0, 10.0, 10.0])
    assert math.isnan(got[0]) and math.isnan(got[1])  # p x + q <= 1
    assert got[2] == pytest.approx(0.3 * (2.0 + 50.0) / (1.5 + 0.5 - 1.0))


def test_identical_spends_do_not_crash():
    """No spread between customers: no interior maximum, but sane predictions."""
    x = np.tile([1.0, 2.0, 5.0], 20)
    m = np.full(x.shape, 25.0)
    params = fit(x, m)
    assert all(np.isfinite([params.p, params.q, params.gamma]))
    np.testing.assert_allclose(expected_average_spend(params, x, m), 25.0, rtol=1e-3)


def test_invalid_params_raise_value_error():
    with pytest.raises(ValueError):
        expected_average_spend(GammaGammaParams(1.0, -2.0, 3.0), [1], [2.0])
