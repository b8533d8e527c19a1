-- Exactly one row per customer of customer_profile: the primary segment (lowest
-- priority among the segments the customer belongs to, ties broken by name), every
-- matched segment, and the RFM group and lifecycle stage beside them. A customer
-- who matches no segment gets the fallback segment (var segment_fallback_name).
with customer_profile as (
    select * from {{ ref('customer_profile') }}
),

membership as (
    select * from {{ ref('segment_membership') }}
),

matched as (
    select
        customer_key,
        max(case when is_primary then segment_name end) as primary_segment,
        max(case when is_primary then priority end) as primary_segment_priority,
        {{ listagg('segment_name', "','", 'order by priority, segment_name') }}
            as matched_segments,
        count(*) as matched_segments_count
    from membership
    group by customer_key
),

final as (
    select
        cast(customer_profile.customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(
            coalesce(
                matched.primary_segment, '{{ var("segment_fallback_name") }}'
            ) as {{ dbt.type_string() }}
        ) as primary_segment,
        cast(matched.primary_segment_priority as integer) as primary_segment_priority,
        cast(matched.matched_segments as {{ dbt.type_string() }}) as matched_segments,
        cast(coalesce(matched.matched_segments_count, 0) as integer)
            as matched_segments_count,
        cast(customer_profile.rfm_group as {{ dbt.type_string() }}) as rfm_group,
        cast(customer_profile.lifecycle_stage as {{ dbt.type_string() }})
            as lifecycle_stage,
        cast(customer_profile.as_of_date as date) as as_of_date
    from customer_profile
    left join matched
        on customer_profile.customer_key = matched.customer_key
)

select * from final
