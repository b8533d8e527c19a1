"""segmart's CDNOW fits against an independent implementation (lifetimes 0.11.3).

Issue #22 asks the fits to be checked against the published CDNOW estimates
(tests_py/test_bgnbd.py, test_paretonbd.py, test_gammagamma.py) *and* against
an independent implementation. lifetimes (Davidson-Pilon et al.) is written
apart from segmart: its own likelihoods (autograd gradients for BG/NBD and
Gamma-Gamma, a different Pareto/NBD likelihood form), its own optimiser
(BFGS / Nelder-Mead on log-parameters over time rescaled to ``10 / max(T)``) and
its own conditional expectations. It is a test-only dependency (the
``crosscheck`` extra). The expected values below are lifetimes' outputs on the
same data, compared with segmart's within the optimisers' tolerance.

Tolerances: the maximum of each likelihood is flat along a ridge, so two
correct optimisers agree on the parameters to about 1e-3 relative, on the
log-likelihood to 1e-3 units and on per-customer predictions to about 1e-3.
A parameter 1% off (the perturbation test) is outside that.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from segmart import bgnbd, gammagamma, paretonbd
from tests_py.test_gammagamma import load_cdnow_spend
from tests_py.test_paretonbd import load_cdnow

with warnings.catch_warnings():  # lifetimes sets a pandas option pandas 3 deprecated
    warnings.simplefilter("ignore")
    import lifetimes

PARAMS_REL = 1e-3
PREDICTION_REL = 2e-3


@pytest.fixture(scope="module")
def cdnow() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return load_cdnow()[:3]


@pytest.fixture(scope="module")
def spend() -> tuple[np.ndarray, np.ndarray]:
    return load_cdnow_spend()


# --- Gamma-Gamma -------------------------------------------------------------


@pytest.fixture(scope="module")
def gg_pair(spend):
    x, m = spend
    rep = x > 0
    theirs = lifetimes.GammaGammaFitter(penalizer_coef=0.0)
    theirs.fit(pd.Series(x[rep]), pd.Series(m[rep]))
    ours = gammagamma.fit(x, m)
    return ours, theirs


def test_gamma_gamma_parameters_match_lifetimes(gg_pair):
    ours, theirs = gg_pair
    # lifetimes names gamma "v"
    for name, their_name in (("p", "p"), ("q", "q"), ("gamma", "v")):
        assert getattr(ours, name) == pytest.approx(
            float(theirs.params_[their_name]), rel=PARAMS_REL
        ), name


def test_gamma_gamma_expected_spend_per_customer_matches_lifetimes(spend, gg_pair):
    x, m = spend
    ours, theirs = gg_pair
    got = gammagamma.expected_average_spend(ours, x, m)
    # lifetimes' conditional expected average profit, with its own parameters
    expected = theirs.conditional_expected_average_profit(pd.Series(x), pd.Series(m))
    np.testing.assert_allclose(got, expected.to_numpy(), rtol=PREDICTION_REL)


def test_gamma_gamma_log_likelihood_is_at_least_lifetimes(spend, gg_pair):
    x, m = spend
    ours, theirs = gg_pair
    p, q, v = (float(theirs.params_[k]) for k in ("p", "q", "v"))
    at_theirs = gammagamma.GammaGammaParams(p, q, v)
    diff = gammagamma.log_likelihood(ours, x, m) - gammagamma.log_likelihood(
        at_theirs, x, m
    )
    assert -1e-3 < diff


def test_gamma_gamma_comparison_can_fail(spend, gg_pair):
    """1% off in p alone moves the per-customer spends beyond the tolerance."""
    x, m = spend
    ours, theirs = gg_pair
    off = gammagamma.GammaGammaParams(ours.p * 1.01, ours.q, ours.gamma)
    expected = theirs.conditional_expected_average_profit(pd.Series(x), pd.Series(m))
    got = gammagamma.expected_average_spend(off, x, m)
    assert np.max(np.abs(got / expected.to_numpy() - 1)) > PREDICTION_REL


# --- BG/NBD and Pareto/NBD -------------------------------------------------------

COUNT_MODELS = {
    "bg_nbd": (bgnbd, lifetimes.BetaGeoFitter, ("r", "alpha", "a", "b")),
    "pareto_nbd": (paretonbd, lifetimes.ParetoNBDFitter, ("r", "alpha", "s", "beta")),
}


@pytest.fixture(scope="module", params=list(COUNT_MODELS))
def count_pair(request, cdnow):
    x, t_x, T = cdnow
    module, fitter, names = COUNT_MODELS[request.param]
    theirs = fitter(penalizer_coef=0.0).fit(x, t_x, T)
    return module, module.fit(x, t_x, T), theirs, names


def test_count_model_parameters_match_lifetimes(count_pair):
    _, ours, theirs, names = count_pair
    for name in names:
        assert getattr(ours, name) == pytest.approx(
            float(theirs.params_[name]), rel=PARAMS_REL
        ), name


def test_count_model_predictions_match_lifetimes(cdnow, count_pair):
    """E[purchases in the next 39 weeks] and P(alive), customer by customer."""
    x, t_x, T = cdnow
    module, ours, theirs, _ = count_pair
    np.testing.assert_allclose(
        module.expected_purchases(ours, 39.0, x, t_x, T),
        theirs.conditional_expected_number_of_purchases_up_to_time(39.0, x, t_x, T),
        rtol=PREDICTION_REL,
    )
    np.testing.assert_allclose(
        module.prob_alive(ours, x, t_x, T),
        theirs.conditional_probability_alive(x, t_x, T),
        rtol=PREDICTION_REL,
    )
