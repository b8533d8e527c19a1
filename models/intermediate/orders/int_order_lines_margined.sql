-- Order lines of non-cancelled orders up to as_of, with category and line-level
-- net revenue (at the order's rate) and margin (less unit cost, already in the
-- base currency). A line whose product has no unit cost has a null margin.
with lines as (
    select * from {{ ref('stg_shop__order_lines') }}
),

orders as (
    select * from {{ ref('int_orders_costed') }}
    where customer_key is not null
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

final as (
    select
        lines.order_id,
        lines.line_id,
        orders.customer_key,
        lines.sku,
        products.category,
        orders.order_date,
        lines.quantity,
        {{ to_base_currency(
            'lines.quantity * lines.unit_price - lines.line_discount', 'orders.fx_rate'
        ) }} as line_net_revenue,
        {{ to_base_currency(
            'lines.quantity * lines.unit_price - lines.line_discount', 'orders.fx_rate'
        ) }} - lines.quantity * products.unit_cost as line_margin
    from lines
    inner join orders
        on lines.order_id = orders.order_id
    left join products
        on lines.sku = products.sku
)

select * from final
