{#- Angry high-value: service first, no promotion. Wins over every other segment. -#}
{% macro segment_spec__angry_high_value() %}
    {%- set rule -%}
        margin_percentile >= {{ var('segment_high_value_min_margin_percentile') }}
        and (
            negative_tickets_90d > 0
            or (
                negative_satisfaction_count > 0
                and last_ticket_date >= as_of_date - 90
            )
        )
    {%- endset -%}
    {{ return({
        'name': 'angry_high_value',
        'purpose': 'Route high-margin customers with a recent bad service experience '
            ~ 'to a person first, and keep every promotion away until it is resolved.',
        'rule': rule,
        'priority': 1,
        'owner': 'service-lead@example.com',
        'refresh': 'daily',
        'channels': ['service', 'sales'],
        'success_measure': 'Share of members who order again within 90 days, and '
            ~ 'time to resolve their tickets.',
        'offer_hint': 'No promotion: a personal apology and a fix first.',
        'expected_share': [0.0, 0.05],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
