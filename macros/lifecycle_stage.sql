{#- Lifecycle stage from orders_count and days_since_last_order; the first that
    holds wins. Thresholds are vars:
      prospect      no order
      dormant       no order for more than var('dormant_days') days
      lapsing       no order for more than var('lapsing_days') days
      new           one order
      early_repeat  2 .. var('loyal_min_orders') - 1 orders
      loyal         var('loyal_min_orders') or more orders -#}
{% macro lifecycle_stage(orders_count='orders_count', days_since='days_since_last_order') -%}
    case
        when {{ orders_count }} = 0 then 'prospect'
        when {{ days_since }} > {{ var('dormant_days') }} then 'dormant'
        when {{ days_since }} > {{ var('lapsing_days') }} then 'lapsing'
        when {{ orders_count }} = 1 then 'new'
        when {{ orders_count }} < {{ var('loyal_min_orders') }} then 'early_repeat'
        else 'loyal'
    end
{%- endmacro %}
