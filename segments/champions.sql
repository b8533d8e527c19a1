{#- Champions: the repeat customers who earn this shop the most margin, and still
    buy on their usual rhythm. -#}
{% macro segment_spec__champions() %}
    {%- set rule -%}
        order_days_count >= 2
        and margin_percentile >= {{ var('segment_top_margin_percentile') }}
        and purchase_cycles_since_last_order <= {{ var('segment_active_cycles') }}
        and contribution_margin > 0
        and not coalesce(has_open_ticket, false)
    {%- endset -%}
    {%- set exclusions -%}
        -- serial returners are not champions, whatever they order
        coalesce(refund_rate, 0) > {{ var('champions_max_refund_rate') }}
    {%- endset -%}
    {{ return({
        'name': 'champions',
        'purpose': 'Thank and retain the active repeat customers who earn the most '
            ~ 'margin: early access and recognition, no discount they do not need.',
        'rule': rule,
        'exclusions': exclusions,
        'priority': 10,
        'owner': 'crm-owner@example.com',
        'refresh': 'daily',
        'channels': ['email', 'sms', 'paid_social'],
        'success_measure': 'Repeat-purchase rate and contribution margin per member '
            ~ 'over the next 90 days, against a holdout.',
        'offer_hint': 'Early access and thanks; no discount.',
        'expected_share': [0.01, 0.2],
        'share_severity': 'warn',
        'allow_empty': false,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
