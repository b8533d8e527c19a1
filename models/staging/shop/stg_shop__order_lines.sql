with base as (
    select * from {{ ref('base_shop__order_lines') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        order_id,
        line_id,
        sku,

        -- numerics (order currency)
        quantity,
        unit_price,
        cast(coalesce(abs(line_discount), 0) as decimal(18, 2)) as line_discount
    from base
)

select * from final
