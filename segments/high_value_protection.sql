{#- High-value protection: do not discount customers who pay full price anyway. -#}
{% macro segment_spec__high_value_protection() %}
    {%- set rule -%}
        monetary_score >= {{ var('segment_high_value_min_monetary_score') }}
        and orders_count >= 2
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
        'expected_share': [0.01, 0.25],
        'share_severity': 'warn',
        'allow_empty': false,
        'review_by': '2027-06-30',
    }) }}
{% endmacro %}
