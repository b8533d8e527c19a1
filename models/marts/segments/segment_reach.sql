-- Per segment and channel: primary members, how many can be reached, and why the
-- others cannot (a segment of 900 with 400 reachable is visible here).
with candidates as (
    select * from {{ ref('audience_candidates') }}
),

final as (
    select
        segment_name,
        channel,
        count(*) as members_count,
        count(case when exclusion_reason is null then 1 end) as audience_count,
        count(case when exclusion_reason = 'suppressed' then 1 end) as suppressed_count,
        count(case when exclusion_reason = 'no_consent' then 1 end) as no_consent_count,
        count(case when exclusion_reason = 'no_phone' then 1 end) as no_phone_count,
        count(case when exclusion_reason = 'holdout_control' then 1 end)
            as holdout_control_count
    from candidates
    group by segment_name, channel
)

select * from final
