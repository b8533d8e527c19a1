with base as (
    select * from {{ ref('base_shop__refunds') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        refund_id,
        order_id,

        -- strings
        reason,

        -- numerics (order currency)
        amount,

        -- booleans
        coalesce(is_return, false) as is_return,

        -- timestamps (UTC)
        refunded_at
    from base
)

select * from final
