{#- New, needs a second purchase: one settled order, contactable by email. -#}
{% macro segment_spec__new_second_purchase() %}
    {%- set rule -%}
        orders_count = 1
        and days_since_last_order >= {{ var('new_second_purchase_min_days') }}
        and days_since_last_order < {{ var('segment_active_days') }}
        and not coalesce(is_last_order_refunded, false)
        and has_email_consent
        and not coalesce(is_email_suppressed, false)
    {%- endset -%}
    {{ return({
        'name': 'new_second_purchase',
        'purpose': 'Turn one-time buyers into repeat customers with a second-purchase '
            ~ 'nudge once their first order has settled.',
        'rule': rule,
        'priority': 70,
        'owner': 'crm-owner@example.com',
        'refresh': 'daily',
        'channels': ['email'],
        'success_measure': 'Second-order rate within 60 days of entering, against a '
            ~ 'holdout.',
        'offer_hint': 'A recommendation for their second order.',
        'expected_share': [0.02, 0.40],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-06-30',
    }) }}
{% endmacro %}
