{#- Win-back: lapsed repeat buyers who still open our emails. -#}
{% macro segment_spec__win_back() %}
    {%- set rule -%}
        orders_count >= 2
        and days_since_last_order >= {{ var('segment_lapsed_days') }}
        and email_opens_30d > 0
    {%- endset -%}
    {%- set exclusions -%}
        -- no incentive to buy while a complaint is still open
        has_open_ticket
    {%- endset -%}
    {{ return({
        'name': 'win_back',
        'purpose': 'Win back lapsed repeat buyers who still read our emails with a '
            ~ 'reason to return (new arrivals, a personal offer).',
        'rule': rule,
        'exclusions': exclusions,
        'priority': 50,
        'owner': 'crm-owner@example.com',
        'refresh': 'weekly',
        'channels': ['email'],
        'success_measure': 'Reactivation rate (an order within 60 days) and the margin '
            ~ 'of those orders, against a holdout.',
        'offer_hint': 'What is new since their last order, with a personal offer.',
        'expected_share': [0.0, 0.20],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-06-30',
    }) }}
{% endmacro %}
