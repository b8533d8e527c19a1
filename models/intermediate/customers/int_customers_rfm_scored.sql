-- R, F and M quintile scores (1-5) for customers with orders up to as_of.
--   R: days since last order (fewer is better), F: orders_count,
--   M: contribution margin; M_revenue: net revenue, for comparison.
-- score = 1 + floor(5 * (rank - 1) / customers), rank ascending from worst, so
-- equal values always share a score (ties go to the lower score, deterministic).
with facts as (
    select * from {{ ref('int_customer_order_facts') }}
),

ranked as (
    select
        customer_key,
        count(*) over () as customers_count,
        rank() over (order by days_since_last_order desc) as recency_rank,
        rank() over (order by orders_count asc) as frequency_rank,
        rank() over (order by contribution_margin asc) as monetary_rank,
        rank() over (order by net_revenue asc) as monetary_revenue_rank
    from facts
),

scored as (
    select
        customer_key,
        {{ quintile_score('recency_rank', 'customers_count') }} as recency_score,
        {{ quintile_score('frequency_rank', 'customers_count') }} as frequency_score,
        {{ quintile_score('monetary_rank', 'customers_count') }} as monetary_score,
        {{ quintile_score('monetary_revenue_rank', 'customers_count') }}
            as monetary_revenue_score
    from ranked
),

rfm_map as (
    select * from {{ ref('rfm_segment_map') }}
),

final as (
    select
        scored.customer_key,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        scored.monetary_revenue_score,
        rfm_map.rfm_code,
        rfm_map.rfm_group,
        cast(scored.recency_score as {{ dbt.type_string() }})
        || cast(scored.frequency_score as {{ dbt.type_string() }})
        || cast(scored.monetary_revenue_score as {{ dbt.type_string() }})
            as rfm_revenue_code
    from scored
    inner join rfm_map
        on
            scored.recency_score = rfm_map.recency_score
            and scored.frequency_score = rfm_map.frequency_score
            and scored.monetary_score = rfm_map.monetary_score
)

select * from final
