"""Predictions per customer (segmart.predictions, int_customers_predicted and the
profile columns): thresholds, the columns' arithmetic, churn bands, a tiny shop
that gets null predictions with the reason, and a normal one that is fitted.

Expected values are hand-worked, or computed here from other tables of the build
(int_customer_order_facts) and the vars in dbt_project.yml.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from segmart import predictions
from segmart.predictions import Settings, not_ready_reason

PROJECT_VARS = yaml.safe_load(
    (Path(__file__).parents[1] / "dbt_project.yml").read_text()
)["vars"]


def simulated_purchases(customers: int, seed: int = 3, days: int = 400):
    """Purchases of a made-up shop: each customer starts on a random day and buys
    at their own rate until a random last day."""
    rng = np.random.default_rng(seed)
    cust, day, margin = [], [], []
    for c in range(customers):
        first = int(rng.integers(0, days - 30))
        end = first + int(rng.exponential(200))
        rate = rng.gamma(1.0, 1 / 40)
        level = rng.gamma(4.0, 5.0)
        t = first
        while t <= min(end, days):
            cust.append(c)
            day.append(t)
            margin.append(float(rng.gamma(6.0, level / 6.0)))
            t += max(1, int(rng.exponential(1 / rate)))
    return np.array(cust), np.array(day), np.array(margin)


# --- thresholds ---------------------------------------------------------------


def test_not_ready_reason_names_the_threshold_and_the_count():
    x = np.array([0, 1, 2, 0, 3], dtype=float)
    T = np.array([10, 50, 200, 5, 120], dtype=float)
    s = Settings(min_repeat_buyers=4, min_history_days=100)
    assert not_ready_reason(x, T, s) == "too_few_repeat_buyers: 3 < 4"
    s = Settings(min_repeat_buyers=3, min_history_days=201)
    assert not_ready_reason(x, T, s) == "too_short_history: 200 < 201 days"
    assert not_ready_reason(x, T, Settings(3, 200)) is None


def test_defaults_match_the_project_vars():
    s = Settings()
    assert s.min_repeat_buyers == PROJECT_VARS["prediction_min_repeat_buyers"]
    assert s.min_history_days == PROJECT_VARS["prediction_min_history_days"]
    assert s.backtest_days == PROJECT_VARS["prediction_backtest_days"]


def test_small_shop_gets_nulls_and_the_reason():
    cust, day, margin = simulated_purchases(40)
    repeat_buyers = sum(len(set(day[cust == c])) > 1 for c in set(cust.tolist()))
    codes, floats, texts = predictions.predict_shop(cust, day, margin, margin, 400)
    assert len(codes) == 40
    assert texts["prediction_status"] == f"too_few_repeat_buyers: {repeat_buyers} < 50"
    assert texts["count_model"] is None
    for name, values in floats.items():
        assert np.isnan(values).all(), name


# --- a fitted shop ------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted():
    cust, day, margin = simulated_purchases(600)
    return (cust, day, margin), predictions.predict_shop(
        cust, day, margin, 2.0 * margin, 400
    )


def test_fitted_shop_columns_hang_together(fitted):
    _, (codes, f, texts) = fitted
    assert texts["prediction_status"] == "fitted"
    assert texts["count_model"] in ("bg_nbd", "pareto_nbd")
    assert texts["count_model_reason"].startswith("lower holdout MAE over 90 days")
    assert ((f["probability_alive"] >= 0) & (f["probability_alive"] <= 1)).all()
    assert (f["predicted_orders_30d"] <= f["expected_orders_90d"]).all()
    assert (f["expected_orders_90d"] <= f["predicted_orders_365d"]).all()
    np.testing.assert_allclose(
        f["predicted_margin_365d"],
        f["predicted_orders_365d"] * f["expected_margin_per_order"],
    )
    # revenue is twice the margin on every order here: so is its expectation
    np.testing.assert_allclose(
        f["expected_revenue_per_order"], 2.0 * f["expected_margin_per_order"], rtol=1e-5
    )


def test_expected_margin_shrinks_towards_the_shop_mean(fitted):
    (cust, day, margin), (codes, f, _) = fitted
    per_order = f["expected_margin_per_order"]
    one_day = np.array([len(set(day[cust == c])) == 1 for c in codes])
    # one-time buyers all get the shop's mean (nothing of their own to go on)
    assert np.ptp(per_order[one_day]) < 1e-9 * per_order[one_day][0]
    shop_mean = per_order[one_day][0]
    for i, c in enumerate(codes):
        days = sorted(set(day[cust == c]))
        if len(days) < 3:
            continue
        own = sum(margin[(cust == c) & (day == d)].sum() for d in days[1:]) / (
            len(days) - 1
        )
        low, high = sorted((own, shop_mean))
        assert low - 1e-9 <= per_order[i] <= high + 1e-9


def test_backtest_chose_the_model_with_the_lower_error(fitted):
    (cust, day, margin), (_, _, texts) = fitted
    from segmart import backtest

    summary = backtest.summarise(cust, day, margin, 400 - 90, 90)
    errors = {}
    for name in backtest.COUNT_MODELS:
        params = backtest.fit_count_model(name, summary.x, summary.t_x, summary.T)
        _, pred = backtest.score(params, 90, summary.x, summary.t_x, summary.T)
        errors[name] = np.mean(np.abs(pred - summary.holdout_x))
    assert texts["count_model"] == min(errors, key=errors.get)


# --- builds ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(builder, tmp_path_factory):
    from segmart.generate import generate

    out = tmp_path_factory.mktemp("tiny_cafe_raw")
    generate(out_dir=out, customers=60, seed=7, shape="cafe", progress=False)
    result = builder("tiny_cafe", out)
    assert result.result.success, result.result.output[-3000:]
    return result


def test_tiny_shop_has_null_predictions_and_says_why(tiny):
    repeat_buyers = tiny.scalar(
        "select count(*) from intermediate.int_customer_order_facts"
        " where repeat_purchase_days > 0"
    )
    assert repeat_buyers < PROJECT_VARS["prediction_min_repeat_buyers"]
    expected = (
        f"too_few_repeat_buyers: {repeat_buyers}"
        f" < {PROJECT_VARS['prediction_min_repeat_buyers']}"
    )
    statuses = tiny.query(
        "select distinct prediction_status from main.customer_profile"
        " where orders_count > 0"
    )
    assert statuses == [(expected,)]
    assert (
        tiny.scalar(
            "select count(*) from main.customer_profile where probability_alive"
            " is not null or predicted_margin_365d is not null"
            " or churn_risk_band is not null or predicted_orders_30d is not null"
        )
        == 0
    )


def test_normal_shop_is_fitted_and_bands_follow_the_vars(generated):
    rows = generated.query_dicts(
        "select p.*, f.repeat_purchase_days from main.customer_profile p"
        " join intermediate.int_customer_order_facts f using (customer_key)"
    )
    assert rows
    assert {r["prediction_status"] for r in rows} == {"fitted"}
    medium, high = (
        PROJECT_VARS["churn_risk_medium_from"],
        PROJECT_VARS["churn_risk_high_from"],
    )
    for r in rows:
        assert r["churn_risk"] == pytest.approx(1 - r["probability_alive"])
        band = (
            "high"
            if r["churn_risk"] >= high
            else "medium"
            if r["churn_risk"] >= medium
            else "low"
        )
        assert r["churn_risk_band"] == band
        assert r["predicted_margin_365d"] == pytest.approx(
            r["predicted_orders_365d"] * r["expected_margin_per_order"]
        )
        if r["repeat_purchase_days"] == 0 and r["count_model"] == "bg_nbd":
            assert r["probability_alive"] == 1.0
    reasons = generated.query(
        "select distinct count_model, count_model_reason"
        " from intermediate.int_customers_predicted"
    )
    assert len(reasons) == 1
    model, reason = reasons[0]
    assert model in ("bg_nbd", "pareto_nbd") and f"MAE over 90 days: {model}" in reason
    assert not math.isnan(rows[0]["expected_orders_90d"])


def test_predicted_margin_percentile_is_the_share_strictly_lower(generated):
    rows = generated.query(
        "select predicted_margin_365d, predicted_margin_percentile"
        " from main.customer_profile where predicted_margin_365d is not null"
    )
    values = sorted(v for v, _ in rows)
    n = len(values)
    import bisect

    for value, percentile in rows[:200]:
        lower = bisect.bisect_left(values, value)
        assert percentile == pytest.approx(lower / (n - 1))


@pytest.fixture(scope="module")
def generated_low_cut(builder, generated_raw):
    """The generated shop with a churn-risk cut of 0.05: on 400 customers the
    default 0.3 leaves worth_protecting empty, which would test nothing."""
    result = builder(
        "generated_low_cut", generated_raw, dbt_vars={"churn_risk_medium_from": 0.05}
    )
    assert result.result.success, result.result.output[-3000:]
    return result


def test_worth_protecting_holds_top_predicted_margin_at_churn_risk(generated_low_cut):
    generated = generated_low_cut
    top = PROJECT_VARS["segment_top_margin_percentile"]
    medium = 0.05
    expected = {
        key
        for key, percentile, risk in generated.query(
            "select customer_key, predicted_margin_percentile, churn_risk"
            " from main.customer_profile"
        )
        if percentile is not None and percentile >= top and risk >= medium
    }
    members = {
        key
        for (key,) in generated.query(
            "select customer_key from main.segment_membership"
            " where segment_name = 'worth_protecting'"
        )
    }
    assert expected, "nobody to test with"
    assert members == expected


def test_worth_protecting_is_empty_when_nothing_is_predicted(tiny):
    assert (
        tiny.scalar(
            "select count(*) from main.segment_membership"
            " where segment_name = 'worth_protecting'"
        )
        == 0
    )


def test_summary_says_why_nothing_is_predicted(tiny, capsys):
    from segmart.summary import print_summary

    status = tiny.scalar(
        "select distinct prediction_status from intermediate.int_customers_predicted"
    )
    print_summary(tiny.db_path)
    assert f"predictions: none ({status})" in capsys.readouterr().out
