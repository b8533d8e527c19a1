-- One row per segment: its spec (from segments/<name>.sql), its size now and at the
-- previous build, how many customers its exclusions removed, its margin profile,
-- its QA flags (share within expected, review overdue) and whether it is activated.
-- Sizes, exclusions and the verdict are decided in int_segment_activation and
-- segment_history; this mart puts them beside the spec.
{%- set specs = segment_specs() %}
{%- set refreshed_at = run_started_at.strftime("%Y-%m-%d %H:%M:%S") %}

with customer_profile as (
    select * from {{ ref('int_customer_profile') }}
),

membership as (
    select * from {{ ref('int_segment_memberships') }}
    where not is_fallback
),

size_history as (
    select * from {{ ref('segment_history') }}
),

activation as (
    select * from {{ ref('int_segment_activation') }}
),

specs as (
    {{- segment_spec_rows(specs) }}
),

build as (
    select max(as_of_date) as as_of_date
    from customer_profile
),

-- the sizes of this build are counted once, in segment_history
sizes as (
    select
        size_history.segment_name,
        size_history.customers_count,
        size_history.primary_count
    from size_history
    inner join build
        on size_history.as_of_date = build.as_of_date
),

margins as (
    select
        membership.segment_name,
        avg(customer_profile.contribution_margin) as average_contribution_margin,
        avg(
            case
                when customer_profile.contribution_margin < 0 then 1
                when customer_profile.contribution_margin >= 0 then 0
            end
        ) as negative_margin_share
    from membership
    inner join customer_profile
        on membership.customer_key = customer_profile.customer_key
    group by membership.segment_name
),

previous_date as (
    select max(size_history.as_of_date) as as_of_date
    from size_history
    cross join build
    where size_history.as_of_date < build.as_of_date
),

-- segments present in an earlier build (a new spec has no previous size)
seen_before as (
    select distinct size_history.segment_name
    from size_history
    cross join build
    where size_history.as_of_date < build.as_of_date
),

-- the size at the latest earlier build (0: no member that day)
previous as (
    select
        seen_before.segment_name,
        previous_date.as_of_date,
        coalesce(size_history.customers_count, 0) as customers_count
    from seen_before
    cross join previous_date
    left join size_history
        on
            seen_before.segment_name = size_history.segment_name
            and previous_date.as_of_date = size_history.as_of_date
),

measured as (
    select
        specs.*,
        build.as_of_date,
        activation.customers_total,
        coalesce(sizes.customers_count, 0) as customers_count,
        coalesce(sizes.primary_count, 0) as primary_count,
        activation.excluded_count,
        activation.share_of_customers,
        previous.customers_count as previous_customers_count,
        previous.as_of_date as previous_as_of_date,
        margins.average_contribution_margin,
        margins.negative_margin_share,
        activation.is_activated,
        activation.activation_blocked_reason
    from specs
    cross join build
    left join sizes
        on specs.segment_name = sizes.segment_name
    left join margins
        on specs.segment_name = margins.segment_name
    left join previous
        on specs.segment_name = previous.segment_name
    left join activation
        on specs.segment_name = activation.segment_name
),

-- owner, refresh and rule are keywords to sqlfluff, but they are the spec's field
-- names (README, "Writing segments"), hence the noqa below.
final as (
    select
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(purpose as {{ dbt.type_string() }}) as purpose,
        cast(priority as integer) as priority,
        cast(owner as {{ dbt.type_string() }}) as owner,  -- noqa: RF04
        cast(refresh as {{ dbt.type_string() }}) as refresh,  -- noqa: RF04
        cast(channels as {{ dbt.type_string() }}) as channels,
        cast(success_measure as {{ dbt.type_string() }}) as success_measure,
        cast(nullif(offer_hint, '') as {{ dbt.type_string() }}) as offer_hint,
        cast(rule as {{ dbt.type_string() }}) as rule,  -- noqa: RF04
        cast(exclusions as {{ dbt.type_string() }}) as exclusions,
        cast(expected_share_min as {{ type_double() }}) as expected_share_min,
        cast(expected_share_max as {{ type_double() }}) as expected_share_max,
        cast(share_severity as {{ dbt.type_string() }}) as share_severity,
        cast(allow_empty as boolean) as allow_empty,
        cast(review_by as date) as review_by,
        cast(spec_file as {{ dbt.type_string() }}) as spec_file,
        cast(customers_count as bigint) as customers_count,
        cast(share_of_customers as {{ type_double() }}) as share_of_customers,
        cast(primary_count as bigint) as primary_count,
        cast(excluded_count as bigint) as excluded_count,
        cast(previous_customers_count as bigint) as previous_customers_count,
        cast(customers_count - previous_customers_count as bigint)
            as customers_count_change,
        cast(previous_as_of_date as date) as previous_as_of_date,
        coalesce(
            previous_customers_count > 0
            and abs(customers_count - previous_customers_count)
            > {{ var('size_anomaly_threshold') }} * previous_customers_count,
            false
        ) as is_size_anomaly,
        cast(average_contribution_margin as decimal(18, 2))
            as average_contribution_margin,
        cast(negative_margin_share as {{ type_double() }}) as negative_margin_share,
        cast(
            share_of_customers between expected_share_min and expected_share_max
            as boolean
        ) as is_share_within_expected,
        cast(
            review_by < cast('{{ refreshed_at[:10] }}' as date) as boolean
        ) as is_review_overdue,
        cast(is_activated as boolean) as is_activated,
        cast(activation_blocked_reason as {{ dbt.type_string() }})
            as activation_blocked_reason,
        cast(customers_total as bigint) as customers_total,
        cast(as_of_date as date) as as_of_date,
        cast('{{ refreshed_at }}' as timestamp) as last_refreshed_at
    from measured
)

select * from final
