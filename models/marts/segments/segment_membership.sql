-- Every segment each customer belongs to (its rule matched and no exclusion
-- applies), with the segment's priority, whether it is the customer's primary
-- segment and why the customer matched: int_segment_memberships without the
-- fallback rows (customer_segment names the fallback).
with memberships as (
    select * from {{ ref('int_segment_memberships') }}
),

final as (
    select
        customer_key,
        segment_name,
        priority,
        segment_rank,
        is_primary,
        match_reason
    from memberships
    where not is_fallback
)

select * from final
