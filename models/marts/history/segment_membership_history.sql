{{ config(
    materialized='incremental',
    unique_key='as_of_date',
    incremental_strategy=(
        'insert_overwrite' if target.type == 'spark' else 'delete+insert'
    ),
    partition_by=(['as_of_date'] if target.type == 'spark' else none),
    pre_hook="{{ forget_erased_customers(ref('int_erased_customers')) }}",
) }}
-- Who was in which segment on each as_of date: one row per as_of x customer x
-- segment, plus the fallback segment for customers who matched none (so every
-- customer has a primary row on every date; int_segment_memberships decides both).
-- Each build replaces the rows of its own as_of date, so building a date twice
-- gives the same rows and past dates can be backfilled (oldest first). A full
-- refresh starts the history again.
-- On Spark (no delete on Parquet) the table is partitioned by as_of_date and a
-- build overwrites its date's partition.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

memberships as (
    select * from {{ ref('int_segment_memberships') }}
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        customer_key,
        segment_name,
        is_primary,
        match_reason
    from memberships
)

select * from final
