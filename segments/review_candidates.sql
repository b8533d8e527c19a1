{#- Review candidates: a recent delivered order, no bad signal, no review yet. -#}
{% macro segment_spec__review_candidates() %}
    {%- set rule -%}
        days_since_last_delivered_order <= {{ var('review_candidates_max_days') }}
        and not coalesce(is_last_order_refunded, false)
        and not coalesce(has_open_ticket, false)
        and coalesce(negative_satisfaction_count, 0) = 0
        and coalesce(last_ticket_sentiment, 'none') <> 'negative'
        and not coalesce(has_reviewed, false)
    {%- endset -%}
    {{ return({
        'name': 'review_candidates',
        'purpose': 'Ask customers with a recent, trouble-free delivery for a product '
            ~ 'review while the experience is fresh.',
        'rule': rule,
        'priority': 90,
        'owner': 'crm-owner@example.com',
        'refresh': 'daily',
        'channels': ['email', 'sms'],
        'success_measure': 'Review submission rate of members and the average rating '
            ~ 'of the reviews collected.',
        'offer_hint': 'Ask for a review of their last order.',
        'expected_share': [0.0, 0.30],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
