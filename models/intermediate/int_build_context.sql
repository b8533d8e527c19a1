-- One row: the constants of this build.
--   as_of_date     var('as_of') (else SEGMART_AS_OF) when set, else the newest
--                  order date;
--   base_currency  var('base_currency') when set, else the shop's only order
--                  currency, else USD.
--   prediction_*   the thresholds of int_customers_predicted (vars of the same
--                  name), here so that its Python code reads them on every engine.
{% set as_of = var('as_of', env_var('SEGMART_AS_OF', '')) -%}
with orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_currencies as (
    select
        max(ordered_at) as newest_ordered_at,
        count(distinct currency) as currencies_count,
        min(currency) as only_currency
    from orders
),

final as (
    select
        {% if as_of %}
            cast('{{ as_of }}' as date) as as_of_date,
        {% else %}
            cast(newest_ordered_at as date) as as_of_date,
        {% endif %}
        {% if var('base_currency') %}
            '{{ var("base_currency") }}' as base_currency,
        {% else %}
            case
                when currencies_count = 1 then only_currency else 'USD'
            end as base_currency,
        {% endif %}
        {{ "true" if as_of else "false" }} as is_as_of_pinned,
        {{ var('prediction_min_repeat_buyers') }} as prediction_min_repeat_buyers,
        {{ var('prediction_min_history_days') }} as prediction_min_history_days,
        {{ var('prediction_backtest_days') }} as prediction_backtest_days,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
            as built_at
    from order_currencies
)

select * from final
