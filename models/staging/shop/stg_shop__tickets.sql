with base as (
    select * from {{ ref('base_shop__tickets') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        ticket_id,

        -- strings
        email,
        status,
        channel,
        subject,
        body,
        satisfaction,

        -- booleans
        is_email_invalid,

        -- timestamps (UTC)
        created_at,
        coalesce(updated_at, created_at) as updated_at
    from base
)

select * from final
