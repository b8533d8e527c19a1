-- customer_segment has exactly one row per customer of customer_profile: nobody
-- missing, nobody extra, nobody twice, and the row counts agree.
with customer_profile as (
    select * from {{ ref('customer_profile') }}
),

customer_segment as (
    select * from {{ ref('customer_segment') }}
),

profile_count as (
    select count(*) as profile_rows from customer_profile
),

segment_count as (
    select count(*) as segment_rows from customer_segment
),

problems as (
    select
        customer_profile.customer_key,
        'missing from customer_segment' as problem
    from customer_profile
    left join customer_segment
        on customer_profile.customer_key = customer_segment.customer_key
    where customer_segment.customer_key is null

    union all

    select
        customer_segment.customer_key,
        'not in customer_profile' as problem
    from customer_segment
    left join customer_profile
        on customer_segment.customer_key = customer_profile.customer_key
    where customer_profile.customer_key is null

    union all

    select
        customer_key,
        'more than one row' as problem
    from customer_segment
    group by customer_key
    having count(*) > 1

    union all

    select
        cast(null as {{ dbt.type_string() }}) as customer_key,
        'row counts differ' as problem
    from profile_count
    cross join segment_count
    where profile_count.profile_rows <> segment_count.segment_rows
)

select * from problems
