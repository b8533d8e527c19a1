{#- Unengaged subscribers: mailed but opened nothing in 90 days. -#}
{% macro segment_spec__unengaged_subscribers() %}
    {%- set rule -%}
        has_email_consent
        and not coalesce(is_email_suppressed, false)
        and email_sends_90d > 0
        and coalesce(email_opens_90d, 0) = 0
    {%- endset -%}
    {{ return({
        'name': 'unengaged_subscribers',
        'purpose': 'Send less email to subscribers who opened nothing in 90 days, to '
            ~ 'protect deliverability, and sunset them if they stay silent.',
        'rule': rule,
        'priority': 100,
        'owner': 'email-owner@example.com',
        'refresh': 'weekly',
        'channels': ['email', 'paid_social'],
        'success_measure': 'Open and inbox-placement rate of the whole list; complaint '
            ~ 'and unsubscribe rate of this group.',
        'offer_hint': 'Fewer emails; ask whether they still want them.',
        'expected_share': [0.0, 0.50],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
