{#- At risk: repeat buyers who are late against their own purchase rhythm. -#}
{% macro segment_spec__at_risk() %}
    {%- set rule -%}
        orders_count >= 2
        and is_overdue
        and days_since_last_order < {{ var('segment_lost_days') }}
    {%- endset -%}
    {{ return({
        'name': 'at_risk',
        'purpose': 'Remind repeat buyers who are overdue on their own purchase rhythm '
            ~ 'before they lapse for good.',
        'rule': rule,
        'priority': 40,
        'owner': 'crm-owner@example.com',
        'refresh': 'daily',
        'channels': ['email', 'sms', 'paid_social'],
        'success_measure': 'Share of members who order within 60 days, against a '
            ~ 'holdout.',
        'offer_hint': 'A reminder of what they usually buy.',
        'expected_share': [0.01, 0.30],
        'share_severity': 'warn',
        'allow_empty': false,
        'review_by': '2027-06-30',
    }) }}
{% endmacro %}
