{#- Lost: no order for more than 8 usual gaps (their own, else the shop's), and not
    reading our emails either. -#}
{% macro segment_spec__lost() %}
    {%- set rule -%}
        orders_count >= 1
        and purchase_cycles_since_last_order > {{ var('segment_lost_cycles') }}
    {%- endset -%}
    {%- set exclusions -%}
        -- still opening our emails: not lost yet
        email_opens_90d > 0
    {%- endset -%}
    {{ return({
        'name': 'lost',
        'purpose': 'Stop spending on customers who have not ordered for eight of their usual '
            ~ 'gaps: keep them out of paid audiences and send at most a last-chance '
            ~ 'message.',
        'rule': rule,
        'exclusions': exclusions,
        'priority': 110,
        'owner': 'growth-owner@example.com',
        'refresh': 'weekly',
        'channels': ['email', 'paid_social', 'dashboard'],
        'success_measure': 'Marketing cost saved on members, and the share who '
            ~ 'reactivate after the last-chance message.',
        'offer_hint': 'One last-chance message, then no more paid reach.',
        'expected_share': [0.0, 0.5],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
