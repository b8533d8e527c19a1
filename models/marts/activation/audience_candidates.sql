-- Every primary-segment member x channel of the segment's spec (email, sms,
-- paid_social), with the reason they are left out of the audience, if any:
-- suppressed, no_consent, no_phone (sms), holdout_control. A segment that failed
-- QA is nobody's primary segment (int_segment_activation), so it has no rows here.
-- Personal data: schema `activation`, for the audience exports only.
{%- set channels = ['email', 'sms', 'paid_social'] %}

with customer_segment as (
    select * from {{ ref('customer_segment') }}
),

library as (
    select * from {{ ref('segment_library') }}
),

profile as (
    select * from {{ ref('int_customer_profile') }}
),

identities as (
    select * from {{ ref('int_customers_identified') }}
),

holdouts as (
    select * from {{ ref('segment_holdouts') }}
    where experiment = '{{ var("holdout_experiment") }}'
),

members as (
    select
        customer_segment.customer_key,
        customer_segment.primary_segment as segment_name,
        library.channels,
        library.offer_hint,
        identities.email,
        identities.first_name,
        identities.phone,
        identities.phone is not null as has_phone,
        profile.has_email_consent,
        profile.has_sms_consent,
        profile.is_email_suppressed,
        profile.is_sms_suppressed,
        profile.is_paid_social_suppressed,
        coalesce(holdouts.holdout_group, 'treatment') as holdout_group,
        profile.as_of_date
    from customer_segment
    inner join library
        on customer_segment.primary_segment = library.segment_name
    inner join profile
        on customer_segment.customer_key = profile.customer_key
    inner join identities
        on customer_segment.customer_key = identities.customer_key
    left join holdouts
        on
            customer_segment.customer_key = holdouts.customer_key
            and customer_segment.primary_segment = holdouts.segment_name
),

by_channel as (
    {% for channel in channels %}
        select
            customer_key,
            segment_name,
            '{{ channel }}' as channel,
            email,
            cast({{ 'phone' if channel == 'sms' else 'null' }} as {{ dbt.type_string() }})  -- noqa: LT05
                as phone,
            first_name,
            offer_hint,
            holdout_group,
            coalesce(
                {{ not_contactable_reason(channel) }},
                case when holdout_group = 'control' then 'holdout_control' end
            ) as exclusion_reason,
            as_of_date
        from members
        where ',' || channels || ',' like '%,{{ channel }},%'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from by_channel
