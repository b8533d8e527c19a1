{#- Worth protecting: the customers this shop expects the most margin from over the
    next year (top fifth of predicted_margin_365d) whose churn risk is at least
    medium. A prediction, not a rule: it reads the rhythm of every repeat buyer at
    once and is null (so the segment is empty) in a shop too small to fit it. -#}
{% macro segment_spec__worth_protecting() %}
    {%- set rule -%}
        predicted_margin_percentile >= {{ var('segment_top_margin_percentile') }}
        and churn_risk >= {{ var('churn_risk_medium_from') }}
    {%- endset -%}
    {{ return({
        'name': 'worth_protecting',
        'purpose': 'Give the customers with the most predicted margin over the next '
            ~ 'year who may be slipping away a personal touch before they go.',
        'rule': rule,
        'priority': 25,
        'owner': 'crm-owner@example.com',
        'refresh': 'weekly',
        'channels': ['email', 'sales'],
        'success_measure': 'Margin from members over the next 90 days against a '
            ~ 'holdout, and the backtest error of the predictions (segmart backtest).',
        'offer_hint': 'A personal note or call, not a discount.',
        'expected_share': [0.0, 0.2],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
