-- One row per customer: email/SMS activity in 30 and 90 days before as_of, last
-- engagement, engagement score, consent and suppression per channel.
-- Consent: the latest consent event wins (the customer record's consent at
-- consent_updated_at, or an unsubscribe event after it). Suppressed: a bounce or
-- spam complaint event, or a row of the suppression list (its channel or 'all').
-- Without an engagement export the activity columns are null, not zero.
{%- set metrics = [
    ('email', 'sent', 'sends'), ('email', 'opened', 'opens'),
    ('email', 'clicked', 'clicks'), ('sms', 'sent', 'sends'), ('sms', 'clicked', 'clicks'),
] %}

-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

customers as (
    select * from {{ ref('int_customers_identified') }}
),

events as (
    select * from {{ ref('stg_shop__engagement_events') }}
    where email is not null and cast(occurred_at as date) <= {{ as_of_date() }}
),

suppressions as (
    select * from {{ ref('stg_shop__suppressions') }}
    where suppressed_at is null or cast(suppressed_at as date) <= {{ as_of_date() }}
),

has_events as (
    select count(*) > 0 as is_present from events
),

event_facts as (
    select
        email,
        {% for channel, event_type, name in metrics %}
            {% for days in [30, 90] %}
                sum(
                    case
                        when
                            channel = '{{ channel }}'
                            and event_type = '{{ event_type }}'
                            and cast(occurred_at as date)
                            > {{ dbt.dateadd('day', -days, as_of_date()) }}
                            then 1
                        else 0
                    end
                ) as {{ channel }}_{{ name }}_{{ days }}d,
            {% endfor %}
        {% endfor %}
        max(
            case
                when event_type in ('opened', 'clicked') then cast(occurred_at as date)
            end
        ) as last_engaged_date,
        max(
            case
                when channel = 'email' and event_type = 'unsubscribed' then occurred_at
            end
        ) as email_unsubscribed_at,
        max(
            case
                when channel = 'sms' and event_type = 'unsubscribed' then occurred_at
            end
        ) as sms_unsubscribed_at,
        max(
            case
                when channel = 'email' and event_type in ('bounced', 'spam_complaint')
                    then 1
                else 0
            end
        ) = 1 as has_email_bounce_or_complaint,
        max(
            case
                when channel = 'sms' and event_type in ('bounced', 'spam_complaint')
                    then 1
                else 0
            end
        ) = 1 as has_sms_bounce_or_complaint
    from events
    group by email
),

suppression_facts as (
    select
        email,
        max(case when channel in ('email', 'all') then 1 else 0 end) = 1
            as is_on_email_suppression_list,
        max(case when channel in ('sms', 'all') then 1 else 0 end) = 1
            as is_on_sms_suppression_list,
        max(case when channel in ('paid_social', 'all') then 1 else 0 end) = 1
            as is_on_paid_social_suppression_list
    from suppressions
    group by email
),

final as (
    select
        customers.customer_key,

        -- activity (null when there is no engagement export)
        {% for channel, event_type, name in metrics %}
            {% for days in [30, 90] %}
                case
                    when has_events.is_present
                        then cast(coalesce(
                            event_facts.{{ channel }}_{{ name }}_{{ days }}d, 0
                        ) as bigint)
                end as {{ channel }}_{{ name }}_{{ days }}d,
            {% endfor %}
        {% endfor %}
        event_facts.last_engaged_date,
        {{ days_between('event_facts.last_engaged_date', as_of_date()) }}
            as days_since_last_engagement,
        case
            when has_events.is_present
                then cast(round(100 * least(
                    1.0,
                    (
                        coalesce(event_facts.email_opens_90d, 0)
                        + 2 * coalesce(event_facts.email_clicks_90d, 0)
                        + 2 * coalesce(event_facts.sms_clicks_90d, 0)
                    ) * 1.0 / greatest(
                        coalesce(event_facts.email_sends_90d, 0)
                        + coalesce(event_facts.sms_sends_90d, 0),
                        1
                    )
                ), 1) as {{ type_double() }})
        end as engagement_score,

        -- consent: the latest consent event wins
        coalesce(
            customers.email_consent
            and (
                event_facts.email_unsubscribed_at is null
                or event_facts.email_unsubscribed_at < customers.consent_updated_at
            ),
            false
        ) as has_email_consent,
        coalesce(
            customers.sms_consent
            and (
                event_facts.sms_unsubscribed_at is null
                or event_facts.sms_unsubscribed_at < customers.consent_updated_at
            ),
            false
        ) as has_sms_consent,

        -- suppression
        coalesce(event_facts.has_email_bounce_or_complaint, false)
        or coalesce(suppression_facts.is_on_email_suppression_list, false)
            as is_email_suppressed,
        coalesce(event_facts.has_sms_bounce_or_complaint, false)
        or coalesce(suppression_facts.is_on_sms_suppression_list, false)
            as is_sms_suppressed,
        coalesce(suppression_facts.is_on_paid_social_suppression_list, false)
            as is_paid_social_suppressed
    from customers
    cross join has_events
    left join event_facts
        on customers.email = event_facts.email
    left join suppression_facts
        on customers.email = suppression_facts.email
)

select * from final
