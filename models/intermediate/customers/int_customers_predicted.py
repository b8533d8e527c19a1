"""Per-customer predictions: P(alive), expected orders, expected margin and revenue.

The work is segmart.predictions.predict_shop (its docstring has the method):
a count model (BG/NBD or Pareto/NBD, chosen by a backtest on the shop's last
prediction_backtest_days) and a Gamma-Gamma spend model on contribution margin
(and net revenue) per repeat purchase, fitted on the purchases up to as_of.
Below the thresholds of int_build_context (vars prediction_min_repeat_buyers,
prediction_min_history_days) every prediction is null and `prediction_status`
says why. The same code runs on DuckDB, PostgreSQL (segmart pg-build) and Spark.
"""

import pyarrow as pa
import pyarrow.compute as pc

from segmart import predictions


def model(dbt, session):
    dbt.config(materialized="table")
    context = (
        dbt.ref("int_build_context")
        .select(
            "date_diff('day', date '1970-01-01', cast(as_of_date as date)),"
            " prediction_min_repeat_buyers, prediction_min_history_days,"
            " prediction_backtest_days"
        )
        .fetchall()[0]
    )
    as_of, min_repeat, min_history, backtest_days = (int(v) for v in context)
    keys = (
        dbt.ref("int_customer_order_facts")
        .select("customer_key")
        .to_arrow_table()
        .column("customer_key")
        .combine_chunks()
    )
    orders = (
        dbt.ref("int_orders_margined")
        .filter("customer_key is not null")
        .select(
            "customer_key,"
            " date_diff('day', date '1970-01-01', cast(order_date as date)) as day,"
            " cast(contribution_margin as double) as margin,"
            " cast(net_revenue as double) as revenue"
        )
        .to_arrow_table()
    )
    code = pc.index_in(orders.column("customer_key"), value_set=keys)
    known = pc.is_valid(code)
    orders = orders.filter(known)
    code = pc.filter(code, known)
    codes, floats, texts = predictions.predict_shop(
        code.to_numpy(zero_copy_only=False),
        orders.column("day").to_numpy(zero_copy_only=False),
        orders.column("margin").fill_null(0).to_numpy(zero_copy_only=False),
        orders.column("revenue").fill_null(0).to_numpy(zero_copy_only=False),
        as_of,
        predictions.Settings(min_repeat, min_history, backtest_days),
    )
    n = len(codes)
    columns = {"customer_key": pc.take(keys, pa.array(codes, type=pa.int64()))}
    for name, values in floats.items():
        columns[name] = pa.array(values, type=pa.float64(), from_pandas=True)
    for name, value in texts.items():
        columns[name] = pa.array([value] * n, type=pa.string())
    return pa.table(columns)
