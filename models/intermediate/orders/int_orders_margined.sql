-- One row per non-cancelled order up to as_of: revenue, refunds and contribution
-- margin in the base currency.
--   net_revenue          = gross revenue - discounts
--   contribution_margin  = net_revenue + shipping charged - refunds
--                          - (product cost - cost recovered by returns) - shipping cost
-- Without cost data the margin falls back to net revenue - refunds, and
-- has_cost_data says so. Refunds here are all refunds of the order up to as_of;
-- period facts date them by refund_date (int_refunds_dated).
with orders as (
    select * from {{ ref('int_orders_costed') }}
),

refunds as (
    select
        order_id,
        sum(refund_amount) as refund_amount,
        sum(case when is_return then refund_amount else 0 end) as return_amount,
        sum(returned_cost_recovered) as returned_cost_recovered,
        count(*) as refunds_count
    from {{ ref('int_refunds_dated') }}
    group by order_id
),

joined as (
    select
        orders.*,
        coalesce(refunds.refund_amount, 0) as refund_amount,
        coalesce(refunds.return_amount, 0) as return_amount,
        coalesce(refunds.returned_cost_recovered, 0) as returned_cost_recovered,
        coalesce(refunds.refunds_count, 0) > 0 as is_refunded,
        coalesce(refunds.return_amount, 0) > 0 as is_returned
    from orders
    left join refunds
        on orders.order_id = refunds.order_id
),

final as (
    select
        *,
        case
            when has_cost_data
                then net_revenue + shipping_charged - product_cost - shipping_cost
            else net_revenue
        end as margin_before_refunds,
        case
            when has_cost_data
                then
                    net_revenue + shipping_charged - refund_amount
                    - (product_cost - returned_cost_recovered) - shipping_cost
            else net_revenue - refund_amount
        end as contribution_margin
    from joined
)

select * from final
