with base as (
    select * from {{ ref('base_shop__campaigns') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        campaign_id,

        -- strings
        campaign_name,
        channel,
        segment_name,
        experiment,
        offer,

        -- timestamps (UTC)
        sent_at
    from base
)

select * from final
