-- Campaigns sent up to as_of, with the end of their attribution window
-- (var attribution_window_days, default 7) and whether it has closed by as_of.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

campaigns as (
    select * from {{ ref('stg_shop__campaigns') }}
    where sent_at is not null and cast(sent_at as date) <= {{ as_of_date() }}
),

windowed as (
    select
        *,
        {{ dbt.dateadd('day', var('attribution_window_days'), 'sent_at') }}
            as window_ends_at
    from campaigns
),

final as (
    select
        campaign_id,
        campaign_name,
        channel,
        segment_name,
        coalesce(experiment, '{{ var("holdout_experiment") }}')
            as experiment,
        offer,
        sent_at,
        cast(sent_at as date) as sent_date,
        window_ends_at,
        cast(window_ends_at as date) <= {{ as_of_date() }} as is_window_complete
    from windowed
)

select * from final
