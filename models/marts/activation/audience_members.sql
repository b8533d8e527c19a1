-- The audiences: primary-segment members contactable on the channel, treatment
-- group only, with what an ESP or ad-platform import needs and nothing more.
with candidates as (
    select * from {{ ref('audience_candidates') }}
),

final as (
    select
        channel,
        segment_name,
        customer_key,
        email,
        phone,
        first_name,
        offer_hint,
        as_of_date
    from candidates
    where exclusion_reason is null
)

select * from final
