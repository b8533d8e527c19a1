{{ config(
    materialized='incremental',
    unique_key='as_of_date',
    incremental_strategy='delete+insert',
) }}
-- Who was in which segment on each as_of date: one row per as_of x customer x
-- segment. Each build replaces the rows of its own as_of date, so building a date
-- twice gives the same rows and past dates can be backfilled
-- (`segmart backfill`). A full refresh starts the history again.
with membership as (
    select * from {{ ref('segment_membership') }}
),

final as (
    select
        {{ as_of_date() }} as as_of_date,
        customer_key,
        segment_name,
        is_primary,
        match_reason
    from membership
)

select * from final
