{#- High-value protection: repeat buyers in the top two fifths of this shop's margin
    who mostly pay full price; do not send them discounts they do not need. -#}
{% macro segment_spec__high_value_protection() %}
    {%- set rule -%}
        order_days_count >= 2
        and margin_percentile >= {{ var('segment_high_value_min_margin_percentile') }}
        and discount_share <= {{ var('high_value_protection_max_discount_share') }}
    {%- endset -%}
    {{ return({
        'name': 'high_value_protection',
        'purpose': 'Keep discount codes away from high-margin customers who mostly buy '
            ~ 'at full price: suppress them from promotional offers.',
        'rule': rule,
        'priority': 20,
        'owner': 'crm-owner@example.com',
        'refresh': 'weekly',
        'channels': ['email', 'sms', 'paid_social'],
        'success_measure': 'Discount cost avoided while their order rate holds, '
            ~ 'against a holdout that receives the usual offers.',
        'offer_hint': 'No discount codes; new arrivals at full price.',
        'expected_share': [0.0, 0.4],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
