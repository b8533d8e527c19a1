-- Customers who unsubscribed from a campaign's message (event with its campaign id).
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

events as (
    select * from {{ ref('stg_shop__engagement_events') }}
    where
        event_type = 'unsubscribed'
        and campaign_id is not null
        and email is not null
        and cast(occurred_at as date) <= {{ as_of_date() }}
),

final as (
    select distinct
        campaign_id,
        {{ customer_key('email') }} as customer_key
    from events
)

select * from final
