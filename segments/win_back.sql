{#- Win-back: lapsed repeat buyers (4 to 8 usual gaps without an order) who still
    open our emails. -#}
{% macro segment_spec__win_back() %}
    {%- set rule -%}
        order_days_count >= 2
        and purchase_cycles_since_last_order > {{ var('segment_lapsed_cycles') }}
        and purchase_cycles_since_last_order <= {{ var('segment_lost_cycles') }}
        and email_opens_90d > 0
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
        'expected_share': [0.0, 0.2],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
