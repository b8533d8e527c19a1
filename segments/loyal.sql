{#- Loyal: repeat buyers on their usual rhythm who order more often than half of
    this shop's buyers and earn margin (champions win first). -#}
{% macro segment_spec__loyal() %}
    {%- set rule -%}
        order_days_count >= 2
        and purchase_cycles_since_last_order <= {{ var('segment_active_cycles') }}
        and order_frequency_percentile >= {{ var('loyal_min_frequency_percentile') }}
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
        'expected_share': [0.02, 0.5],
        'share_severity': 'warn',
        'allow_empty': false,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
