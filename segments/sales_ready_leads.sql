{#- Sales-ready leads: asked to buy (a quote, bulk, availability) or compared us
    with another shop in a recent ticket; the text signals say so. -#}
{% macro segment_spec__sales_ready_leads() %}
    {%- set rule -%}
        last_ticket_intent in ('buying', 'comparison')
        and last_ticket_date >= as_of_date - {{ var('sales_ready_leads_max_days') }}
    {%- endset -%}
    {%- set exclusions -%}
        -- an unhappy customer gets service first, not a sales call
        coalesce(negative_tickets_90d, 0) > 0
    {%- endset -%}
    {{ return({
        'name': 'sales_ready_leads',
        'purpose': 'Route people who recently asked to buy or compared prices to a '
            ~ 'salesperson for a same-day personal reply.',
        'rule': rule,
        'exclusions': exclusions,
        'priority': 3,
        'owner': 'sales-lead@example.com',
        'refresh': 'daily',
        'channels': ['sales', 'email'],
        'success_measure': 'Share of members who order within 14 days, and their '
            ~ 'average order margin, against the holdout.',
        'offer_hint': 'Personal reply from sales with a quote.',
        'expected_share': [0.0, 0.05],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
