{#- At risk: repeat buyers late against their usual gap (1.5 to 4 gaps without an
    order), before they lapse. -#}
{% macro segment_spec__at_risk() %}
    {%- set rule -%}
        order_days_count >= 2
        and purchase_cycles_since_last_order > {{ var('segment_active_cycles') }}
        and purchase_cycles_since_last_order <= {{ var('segment_lapsed_cycles') }}
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
        'expected_share': [0.01, 0.3],
        'share_severity': 'warn',
        'allow_empty': false,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
