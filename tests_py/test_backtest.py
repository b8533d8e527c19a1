"""segmart.backtest: the calibration/holdout summary, the model choice, and the
CDNOW backtest of Fader, Hardie & Lee (2005): 39 calibration + 39 holdout weeks.

Expected values are hand-worked (the small purchase lists), the CDNOW holdout
counts of the fixture (1,882 repeat purchases in weeks 40-78, as published), or
computed here by an independent route: the BG/NBD conditional expectation by
numerical integration over the posterior (tests_py/test_bgnbd.posterior_integral,
no hypergeometric function), summed per customer and per group.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from segmart import backtest
from segmart.bgnbd import BGNBDParams
from tests_py.test_bgnbd import CDNOW_CSV, posterior_integral

CDNOW_HOLDOUT = CDNOW_CSV.parent / "cdnow_spend_holdout.csv"


def load_cdnow_summary() -> backtest.Summary:
    with CDNOW_CSV.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    with CDNOW_HOLDOUT.open(newline="") as fh:
        extra = list(csv.DictReader(fh))
    assert [r["ID"] for r in rows] == [r["ID"] for r in extra]
    x = np.array([float(r["frequency"]) for r in rows])
    spend = np.array([float(r["repeat_spend"]) for r in extra])
    return backtest.Summary(
        x=x,
        t_x=np.array([float(r["recency"]) for r in rows]),
        T=np.array([float(r["T"]) for r in rows]),
        holdout_x=np.array([float(r["holdout_x"]) for r in extra]),
        repeat_value=np.where(x > 0, spend / np.maximum(x, 1), np.nan),
        holdout_value=np.zeros(len(rows)),  # holdout spend is not in the fixture
    )


@pytest.fixture(scope="module")
def cdnow_backtest() -> tuple[backtest.Summary, backtest.BacktestResult]:
    summary = load_cdnow_summary()
    return summary, backtest.run_backtest(summary, 39.0, unit="weeks")


# --- summarise: hand-worked --------------------------------------------------


def test_summarise_hand_worked():
    # customer 1: two orders on day 0 (one purchase, 10 + 5), day 5 (7), day 10
    #   (holdout, 4), day 30 (after the horizon: ignored)
    # customer 2: only day 3 (2)
    # customer 3: first order on day 9, after the calibration end: not in the cohort
    customer = [1, 1, 1, 1, 1, 2, 3]
    day = [0, 0, 5, 10, 30, 3, 9]
    value = [10.0, 5.0, 7.0, 4.0, 100.0, 2.0, 1.0]
    s = backtest.summarise(customer, day, value, calibration_end=8, horizon=5)
    assert s.customer.tolist() == [1, 2]
    assert s.x.tolist() == [1.0, 0.0]
    assert s.t_x.tolist() == [5.0, 0.0]
    assert s.T.tolist() == [8.0, 5.0]
    assert s.holdout_x.tolist() == [1.0, 0.0]
    assert s.repeat_value[0] == 7.0 and math.isnan(s.repeat_value[1])
    assert s.holdout_value.tolist() == [4.0, 0.0]


def test_summarise_counts_purchase_days_and_averages_repeat_value():
    # three purchase days after the first, two orders on day 4: x = 3
    s = backtest.summarise(
        [7] * 5,
        [1, 2, 4, 4, 6],
        [99.0, 3.0, 1.0, 2.0, 6.0],
        calibration_end=6,
        horizon=0,
    )
    assert s.x.tolist() == [3.0]
    assert s.t_x.tolist() == [5.0]
    assert s.T.tolist() == [5.0]
    assert s.repeat_value.tolist() == [(3.0 + 3.0 + 6.0) / 3]


# --- choose_model ------------------------------------------------------------


def test_choose_model_picks_lower_error_and_says_why():
    model, reason = backtest.choose_model({"bg_nbd": 0.5, "pareto_nbd": 0.4}, 90)
    assert model == "pareto_nbd"
    assert "pareto_nbd 0.4000 vs bg_nbd 0.5000" in reason
    assert "90 days" in reason
    model, _ = backtest.choose_model({"bg_nbd": 0.4, "pareto_nbd": 0.5}, 90)
    assert model == "bg_nbd"


def test_choose_model_falls_back_when_a_model_did_not_fit():
    model, reason = backtest.choose_model({"bg_nbd": math.nan, "pareto_nbd": 0.7}, 30)
    assert model == "pareto_nbd"
    assert "could not be fitted" in reason
    model, reason = backtest.choose_model(
        {"bg_nbd": math.nan, "pareto_nbd": math.nan}, 30
    )
    assert model == "bg_nbd" and reason.startswith("no backtest")


# --- CDNOW, 39 + 39 weeks ----------------------------------------------------


def test_cdnow_backtest_actual_total_is_the_published_1882(cdnow_backtest):
    _, result = cdnow_backtest
    assert result.customers == 2357
    assert result.repeat_buyers == 946
    assert result.actual_total == 1882


def test_cdnow_bgnbd_fit_is_the_published_one(cdnow_backtest):
    _, result = cdnow_backtest
    params = result.counts["bg_nbd"].params
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in published.items():
        assert round(getattr(params, name), 3) == value, name


def test_cdnow_bgnbd_totals_match_posterior_integration(cdnow_backtest):
    """Total and per-group holdout predictions = the posterior integral, summed."""
    summary, result = cdnow_backtest
    params: BGNBDParams = result.counts["bg_nbd"].params
    independent = np.array(
        [
            posterior_integral(params, 39.0, int(x), t_x, T)
            for x, t_x, T in zip(summary.x, summary.t_x, summary.T, strict=True)
        ]
    )
    assert result.counts["bg_nbd"].total() == pytest.approx(independent.sum(), rel=1e-7)
    bucket = np.minimum(summary.x, 7)
    for row in result.table:
        k = int(row["calibration_repeats"].rstrip("+"))
        members = bucket == k
        assert row["customers"] == members.sum()
        assert row["actual"] == pytest.approx(summary.holdout_x[members].mean())
        assert row["bg_nbd"] == pytest.approx(independent[members].mean(), rel=1e-7)


def test_cdnow_table_has_the_papers_groups(cdnow_backtest):
    _, result = cdnow_backtest
    assert [r["calibration_repeats"] for r in result.table] == [
        "0", "1", "2", "3", "4", "5", "6", "7+"
    ]  # fmt: skip
    assert sum(r["customers"] for r in result.table) == 2357


def test_cdnow_chosen_model_has_the_lower_holdout_error(cdnow_backtest):
    """Both under-predict the 1,882 a little (about 1,653 and 1,666, as
    test_paretonbd notes); a sanity range, and the choice follows the errors."""
    summary, result = cdnow_backtest
    for name in backtest.COUNT_MODELS:
        assert 0.85 < result.counts[name].total() / 1882 < 1.0, name
        mae = np.mean(np.abs(result.counts[name].predicted - summary.holdout_x))
        assert result.mae[name] == pytest.approx(mae)
    assert result.chosen in backtest.COUNT_MODELS
    assert result.mae[result.chosen] == min(result.mae.values())


def test_cdnow_spend_fit_is_the_published_gamma_gamma(cdnow_backtest):
    _, result = cdnow_backtest
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    for name, value in published.items():
        assert round(getattr(result.spend_params, name), 2) == value, name
