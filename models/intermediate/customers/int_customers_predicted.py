"""BG/NBD predictions per customer: probability alive, expected orders in 90 days.

Fitted by maximum likelihood (segmart.bgnbd, Fader, Hardie & Lee 2005) on every
customer's (x, t_x, T) in days, as of the build's as_of date:
  x   = distinct purchase days - 1         (repeat_purchase_days)
  t_x = days from first to last purchase   (first_to_last_purchase_days)
  T   = days from first purchase to as_of  (observation_days)
With too little data to fit (few customers, no repeat buyers) the predictions
are null and `prediction_status` says why.
"""

import pyarrow as pa

from segmart import bgnbd


def model(dbt, session):
    dbt.config(materialized="table")
    horizon = 90.0  # days; the column is expected_orders_90d
    facts = dbt.ref("int_customer_order_facts").select(
        "customer_key, repeat_purchase_days, first_to_last_purchase_days,"
        " observation_days"
    )
    table = facts.to_arrow_table()
    keys = table.column("customer_key")
    x = table.column("repeat_purchase_days").to_numpy(zero_copy_only=False)
    t_x = table.column("first_to_last_purchase_days").to_numpy(zero_copy_only=False)
    big_t = table.column("observation_days").to_numpy(zero_copy_only=False)
    n = table.num_rows
    try:
        params, alive, expected = bgnbd.predict(
            x.astype(float), t_x.astype(float), big_t.astype(float), horizon
        )
        status = "fitted"
        alive_col = pa.array(alive, type=pa.float64())
        expected_col = pa.array(expected, type=pa.float64())
        fitted = [params.r, params.alpha, params.a, params.b]
    except bgnbd.BGNBDError as error:
        status = f"not_fitted: {type(error).__name__}"
        alive_col = pa.nulls(n, type=pa.float64())
        expected_col = pa.nulls(n, type=pa.float64())
        fitted = [None, None, None, None]
    return pa.table(
        {
            "customer_key": keys,
            "probability_alive": alive_col,
            "expected_orders_90d": expected_col,
            "prediction_status": pa.array([status] * n, type=pa.string()),
            "bgnbd_r": pa.array([fitted[0]] * n, type=pa.float64()),
            "bgnbd_alpha": pa.array([fitted[1]] * n, type=pa.float64()),
            "bgnbd_a": pa.array([fitted[2]] * n, type=pa.float64()),
            "bgnbd_b": pa.array([fitted[3]] * n, type=pa.float64()),
        }
    )
