-- Fails for any audience member who must not be sent to: no consent for the
-- channel, suppressed, erased, held out as control, or not in the segment as
-- their primary. Recomputed from the profile, the erasure requests and the hash,
-- independently of audience_candidates.
with audience as (
    select * from {{ ref('audience_members') }}
),

profile as (
    select * from {{ ref('customer_profile') }}
),

primary_segments as (
    select * from {{ ref('customer_segment') }}
),

erased as (
    select md5(email) as customer_key from {{ ref('stg_shop__erasure_requests') }}
),

checked as (
    select
        audience.channel,
        audience.segment_name,
        audience.customer_key,
        case
            when erased.customer_key is not null then 'erased'
            when profile.customer_key is null then 'not a customer'
            when primary_segments.primary_segment <> audience.segment_name
                then 'not the primary segment'
            when
                audience.channel in ('email', 'paid_social')
                and (not profile.has_email_consent or profile.is_email_suppressed)
                then 'email: no consent or suppressed'
            when audience.channel = 'paid_social' and profile.is_paid_social_suppressed
                then 'paid_social: suppressed'
            when
                audience.channel = 'sms'
                and (not profile.has_sms_consent or profile.is_sms_suppressed)
                then 'sms: no consent or suppressed'
            when {{ hash_fraction(
                "audience.customer_key || '|' || audience.segment_name || '|' || '"
                ~ var('holdout_experiment') ~ "'"
            ) }} < {{ var('holdout_share') }}
                then 'holdout control'
        end as problem
    from audience
    left join profile
        on audience.customer_key = profile.customer_key
    left join primary_segments
        on audience.customer_key = primary_segments.customer_key
    left join erased
        on audience.customer_key = erased.customer_key
)

select * from checked
where problem is not null
