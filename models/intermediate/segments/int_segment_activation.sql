-- One row per segment spec: its size in this build (members, customers its
-- exclusions removed, share of all customers) and the QA verdict that gates its
-- activation, both decided here once. int_segment_memberships reads the verdict (a
-- segment that failed QA is nobody's primary segment); segment_history and
-- segment_library read the sizes and the verdict.
-- The first failed check is the reason (null: activated):
--   empty without allow_empty, a share outside an `error` expected_share (both
--   judged on builds of at least var('segment_qa_min_customers') customers), or
--   review_by passed more than var('segment_review_grace_days') days ago.
{%- set specs = segment_specs() %}
{%- set build_day = run_started_at.strftime("%Y-%m-%d") %}

with customer_profile as (
    select * from {{ ref('int_customer_profile') }}
),

candidates as (
    select * from {{ ref('int_segment_candidates') }}
),

specs as (
    {{- segment_spec_rows(specs) }}
),

build as (
    select count(*) as customers_total
    from customer_profile
),

sizes as (
    select
        segment_name,
        count(case when not is_excluded then 1 end) as customers_count,
        count(case when is_excluded then 1 end) as excluded_count
    from candidates
    group by segment_name
),

measured as (
    select
        specs.segment_name,
        specs.expected_share_min,
        specs.expected_share_max,
        specs.share_severity,
        specs.allow_empty,
        specs.review_by,
        build.customers_total,
        coalesce(sizes.customers_count, 0) as customers_count,
        coalesce(sizes.excluded_count, 0) as excluded_count,
        cast(coalesce(sizes.customers_count, 0) as {{ type_double() }})
        / nullif(build.customers_total, 0) as share_of_customers
    from specs
    cross join build
    left join sizes
        on specs.segment_name = sizes.segment_name
),

judged as (
    select
        segment_name,
        customers_total,
        customers_count,
        excluded_count,
        share_of_customers,
        case
            when
                customers_total >= {{ var('segment_qa_min_customers') }}
                and customers_count = 0
                and not allow_empty
                then 'is empty (allow_empty is false)'
            when
                customers_total >= {{ var('segment_qa_min_customers') }}
                and share_severity = 'error'
                and not coalesce(
                    share_of_customers between expected_share_min
                    and expected_share_max,
                    false
                )
                and not (customers_count = 0 and allow_empty)
                then
                    'holds '
                    || cast(customers_count as {{ dbt.type_string() }}) || ' of '
                    || cast(customers_total as {{ dbt.type_string() }})
                    || ' customers, outside its expected_share ['
                    || cast(expected_share_min as {{ dbt.type_string() }}) || ', '
                    || cast(expected_share_max as {{ dbt.type_string() }}) || ']'
            when
                review_by < cast({{ dbt.dateadd(
                    'day',
                    -var('segment_review_grace_days'),
                    "cast('" ~ build_day ~ "' as date)",
                ) }} as date)
                then
                    'review_by ' || cast(review_by as {{ dbt.type_string() }})
                    || ' passed more than '
                    || '{{ var("segment_review_grace_days") }} days ago'
        end as activation_blocked_reason
    from measured
),

final as (
    select
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(customers_total as bigint) as customers_total,
        cast(customers_count as bigint) as customers_count,
        cast(excluded_count as bigint) as excluded_count,
        cast(share_of_customers as {{ type_double() }}) as share_of_customers,
        cast(activation_blocked_reason is null as boolean) as is_activated,
        cast(activation_blocked_reason as {{ dbt.type_string() }})
            as activation_blocked_reason
    from judged
)

select * from final
