with orders as (
    select * from {{ ref('int_orders_identified') }}
    where not is_cancelled and customer_key is not null
),

order_facts as (
    select
        customer_key,
        count(*) as orders_count,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        sum(subtotal - discount_total) as net_revenue
    from orders
    group by customer_key
),

final as (
    select * from order_facts
)

select * from final
