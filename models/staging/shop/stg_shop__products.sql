with base as (
    select * from {{ ref('base_shop__products') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        sku,

        -- strings
        product_name,
        category,

        -- numerics
        unit_cost,
        price,
        inventory_quantity,

        -- booleans
        inventory_quantity > 0 as is_in_stock,

        -- timestamps (UTC)
        updated_at
    from base
)

select * from final
