{{ config(
    materialized='incremental',
    unique_key='as_of_date',
    incremental_strategy=(
        'insert_overwrite' if target.type == 'spark' else 'delete+insert'
    ),
    partition_by=(['as_of_date'] if target.type == 'spark' else none),
) }}
-- Size of every segment on every as_of date built: one row per date x segment of
-- the specs of that build (0 when it had no member) and the fallback segment, so a
-- segment new in a build is absent from earlier dates. Members: every match (of a
-- spec segment: counted in int_segment_activation); primary: customers for whom it
-- was the primary segment.
-- On Spark (no delete on Parquet) the table is partitioned by as_of_date and a
-- build overwrites its date's partition.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

memberships as (
    select * from {{ ref('int_segment_memberships') }}
),

-- members, excluded and share of every spec segment are counted once, there
activation as (
    select * from {{ ref('int_segment_activation') }}
),

primaries as (
    select
        segment_name,
        count(*) as primary_count
    from memberships
    where is_primary
    group by segment_name
),

segments as (
    select
        segment_name,
        customers_count
    from activation
    union all
    select
        '{{ var("segment_fallback_name") }}' as segment_name,
        count(*) as customers_count
    from memberships
    where is_fallback
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        segments.segment_name,
        segments.customers_count,
        coalesce(primaries.primary_count, 0) as primary_count
    from segments
    left join primaries
        on segments.segment_name = primaries.segment_name
)

select * from final
