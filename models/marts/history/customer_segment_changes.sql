{{ config(
    materialized='incremental',
    unique_key='as_of_date',
    incremental_strategy=(
        'insert_overwrite' if target.type == 'spark' else 'delete+insert'
    ),
    partition_by=(['as_of_date'] if target.type == 'spark' else none),
    pre_hook="{{ forget_erased_customers(ref('int_erased_customers')) }}",
) }}
-- Per customer, the segments entered and left since the previous as_of date of the
-- history, with the reason values at this date: for `entered`, the profile values
-- that made the rule true; for `left`, the current values of the columns the rule
-- uses (why it no longer holds) or why the customer left the profile. Backfill in
-- date order (`segmart backfill` does). A segment that failed QA this build
-- (int_segment_activation.is_activated false) records no change.
-- On Spark (no delete on Parquet) the table is partitioned by as_of_date and a
-- build overwrites its date's partition.
{%- set specs = segment_specs() %}
{%- set types = segment_validate_against_profile(
    specs, ref('int_customer_profile'), warn=false
) %}

-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

history as (
    select * from {{ ref('segment_membership_history') }}
),

-- this build's rows of the history (every match, and the fallback segment)
current_membership as (
    select * from history
    where as_of_date = {{ as_of_date() }}
),

profile as (
    select * from {{ ref('int_customer_profile') }}
),

-- a segment that failed QA this build sends no change
not_activated as (
    select segment_name from {{ ref('int_segment_activation') }}
    where not is_activated
),

previous_date as (
    select max(as_of_date) as as_of_date
    from history
    where as_of_date < {{ as_of_date() }}
),

previous_membership as (
    select history.*
    from history
    inner join previous_date
        on history.as_of_date = previous_date.as_of_date
),

entered as (
    select
        current_membership.customer_key,
        current_membership.segment_name,
        'entered' as change_type,
        current_membership.is_primary,
        current_membership.match_reason as reason
    from current_membership
    left join previous_membership
        on
            current_membership.customer_key = previous_membership.customer_key
            and current_membership.segment_name = previous_membership.segment_name
    where
        previous_membership.customer_key is null
        and (select previous_date.as_of_date from previous_date) is not null
),

left_keys as (
    select
        previous_membership.customer_key as left_customer_key,
        previous_membership.segment_name as left_segment_name,
        previous_membership.is_primary as was_primary
    from previous_membership
    left join current_membership
        on
            previous_membership.customer_key = current_membership.customer_key
            and previous_membership.segment_name = current_membership.segment_name
    where current_membership.customer_key is null
),

-- the profile columns alone, so the rules' column names resolve to them
left_profiles as (
    select
        left_keys.*,
        profile.*
    from left_keys
    left join profile
        on left_keys.left_customer_key = profile.customer_key
),

left_segment as (
    select
        left_customer_key as customer_key,
        left_segment_name as segment_name,
        'left' as change_type,
        was_primary as is_primary,
        case
            when customer_key is null then 'no longer a customer'
            when left_segment_name = '{{ var("segment_fallback_name") }}'
                then 'matches a segment now'
            {% for spec in specs %}
                when left_segment_name = '{{ spec.name }}'
                    then {{ segment_reason_sql(spec.rule_columns, types) }}
            {% endfor %}
        end as reason
    from left_profiles
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        (select previous_date.as_of_date from previous_date) as previous_as_of_date,
        customer_key,
        segment_name,
        change_type,
        is_primary as was_or_is_primary,
        reason
    from (
        select * from entered
        union all
        select * from left_segment
    ) as changes
    where segment_name not in (
        select not_activated.segment_name from not_activated
    )
)

select * from final
