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
-- segment new in a build is absent from earlier dates. Members: every match;
-- primary: customers for whom it was the primary segment.
-- On Spark (no delete on Parquet) the table is partitioned by as_of_date and a
-- build overwrites its date's partition.
{%- set specs = segment_specs() %}

with history as (
    select * from {{ ref('segment_membership_history') }}
    where as_of_date = {{ as_of_date() }}
),

specs as (
    {{- segment_spec_rows(specs) }}
),

segments as (
    select segment_name from specs
    union all
    select '{{ var("segment_fallback_name") }}' as segment_name
),

sizes as (
    select
        segment_name,
        count(*) as customers_count,
        count(case when is_primary then 1 end) as primary_count
    from history
    group by segment_name
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        segments.segment_name,
        coalesce(sizes.customers_count, 0) as customers_count,
        coalesce(sizes.primary_count, 0) as primary_count
    from segments
    left join sizes
        on segments.segment_name = sizes.segment_name
)

select * from final
