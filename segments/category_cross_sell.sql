{#- Category cross-sell: customers within one usual gap of their last order, the
    next category they may buy, in stock. -#}
{% macro segment_spec__category_cross_sell() %}
    {%- set rule -%}
        purchase_cycles_since_last_order <= {{ var('cross_sell_max_cycles') }}
        and next_category is not null
        and is_next_category_in_stock
        and (
            categories_bought is null
            or (',' || replace(categories_bought, ', ', ',') || ',')
            not like ('%,' || next_category || ',%')
        )
    {%- endset -%}
    {%- set exclusions -%}
        -- sort out their open issue before selling them more
        has_open_ticket
    {%- endset -%}
    {{ return({
        'name': 'category_cross_sell',
        'purpose': 'Recommend to active customers the in-stock category that customers '
            ~ 'like them buy next, to widen what they buy from us.',
        'rule': rule,
        'exclusions': exclusions,
        'priority': 80,
        'owner': 'merchandising-owner@example.com',
        'refresh': 'weekly',
        'channels': ['email', 'paid_social'],
        'success_measure': 'Share of members who buy in their next category within 60 '
            ~ 'days, against a holdout.',
        'offer_hint': 'Their next category (next_category), in stock now.',
        'expected_share': [0.0, 0.5],
        'share_severity': 'warn',
        'allow_empty': true,
        'review_by': '2027-12-31',
    }) }}
{% endmacro %}
