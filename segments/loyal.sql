{#- Loyal: repeat buyers on their own rhythm who earn margin (champions win first). -#}
{% macro segment_spec__loyal() %}
    {%- set rule -%}
        orders_count >= 2
        and not is_overdue
        and days_since_last_order <= {{ var('segment_active_days') }}
        and contribution_margin > 0
    {%- endset -%}
    {{ return({
        'name': 'loyal',
        'purpose': 'Reward repeat buyers who keep to their own purchase rhythm with '
            ~ 'loyalty perks and new-product news instead of discounts.',
        'rule': rule,
        'priority': 30,
        'owner': 'crm-owner@example.com',
        'refresh': 'weekly',
        'channels': ['email', 'sms'],
        'success_measure': 'Orders per member over 180 days and the share still loyal '
            ~ 'at the next review.',
        'offer_hint': 'A loyalty perk or new arrivals; no discount.',
        'expected_share': [0.02, 0.35],
        'share_severity': 'warn',
        'allow_empty': false,
        'review_by': '2027-06-30',
    }) }}
{% endmacro %}
