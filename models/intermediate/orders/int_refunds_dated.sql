-- Refunds up to as_of, in the base currency at the refund day's rate, dated when
-- they happened. A refund beyond what is left of the order's total is capped (the
-- excess is kept in refund_excess_amount and counted by a test). A return gives
-- back a share of the order's product cost (returned_cost_recovered).
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

refunds as (
    select * from {{ ref('stg_shop__refunds') }}
    where cast(refunded_at as date) <= {{ as_of_date() }}
),

orders as (
    select * from {{ ref('int_orders_costed') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

running as (
    select
        refunds.*,
        orders.customer_key,
        orders.currency,
        orders.total_in_order_currency as order_total,
        orders.product_cost as order_product_cost,
        coalesce(sum(refunds.amount) over (
            partition by refunds.order_id
            order by refunds.refunded_at, refunds.refund_id
            rows between unbounded preceding and 1 preceding
        ), 0) as refunded_before
    from refunds
    inner join orders
        on refunds.order_id = orders.order_id
),

capped as (
    select
        *,
        greatest(least(amount, order_total - refunded_before), 0) as capped_amount
    from running
),

final as (
    select
        -- ids
        capped.refund_id,
        capped.order_id,
        capped.customer_key,

        -- numerics (base currency)
        {{ to_base_currency('capped.capped_amount', 'fx.rate_to_base') }}
            as refund_amount,
        {{ to_base_currency(
            'capped.amount - capped.capped_amount', 'fx.rate_to_base'
        ) }} as refund_excess_amount,
        case
            when capped.is_return and capped.order_total > 0
                then cast(round(
                    coalesce(capped.order_product_cost, 0)
                    * least(capped.capped_amount / capped.order_total, 1), 2
                ) as decimal(18, 2))
            else 0
        end as returned_cost_recovered,

        -- booleans
        capped.is_return,

        -- dates
        cast(capped.refunded_at as date) as refund_date
    from capped
    left join fx
        on
            capped.currency = fx.currency
            and cast(capped.refunded_at as date) = fx.rate_date
)

select * from final
