{#- Discount-dependent: repeat buyers who mostly order with a discount and sit in
    the bottom two fifths of this shop's margin. -#}
{% macro segment_spec__discount_dependent() %}
    {%- set rule -%}
        order_days_count >= 2
        and discount_share > {{ var('discount_dependent_min_discount_share') }}
        and margin_percentile < {{ var('segment_low_value_max_margin_percentile') }}
    {%- endset -%}
    {{ return({
        'name': 'discount_dependent',
        'purpose': 'Wean customers who mostly buy on discount at low margin off '
            ~ 'blanket codes: smaller offers or none, and value messages instead.',
        'rule': rule,
        'priority': 60,
        'owner': 'growth-owner@example.com',
        'refresh': 'weekly',
        'channels': ['email', 'dashboard'],
        'success_measure': 'Margin per member rises while their order rate holds, '
            ~ 'against a holdout.',
        'offer_hint': 'Value and quality messages; a smaller offer or none.',
        'expected_share': [0.0, 0.4],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
