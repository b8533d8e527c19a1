{#- New, needs a second purchase: one settled order within three of the shop's
    purchase cycles, contactable by email. -#}
{% macro segment_spec__new_second_purchase() %}
    {%- set rule -%}
        orders_count = 1
        and days_since_last_order >= least(
            {{ var('new_second_purchase_min_days') }}, shop_purchase_cycle_days / 2
        )
        and purchase_cycles_since_last_order <= 2 * {{ var('segment_active_cycles') }}
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
        'expected_share': [0.0, 0.4],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
