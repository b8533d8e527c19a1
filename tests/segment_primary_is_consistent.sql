-- Every customer has a primary segment: the one membership flagged primary, or the
-- fallback segment when the customer belongs to no activated segment; and every
-- customer in an activated segment has exactly one primary segment, the lowest
-- priority among the activated ones (int_segment_activation: a segment that failed QA
-- is nobody's primary segment).
with customer_segment as (
    select * from {{ ref('customer_segment') }}
),

membership as (
    select * from {{ ref('segment_membership') }}
),

activation as (
    select * from {{ ref('int_segment_activation') }}
),

activated_membership as (
    select membership.*
    from membership
    inner join activation
        on membership.segment_name = activation.segment_name
    where activation.is_activated
),

primaries as (
    select
        customer_key,
        sum(case when is_primary then 1 else 0 end) as primary_rows,
        min(priority) as lowest_priority,
        max(case when is_primary then priority end) as primary_priority,
        max(case when is_primary then segment_name end) as primary_segment
    from activated_membership
    group by customer_key
),

problems as (
    select
        customer_segment.customer_key,
        customer_segment.primary_segment,
        primaries.primary_segment as expected_primary_segment
    from customer_segment
    left join primaries
        on customer_segment.customer_key = primaries.customer_key
    where
        customer_segment.primary_segment is null
        or (
            primaries.customer_key is null
            and customer_segment.primary_segment
            <> '{{ var("segment_fallback_name") }}'
        )
        or primaries.primary_rows <> 1
        or primaries.primary_priority <> primaries.lowest_priority
        or primaries.primary_segment <> customer_segment.primary_segment
)

select * from problems
