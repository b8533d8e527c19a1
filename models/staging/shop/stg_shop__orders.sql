with base as (
    select * from {{ ref('base_shop__orders') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        order_id,
        customer_id,

        -- strings
        email,
        currency,
        status,
        channel,
        discount_codes,

        -- numerics (order currency)
        subtotal,
        abs(discount_total) as discount_total,
        shipping_charged,
        tax_total,
        total,
        shipping_cost,

        -- booleans
        is_email_invalid,
        status = 'cancelled' as is_cancelled,

        -- timestamps (UTC)
        ordered_at,
        coalesce(updated_at, ordered_at) as updated_at
    from base
)

select * from final
