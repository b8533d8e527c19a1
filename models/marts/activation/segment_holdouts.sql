{{ config(
    materialized='incremental',
    unique_key=['customer_key', 'segment_name', 'experiment'],
    pre_hook="{{ forget_erased_customers(ref('int_erased_customers')) }}",
) }}
-- The holdout group of every customer x segment x experiment the project uses,
-- decided here once (macro holdout_group: a hash of the three, so the same on
-- every build); rows are only ever added, never changed. The experiments: the
-- audiences' current one (var holdout_experiment) for every member of every
-- segment, and each sent campaign's own for whoever was a primary member of its
-- segment on a built date or is now (campaign_exposures reads the group here).
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

memberships as (
    select * from {{ ref('int_segment_memberships') }}
),

history as (
    select * from {{ ref('segment_membership_history') }}
    where is_primary
),

campaign_experiments as (
    select distinct
        segment_name,
        experiment
    from {{ ref('int_campaigns_sent') }}
),

primary_members as (
    select
        customer_key,
        segment_name
    from history
    union
    select
        customer_key,
        segment_name
    from memberships
    where is_primary and not is_fallback
),

pairs as (
    select
        customer_key,
        segment_name,
        '{{ var("holdout_experiment") }}' as experiment
    from memberships
    where not is_fallback
    union
    select
        primary_members.customer_key,
        primary_members.segment_name,
        campaign_experiments.experiment
    from primary_members
    inner join campaign_experiments
        on primary_members.segment_name = campaign_experiments.segment_name
),

assigned as (
    select
        customer_key,
        segment_name,
        experiment,
        {{ holdout_group('customer_key', 'segment_name', 'experiment') }}
            as holdout_group,
        {{ as_of_date() }} as first_assigned_as_of
    from pairs
),

final as (
    select assigned.*
    from assigned
    {% if is_incremental() %}
        left join {{ this }} as already_assigned
            on
                assigned.customer_key = already_assigned.customer_key
                and assigned.segment_name = already_assigned.segment_name
                and assigned.experiment = already_assigned.experiment
        where already_assigned.customer_key is null
    {% endif %}
)

select * from final
