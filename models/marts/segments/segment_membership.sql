-- Every segment each customer belongs to (its rule matched and no exclusion
-- applies), with the segment's priority and whether it is the customer's primary
-- segment: the lowest priority wins, ties broken by segment name.
with candidates as (
    select * from {{ ref('segment_candidates') }}
),

members as (
    select * from candidates
    where not is_excluded
),

ranked as (
    select
        customer_key,
        segment_name,
        priority,
        match_reason,
        row_number() over (
            partition by customer_key
            order by priority, segment_name
        ) as segment_rank
    from members
),

final as (
    select
        cast(customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(priority as integer) as priority,
        cast(segment_rank as integer) as segment_rank,
        cast(segment_rank = 1 as boolean) as is_primary,
        cast(match_reason as {{ dbt.type_string() }}) as match_reason
    from ranked
)

select * from final
