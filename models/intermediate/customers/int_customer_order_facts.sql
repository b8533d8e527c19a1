-- One row per customer with at least one order up to as_of: counts, dates, money
-- (base currency), rates, purchase rhythm and the BG/NBD inputs (x, t_x, T in days).
-- Period figures date refunds by when they happened.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

orders as (
    select * from {{ ref('int_orders_margined') }}
    where customer_key is not null
),

refunds as (
    select * from {{ ref('int_refunds_dated') }}
    where customer_key is not null
),

window_start as (
    select {{ dbt.dateadd('day', -365, as_of_date()) }} as start_date
),

order_days as (
    select distinct
        customer_key,
        order_date
    from orders
),

previous_days as (
    select
        customer_key,
        order_date,
        lag(order_date) over (
            partition by customer_key order by order_date
        ) as previous_order_date
    from order_days
),

gaps as (
    select
        customer_key,
        {{ days_between('previous_order_date', 'order_date') }} as gap_days  -- noqa: LT05
    from previous_days
),

rhythm as (
    select
        customer_key,
        {{ median('gap_days') }} as median_days_between_orders,
        -- rounded as a decimal: half away from zero on every engine (a double
        -- rounds half to even on PostgreSQL)
        cast(round(cast({{ median('gap_days') }} as decimal(18, 4))) as integer)
            as median_gap_days
    from gaps
    where gap_days is not null
    group by customer_key
),

refunds_365d as (
    select
        customer_key,
        sum(refund_amount - returned_cost_recovered) as refund_cost_365d,
        sum(refund_amount) as refund_amount_365d
    from refunds
    where refund_date > (select window_start.start_date from window_start)
    group by customer_key
),

last_orders as (
    select
        customer_key,
        status as last_order_status,
        is_refunded as is_last_order_refunded
    from (
        select
            customer_key,
            status,
            is_refunded,
            row_number() over (
                partition by customer_key order by ordered_at desc, order_id desc
            ) as recency_rank
        from orders
    ) as ranked
    where recency_rank = 1
),

totals as (
    select
        customer_key,
        count(*) as orders_count,
        count(distinct order_date) as order_days_count,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        max(case when status = 'delivered' then order_date end)
            as last_delivered_order_date,
        sum(gross_revenue) as gross_revenue,
        sum(discount_amount) as discount_amount,
        sum(net_revenue) as net_revenue,
        sum(refund_amount) as refund_amount,
        sum(contribution_margin) as contribution_margin,
        sum(
            case
                when order_date > (select window_start.start_date from window_start)
                    then net_revenue
                else 0
            end
        ) as net_revenue_365d,
        sum(
            case
                when order_date > (select window_start.start_date from window_start)
                    then margin_before_refunds
                else 0
            end
        ) as margin_before_refunds_365d,
        avg(net_revenue) as average_order_value,
        avg(contribution_margin) as average_margin_per_order,
        -- integer averages: a double everywhere (Spark keeps 5 decimals of 1.0)
        avg(case when is_refunded then 1 else 0 end) as refund_rate,
        avg(case when is_returned then 1 else 0 end) as return_rate,
        avg(case when is_discounted then 1 else 0 end) as discount_share,
        cast(sum(case when is_discounted then 0 else 1 end) as bigint)
            as full_price_orders_count,
        cast(sum(case when is_discounted then 1 else 0 end) as bigint)
            as discounted_orders_count,
        min(case when has_cost_data then 1 else 0 end) = 1 as has_cost_data
    from orders
    group by customer_key
),

final as (
    select
        totals.customer_key,

        -- counts and dates
        totals.orders_count,
        totals.order_days_count,
        totals.first_order_date,
        totals.last_order_date,
        {{ days_between('totals.last_order_date', as_of_date()) }}
            as days_since_last_order,
        {{ days_between('totals.first_order_date', as_of_date()) }} as tenure_days,  -- noqa: LT05
        {{ days_between('totals.last_delivered_order_date', as_of_date()) }}
            as days_since_last_delivered_order,
        last_orders.last_order_status,
        last_orders.is_last_order_refunded,

        -- money (base currency); a sum's precision differs by engine: fix it
        cast(totals.gross_revenue as decimal(38, 2)) as gross_revenue,
        cast(totals.discount_amount as decimal(38, 2)) as discount_amount,
        cast(totals.net_revenue as decimal(38, 2)) as net_revenue,
        cast(totals.refund_amount as decimal(38, 2)) as refund_amount,
        cast(totals.contribution_margin as decimal(38, 2)) as contribution_margin,
        cast(totals.net_revenue_365d as decimal(18, 2)) as net_revenue_365d,
        cast(
            totals.margin_before_refunds_365d
            - coalesce(refunds_365d.refund_cost_365d, 0)
            as decimal(18, 2)
        ) as contribution_margin_365d,
        cast(totals.average_order_value as decimal(18, 2)) as average_order_value,
        cast(totals.average_margin_per_order as decimal(18, 2))
            as average_margin_per_order,

        -- rates
        cast(totals.refund_rate as {{ type_double() }}) as refund_rate,
        cast(totals.return_rate as {{ type_double() }}) as return_rate,
        cast(totals.discount_share as {{ type_double() }}) as discount_share,
        totals.full_price_orders_count,
        totals.discounted_orders_count,
        totals.has_cost_data,

        -- rhythm
        cast(rhythm.median_days_between_orders as {{ type_double() }})
            as median_days_between_orders,
        case
            when rhythm.median_days_between_orders is not null
                then cast(
                    {{ dbt.dateadd('day', 'rhythm.median_gap_days', 'totals.last_order_date') }}  -- noqa: LT05
                    as date
                )
        end as expected_next_order_date,
        coalesce(
            totals.order_days_count >= {{ var('overdue_min_order_days') }}
            and {{ days_between('totals.last_order_date', as_of_date()) }}
            > {{ var('overdue_factor') }} * rhythm.median_days_between_orders,
            false
        ) as is_overdue,

        -- BG/NBD inputs, in days
        totals.order_days_count - 1 as repeat_purchase_days,
        {{ days_between('totals.first_order_date', 'totals.last_order_date') }}
            as first_to_last_purchase_days,
        {{ days_between('totals.first_order_date', as_of_date()) }}
            as observation_days
    from totals
    left join rhythm
        on totals.customer_key = rhythm.customer_key
    left join refunds_365d
        on totals.customer_key = refunds_365d.customer_key
    left join last_orders
        on totals.customer_key = last_orders.customer_key
)

select * from final
