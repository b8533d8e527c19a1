-- Non-cancelled orders up to as_of with revenue and costs in the base currency,
-- at the order day's rate, before refunds (see int_orders_margined).
-- Product cost = order lines x products.unit_cost (unit costs are in the base
-- currency, so they are not converted); an order is costed only when it has lines
-- and every line's product has a unit cost.
with orders as (
    select * from {{ ref('int_orders_identified') }}
    where not is_cancelled
),

lines as (
    select * from {{ ref('stg_shop__order_lines') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

fx as (
    select * from {{ ref('int_fx_rates_daily') }}
),

line_totals as (
    select
        lines.order_id,
        count(*) as lines_count,
        sum(lines.quantity) as units_count,
        sum(lines.quantity * lines.unit_price) as lines_gross,
        sum(lines.quantity * products.unit_cost) as lines_cost,
        count(products.unit_cost) as costed_lines_count
    from lines
    left join products
        on lines.sku = products.sku
    group by lines.order_id
),

joined as (
    select
        orders.*,
        fx.rate_to_base as fx_rate,
        coalesce(line_totals.lines_count, 0) as lines_count,
        coalesce(line_totals.units_count, 0) as units_count,
        line_totals.lines_gross,
        line_totals.lines_cost,
        coalesce(
            line_totals.lines_count > 0
            and line_totals.costed_lines_count = line_totals.lines_count,
            false
        ) as has_cost_data
    from orders
    left join line_totals
        on orders.order_id = line_totals.order_id
    left join fx
        on
            orders.currency = fx.currency
            and orders.order_date = fx.rate_date
),

final as (
    select
        -- ids
        order_id,
        customer_id,
        customer_key,

        -- strings
        currency,
        status,
        channel,
        discount_codes,

        -- numerics (base currency)
        fx_rate,
        {{ to_base_currency('coalesce(subtotal, lines_gross, 0)', 'fx_rate') }}
            as gross_revenue,
        {{ to_base_currency('coalesce(discount_total, 0)', 'fx_rate') }}
            as discount_amount,
        {{ to_base_currency(
            'coalesce(subtotal, lines_gross, 0) - coalesce(discount_total, 0)', 'fx_rate'
        ) }} as net_revenue,
        {{ to_base_currency('coalesce(shipping_charged, 0)', 'fx_rate') }}
            as shipping_charged,
        {{ to_base_currency('coalesce(tax_total, 0)', 'fx_rate') }} as tax_amount,
        {{ to_base_currency('coalesce(shipping_cost, 0)', 'fx_rate') }}
            as shipping_cost,
        case
            when has_cost_data then cast(lines_cost as decimal(18, 2))
        end as product_cost,
        total as total_in_order_currency,
        lines_count,
        units_count,

        -- booleans
        has_cost_data,
        fx_rate is not null as has_fx_rate,
        coalesce(discount_total, 0) > 0 or discount_codes is not null as is_discounted,
        is_identity_erased,

        -- dates
        ordered_at,
        order_date
    from joined
)

select * from final
