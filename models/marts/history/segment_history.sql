-- Size of every segment on every as_of date in the history: members (every match)
-- and primary members.
with history as (
    select * from {{ ref('segment_membership_history') }}
),

final as (
    select
        as_of_date,
        segment_name,
        count(*) as customers_count,
        count(case when is_primary then 1 end) as primary_count
    from history
    group by as_of_date, segment_name
)

select * from final
