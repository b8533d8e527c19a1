-- One row per customer with every fact a segment spec may use, as of as_of: the
-- customer facts joined once. The segment rules (models/intermediate/segments/)
-- read it, and the BI-facing mart customer_profile publishes it unchanged.
-- No email, name, phone or postal code.
with customers as (
    select * from {{ ref('int_customers_identified') }}
),

order_facts as (
    select * from {{ ref('int_customer_order_facts') }}
),

rfm as (
    select * from {{ ref('int_customers_rfm_scored') }}
),

shop_relative as (
    select * from {{ ref('int_customers_shop_relative') }}
),

engagement as (
    select * from {{ ref('int_customer_engagement_facts') }}
),

service as (
    select * from {{ ref('int_customer_service_facts') }}
),

text_signals as (
    select * from {{ ref('int_customer_text_facts') }}
),

categories as (
    select * from {{ ref('int_customer_category_facts') }}
),

predictions as (
    select * from {{ ref('int_customers_predicted') }}
),

propensity as (
    select * from {{ ref('int_customer_propensity') }}
),

build_context as (
    select * from {{ ref('int_build_context') }}
),

joined as (
    select
        -- identity and attributes
        customers.customer_key,
        customers.has_account,
        customers.account_created_date,
        customers.customer_ids_count,
        customers.country,
        customers.region,
        customers.city,
        customers.language,
        customers.company_name,
        customers.company_size,
        customers.industry,
        customers.tags,
        customers.is_b2b,

        -- orders
        coalesce(order_facts.orders_count, 0) as orders_count,
        coalesce(order_facts.order_days_count, 0) as order_days_count,
        order_facts.first_order_date,
        order_facts.last_order_date,
        order_facts.days_since_last_order,
        order_facts.tenure_days,
        order_facts.gross_revenue,
        order_facts.discount_amount,
        order_facts.net_revenue,
        order_facts.refund_amount,
        order_facts.contribution_margin,
        order_facts.net_revenue_365d,
        order_facts.contribution_margin_365d,
        order_facts.average_order_value,
        order_facts.average_margin_per_order,
        order_facts.refund_rate,
        order_facts.return_rate,
        order_facts.discount_share,
        coalesce(order_facts.full_price_orders_count, 0) as full_price_orders_count,
        coalesce(order_facts.discounted_orders_count, 0) as discounted_orders_count,
        order_facts.has_cost_data,
        order_facts.last_order_status,
        order_facts.days_since_last_delivered_order,
        order_facts.is_last_order_refunded,

        -- rhythm
        order_facts.median_days_between_orders,
        order_facts.expected_next_order_date,
        coalesce(order_facts.is_overdue, false) as is_overdue,
        case
            when order_facts.is_overdue
                then
                    order_facts.days_since_last_order
                    - cast(round(
                        cast(order_facts.median_days_between_orders as decimal(18, 4))
                    ) as integer)
        end as days_overdue,

        -- this shop's distributions and rhythm
        shop_relative.margin_percentile,
        shop_relative.orders_count_percentile,
        shop_relative.order_frequency_percentile,
        shop_relative.orders_per_year,
        shop_relative.purchase_cycle_days,
        shop_relative.purchase_cycles_since_last_order,
        shop_relative.shop_purchase_cycle_days,
        shop_relative.shop_one_time_buyer_share,

        -- rfm
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        rfm.rfm_code,
        rfm.rfm_group,
        rfm.monetary_revenue_score,
        rfm.rfm_revenue_code,

        -- engagement and consent
        engagement.email_sends_30d,
        engagement.email_opens_30d,
        engagement.email_clicks_30d,
        engagement.email_sends_90d,
        engagement.email_opens_90d,
        engagement.email_clicks_90d,
        engagement.sms_sends_30d,
        engagement.sms_clicks_30d,
        engagement.sms_sends_90d,
        engagement.sms_clicks_90d,
        engagement.last_engaged_date,
        engagement.days_since_last_engagement,
        engagement.engagement_score,
        engagement.has_email_consent,
        engagement.has_sms_consent,
        engagement.is_email_suppressed,
        engagement.is_sms_suppressed,
        engagement.is_paid_social_suppressed,

        -- service
        service.tickets_count,
        service.tickets_90d,
        service.open_tickets_count,
        service.negative_satisfaction_count,
        service.negative_satisfaction_90d,
        service.last_ticket_date,
        coalesce(service.has_open_ticket, false) as has_open_ticket,

        -- text signals
        text_signals.last_ticket_sentiment,
        text_signals.negative_tickets_90d,
        coalesce(text_signals.has_open_urgent_ticket, false) as has_open_urgent_ticket,
        text_signals.last_ticket_intent,
        text_signals.reviews_count,
        text_signals.positive_reviews_count,
        coalesce(text_signals.has_reviewed, false) as has_reviewed,

        -- categories
        categories.top_category,
        coalesce(categories.categories_count, 0) as categories_count,
        categories.categories_bought,
        categories.next_category,
        categories.next_category_source,
        categories.is_next_category_in_stock,

        -- predictions (int_customers_predicted; null below its thresholds)
        predictions.probability_alive,
        1 - predictions.probability_alive as churn_risk,
        case
            when predictions.probability_alive is null then null
            when 1 - predictions.probability_alive >= {{ var('churn_risk_high_from') }}
                then 'high'
            when
                1 - predictions.probability_alive
                >= {{ var('churn_risk_medium_from') }}
                then 'medium'
            else 'low'
        end as churn_risk_band,
        predictions.predicted_orders_30d,
        predictions.expected_orders_90d,
        predictions.predicted_orders_365d,
        predictions.expected_margin_per_order,
        predictions.predicted_margin_365d,
        predictions.expected_revenue_per_order,
        predictions.predicted_revenue_365d,
        predictions.prediction_status,
        predictions.count_model,

        -- propensity scores (int_customer_propensity; null unless published)
        {%- for t in propensity_known_targets() %}
            propensity.propensity_{{ t }},
            propensity.propensity_{{ t }}_auc,
        {%- endfor %}
        propensity.propensity_as_of_date,

        build_context.as_of_date
    from customers
    cross join build_context
    left join order_facts
        on customers.customer_key = order_facts.customer_key
    left join rfm
        on customers.customer_key = rfm.customer_key
    left join shop_relative
        on customers.customer_key = shop_relative.customer_key
    left join engagement
        on customers.customer_key = engagement.customer_key
    left join service
        on customers.customer_key = service.customer_key
    left join text_signals
        on customers.customer_key = text_signals.customer_key
    left join categories
        on customers.customer_key = categories.customer_key
    left join predictions
        on customers.customer_key = predictions.customer_key
    left join propensity
        on customers.customer_key = propensity.customer_key
),

final as (
    select
        *,
        {{ lifecycle_stage() }} as lifecycle_stage,
        -- share of the customers with a prediction whose predicted margin is
        -- strictly lower (as margin_percentile); null without a prediction
        case
            when predicted_margin_365d is not null
                then cast(
                    percent_rank() over (
                        partition by predicted_margin_365d is null
                        order by predicted_margin_365d
                    ) as {{ type_double() }}
                )
        end as predicted_margin_percentile
    from joined
)

select * from final
