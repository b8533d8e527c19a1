-- Exactly one row per customer of the profile: the primary segment (decided in
-- int_segment_memberships: the lowest priority among activated segments, ties
-- broken by name, else the fallback segment), every matched segment, and the RFM
-- group and lifecycle stage beside them. primary_segment_priority is null when
-- the primary segment is the fallback.
with customer_profile as (
    select * from {{ ref('int_customer_profile') }}
),

memberships as (
    select * from {{ ref('int_segment_memberships') }}
),

primary_segment as (
    select
        customer_key,
        segment_name,
        priority
    from memberships
    where is_primary
),

matched as (
    select
        customer_key,
        {{ listagg('segment_name', "','", 'order by priority, segment_name') }}
            as matched_segments,
        count(*) as matched_segments_count
    from memberships
    where not is_fallback
    group by customer_key
),

final as (
    select
        cast(customer_profile.customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(primary_segment.segment_name as {{ dbt.type_string() }})
            as primary_segment,
        cast(primary_segment.priority as integer) as primary_segment_priority,
        cast(matched.matched_segments as {{ dbt.type_string() }}) as matched_segments,
        cast(coalesce(matched.matched_segments_count, 0) as integer)
            as matched_segments_count,
        cast(customer_profile.rfm_group as {{ dbt.type_string() }}) as rfm_group,
        cast(customer_profile.lifecycle_stage as {{ dbt.type_string() }})
            as lifecycle_stage,
        cast(customer_profile.as_of_date as date) as as_of_date
    from customer_profile
    left join primary_segment
        on customer_profile.customer_key = primary_segment.customer_key
    left join matched
        on customer_profile.customer_key = matched.customer_key
)

select * from final
