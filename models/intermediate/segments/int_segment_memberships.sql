-- Every segment each customer belongs to (its rule matched and no exclusion
-- applies), and the customer's primary segment, decided here once: the lowest
-- priority among activated segments wins, ties broken by segment name. A segment
-- that failed QA (int_segment_activation) keeps its members but is nobody's
-- primary segment. A customer with no primary segment (no match, or only
-- segments that failed QA) gets one more row: the fallback segment (var
-- segment_fallback_name), primary, with why.
with customer_profile as (
    select * from {{ ref('int_customer_profile') }}
),

candidates as (
    select * from {{ ref('int_segment_candidates') }}
),

activation as (
    select * from {{ ref('int_segment_activation') }}
),

members as (
    select
        candidates.customer_key,
        candidates.segment_name,
        candidates.priority,
        candidates.match_reason,
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
        row_number() over (
            partition by customer_key
            order by case when is_activated then 0 else 1 end, priority, segment_name
        ) as segment_rank,
        is_activated
    from members
),

per_customer as (
    select
        customer_key,
        count(*) as matched_segments_count,
        count(case when is_activated then 1 end) as activated_segments_count
    from members
    group by customer_key
),

fallback as (
    select
        customer_profile.customer_key,
        '{{ var("segment_fallback_name") }}' as segment_name,
        cast(null as integer) as priority,
        case
            when per_customer.customer_key is null then 'matched no segment'
            else 'matched only segments that failed QA'
        end as match_reason,
        cast(null as integer) as segment_rank,
        true as is_primary,
        true as is_fallback
    from customer_profile
    left join per_customer
        on customer_profile.customer_key = per_customer.customer_key
    where coalesce(per_customer.activated_segments_count, 0) = 0
),

final as (
    select
        cast(customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(priority as integer) as priority,
        cast(segment_rank as integer) as segment_rank,
        cast(is_primary as boolean) as is_primary,
        cast(is_fallback as boolean) as is_fallback,
        cast(match_reason as {{ dbt.type_string() }}) as match_reason
    from (
        select
            customer_key,
            segment_name,
            priority,
            match_reason,
            segment_rank,
            segment_rank = 1 and is_activated as is_primary,
            false as is_fallback
        from ranked
        union all
        select * from fallback
    ) as memberships
)

select * from final
