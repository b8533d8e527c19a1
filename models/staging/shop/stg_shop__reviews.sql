with base as (
    select * from {{ ref('base_shop__reviews') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        review_id,
        sku,

        -- strings
        email,
        body,

        -- numerics
        rating,

        -- booleans
        is_email_invalid,

        -- timestamps (UTC)
        created_at
    from base
)

select * from final
