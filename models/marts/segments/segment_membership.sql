-- Every segment each customer belongs to (its rule matched and no exclusion
-- applies), with the segment's priority and whether it is the customer's primary
-- segment: the lowest priority among activated segments wins, ties broken by
-- segment name. A segment that failed QA (segment_activation) keeps its members
-- but is nobody's primary segment, so it cannot take customers from the others.
with candidates as (
    select * from {{ ref('segment_candidates') }}
),

activation as (
    select * from {{ ref('segment_activation') }}
),

members as (
    select
        candidates.*,
        coalesce(activation.is_activated, false) as is_activated
    from candidates
    left join activation
        on candidates.segment_name = activation.segment_name
    where not candidates.is_excluded
),

ranked as (
    select
        customer_key,
        segment_name,
        priority,
        match_reason,
        is_activated,
        row_number() over (
            partition by customer_key
            order by case when is_activated then 0 else 1 end, priority, segment_name
        ) as segment_rank
    from members
),

final as (
    select
        cast(customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(priority as integer) as priority,
        cast(segment_rank as integer) as segment_rank,
        cast(segment_rank = 1 and is_activated as boolean) as is_primary,
        cast(match_reason as {{ dbt.type_string() }}) as match_reason
    from ranked
)

select * from final
