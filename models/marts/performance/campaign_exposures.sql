-- One row per campaign x customer of its experiment: the primary members of the
-- campaign's segment on the latest history date on or before the send (the
-- current membership when the history starts later), split into treatment and
-- control by the group segment_holdouts assigned (the audiences' split), with
-- what each did afterwards.
-- Intention to treat: a control member counts as control whatever the ESP did.
with campaigns as (
    select * from {{ ref('int_campaigns_sent') }}
),

history as (
    select * from {{ ref('segment_membership_history') }}
    where is_primary
),

current_membership as (
    select * from {{ ref('int_segment_memberships') }}
    where is_primary and not is_fallback
),

orders as (
    select * from {{ ref('int_orders_margined') }}
    where customer_key is not null
),

unsubscribes as (
    select * from {{ ref('int_campaign_unsubscribes') }}
),

-- the holdout group of each (customer, segment, experiment), decided there once
holdouts as (
    select * from {{ ref('segment_holdouts') }}
),

population_dates as (
    select
        campaigns.campaign_id,
        max(history.as_of_date) as population_as_of_date
    from campaigns
    left join history
        on campaigns.sent_date >= history.as_of_date
    group by campaigns.campaign_id
),

population as (
    select
        campaigns.campaign_id,
        history.customer_key,
        'history' as population_source
    from campaigns
    inner join population_dates
        on campaigns.campaign_id = population_dates.campaign_id
    inner join history
        on
            population_dates.population_as_of_date = history.as_of_date
            and campaigns.segment_name = history.segment_name
    union all
    select
        campaigns.campaign_id,
        current_membership.customer_key,
        'current' as population_source
    from campaigns
    inner join population_dates
        on campaigns.campaign_id = population_dates.campaign_id
    inner join current_membership
        on campaigns.segment_name = current_membership.segment_name
    where population_dates.population_as_of_date is null
),

outcomes as (
    select
        population.campaign_id,
        population.customer_key,
        count(
            case when orders.ordered_at <= campaigns.window_ends_at then 1 end
        ) as orders_in_window,
        coalesce(sum(
            case
                when orders.ordered_at <= campaigns.window_ends_at
                    then orders.net_revenue
            end
        ), 0) as revenue_in_window,
        coalesce(sum(
            case
                when orders.ordered_at <= campaigns.window_ends_at
                    then orders.contribution_margin
            end
        ), 0) as margin_in_window,
        count(orders.order_id) as orders_in_60_days
    from population
    inner join campaigns
        on population.campaign_id = campaigns.campaign_id
    left join orders
        on
            population.customer_key = orders.customer_key
            and campaigns.sent_at < orders.ordered_at
            and orders.ordered_at <= {{ dbt.dateadd('day', 60, 'campaigns.sent_at') }}
    group by population.campaign_id, population.customer_key
),

final as (
    select
        campaigns.campaign_id,
        campaigns.segment_name,
        campaigns.experiment,
        campaigns.channel,
        campaigns.sent_date,
        campaigns.is_window_complete,
        population.customer_key,
        population.population_source,
        holdouts.holdout_group,
        outcomes.orders_in_window,
        outcomes.orders_in_window > 0 as is_converted,
        cast(outcomes.revenue_in_window as decimal(18, 2)) as revenue_in_window,
        cast(outcomes.margin_in_window as decimal(18, 2)) as margin_in_window,
        outcomes.orders_in_60_days > 0 as has_order_in_60_days,
        unsubscribes.customer_key is not null as is_unsubscribed
    from population
    inner join campaigns
        on population.campaign_id = campaigns.campaign_id
    inner join outcomes
        on
            population.campaign_id = outcomes.campaign_id
            and population.customer_key = outcomes.customer_key
    left join unsubscribes
        on
            population.campaign_id = unsubscribes.campaign_id
            and population.customer_key = unsubscribes.customer_key
    left join holdouts
        on
            population.customer_key = holdouts.customer_key
            and campaigns.segment_name = holdouts.segment_name
            and campaigns.experiment = holdouts.experiment
)

select * from final
