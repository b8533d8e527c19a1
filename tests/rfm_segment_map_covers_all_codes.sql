-- Fails unless every RFM code 111..555 appears in the map exactly once, with
-- scores that match its digits, and the map uses exactly the 11 classic groups.
with scores as (
    select cast(generated_number as integer) as score
    from ({{ dbt.generate_series(5) }}) as series
),

codes as (
    select
        r.score as recency_score,
        f.score as frequency_score,
        m.score as monetary_score,
        cast(r.score as {{ dbt.type_string() }})
        || cast(f.score as {{ dbt.type_string() }})
        || cast(m.score as {{ dbt.type_string() }}) as rfm_code
    from scores as r
    cross join scores as f
    cross join scores as m
),

rfm_map as (
    select * from {{ ref('rfm_segment_map') }}
),

missing_or_wrong as (
    select codes.rfm_code
    from codes
    left join rfm_map
        on
            codes.rfm_code = rfm_map.rfm_code
            and codes.recency_score = rfm_map.recency_score
            and codes.frequency_score = rfm_map.frequency_score
            and codes.monetary_score = rfm_map.monetary_score
    where rfm_map.rfm_code is null
),

extra as (
    select rfm_map.rfm_code
    from rfm_map
    left join codes
        on rfm_map.rfm_code = codes.rfm_code
    where codes.rfm_code is null
),

groups_present as (
    select count(distinct rfm_group) as groups_count from rfm_map
),

unknown_groups as (
    select distinct rfm_group
    from rfm_map
    where rfm_group not in (
        'Champions', 'Loyal', 'Potential Loyalist', 'New', 'Promising',
        'Need Attention', 'About To Sleep', 'At Risk', 'Can''t Lose',
        'Hibernating', 'Lost'
    )
)

select rfm_code from missing_or_wrong
union all
select rfm_code from extra
union all
select 'only ' || cast(groups_count as {{ dbt.type_string() }}) || ' groups'
from groups_present
where groups_count <> 11
union all
select 'unknown group ' || rfm_group from unknown_groups
