-- Where each customer with orders stands in this shop, and the shop's own rhythm.
-- Thresholds written on these facts mean the same in a cafe and a furniture shop:
--   *_percentile         share of the shop's buyers with a strictly lower value
--                        (percent_rank: 0 = lowest, 0.8 = above 80% of buyers;
--                        ties share the lower value, so "top fifth" never holds
--                        more than a fifth)
--   shop_purchase_cycle_days   median, over repeat buyers, of each buyer's median
--                        days between order days (var
--                        shop_purchase_cycle_fallback_days when the shop has no
--                        repeat buyer yet)
--   purchase_cycle_days  the customer's own median gap when it rests on
--                        var('overdue_min_order_days') order days or more, else the
--                        shop's cycle
--   purchase_cycles_since_last_order   days since the last order in those cycles
with facts as (
    select * from {{ ref('int_customer_order_facts') }}
),

shop as (
    select
        count(*) as buyers_count,
        -- an average of integers, as a double (Spark keeps 5 decimals of 1.0;
        -- PostgreSQL returns a numeric)
        cast(
            avg(case when order_days_count = 1 then 1 else 0 end)
            as {{ type_double() }}
        ) as one_time_buyer_share,
        {{ median(
            'case when order_days_count >= 2 then median_days_between_orders end'
        ) }} as repeat_buyer_median_gap
    from facts
),

shop_cycle as (
    select
        buyers_count,
        one_time_buyer_share,
        cast(
            greatest(
                coalesce(
                    repeat_buyer_median_gap,
                    {{ var('shop_purchase_cycle_fallback_days') }}
                ),
                1
            ) as {{ type_double() }}
        ) as purchase_cycle_days
    from shop
),

cycles as (
    select
        facts.customer_key,
        facts.orders_count,
        facts.contribution_margin,
        facts.days_since_last_order,
        shop_cycle.purchase_cycle_days as shop_purchase_cycle_days,
        shop_cycle.one_time_buyer_share as shop_one_time_buyer_share,
        shop_cycle.buyers_count as shop_buyers_count,
        cast(
            case
                when
                    facts.order_days_count >= {{ var('overdue_min_order_days') }}
                    and facts.median_days_between_orders >= 1
                    then facts.median_days_between_orders
                else shop_cycle.purchase_cycle_days
            end as {{ type_double() }}
        ) as purchase_cycle_days,
        -- orders per year of tenure; a tenure shorter than one shop cycle counts
        -- as one cycle, so a first order yesterday is not 365 orders a year
        cast(facts.orders_count as {{ type_double() }}) * 365.25
        / greatest(
            cast(facts.tenure_days as {{ type_double() }}),
            shop_cycle.purchase_cycle_days
        ) as orders_per_year
    from facts
    cross join shop_cycle
),

final as (
    select
        customer_key,
        shop_purchase_cycle_days,
        shop_one_time_buyer_share,
        shop_buyers_count,
        purchase_cycle_days,
        cast(days_since_last_order as {{ type_double() }}) / purchase_cycle_days
            as purchase_cycles_since_last_order,
        orders_per_year,
        cast(percent_rank() over (order by contribution_margin) as {{ type_double() }})
            as margin_percentile,
        cast(percent_rank() over (order by orders_count) as {{ type_double() }})
            as orders_count_percentile,
        cast(percent_rank() over (order by orders_per_year) as {{ type_double() }})
            as order_frequency_percentile
    from cycles
)

select * from final
