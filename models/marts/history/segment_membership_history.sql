{{ config(
    materialized='incremental',
    unique_key='as_of_date',
    incremental_strategy=(
        'insert_overwrite' if target.type == 'spark' else 'delete+insert'
    ),
    partition_by=(['as_of_date'] if target.type == 'spark' else none),
) }}
-- Who was in which segment on each as_of date: one row per as_of x customer x
-- segment, plus the fallback segment for customers who matched none (so every
-- customer has a primary row on every date). Each build replaces the rows of its
-- own as_of date, so building a date twice gives the same rows and past dates can
-- be backfilled (oldest first). A full refresh starts the history again.
-- On Spark (no delete on Parquet) the table is partitioned by as_of_date and a
-- build overwrites its date's partition.
with membership as (
    select * from {{ ref('segment_membership') }}
),

customer_segment as (
    select * from {{ ref('customer_segment') }}
),

-- customers with no primary membership (no match, or only segments that failed
-- QA) have the fallback as primary segment: customer_segment decides it
unsegmented as (
    select
        customer_key,
        primary_segment as segment_name,
        true as is_primary,
        case
            when matched_segments_count = 0 then 'matched no segment'
            else 'matched only segments that failed QA'
        end as match_reason
    from customer_segment
    where primary_segment_priority is null
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        customer_key,
        segment_name,
        is_primary,
        match_reason
    from (
        select
            customer_key,
            segment_name,
            is_primary,
            match_reason
        from membership
        union all
        select * from unsegmented
    ) as memberships
)

select * from final
