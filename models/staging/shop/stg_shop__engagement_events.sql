with base as (
    select * from {{ ref('base_shop__engagement_events') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        event_id,
        campaign_id,

        -- strings
        email,
        channel,
        event_type,

        -- booleans
        is_email_invalid,

        -- timestamps (UTC)
        occurred_at
    from base
)

select * from final
