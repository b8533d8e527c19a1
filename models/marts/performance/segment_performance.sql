-- Per segment, campaign and period (month sent): treatment vs control outcomes
-- within the attribution window and the lift (treatment - control) with a 95%
-- interval (normal approximation: difference of proportions for conversion,
-- Welch's standard error for money per recipient). See DECISIONLOG: attribution.
{%- set z = 1.96 %}

with exposures as (
    select * from {{ ref('campaign_exposures') }}
),

by_group as (
    select
        campaign_id,
        segment_name,
        experiment,
        channel,
        sent_date,
        is_window_complete,
        holdout_group,
        count(*) as recipients,
        avg(case when is_converted then 1 else 0 end) as conversion_rate,
        avg(cast(revenue_in_window as {{ type_double() }})) as revenue_per_recipient,
        avg(cast(margin_in_window as {{ type_double() }})) as margin_per_recipient,
        coalesce(var_samp(cast(margin_in_window as {{ type_double() }})), 0)
            as margin_variance,
        sum(cast(revenue_in_window as {{ type_double() }}))
        / nullif(sum(orders_in_window), 0) as average_order_value,
        avg(case when has_order_in_60_days then 1 else 0 end) as repeat_rate_60d,
        avg(case when is_unsubscribed then 1 else 0 end) as unsubscribe_rate
    from exposures
    group by
        campaign_id, segment_name, experiment, channel, sent_date,
        is_window_complete, holdout_group
),

treatment as (
    select * from by_group
    where holdout_group = 'treatment'
),

control as (
    select * from by_group
    where holdout_group = 'control'
),

paired as (
    select
        treatment.campaign_id,
        treatment.segment_name,
        treatment.experiment,
        treatment.channel,
        treatment.sent_date,
        treatment.is_window_complete,
        treatment.recipients as treatment_count,
        coalesce(control.recipients, 0) as control_count,
        treatment.conversion_rate as treatment_conversion_rate,
        control.conversion_rate as control_conversion_rate,
        treatment.revenue_per_recipient as treatment_revenue_per_recipient,
        control.revenue_per_recipient as control_revenue_per_recipient,
        treatment.margin_per_recipient as treatment_margin_per_recipient,
        control.margin_per_recipient as control_margin_per_recipient,
        treatment.average_order_value as treatment_average_order_value,
        control.average_order_value as control_average_order_value,
        treatment.repeat_rate_60d as treatment_repeat_rate_60d,
        control.repeat_rate_60d as control_repeat_rate_60d,
        treatment.unsubscribe_rate as treatment_unsubscribe_rate,
        treatment.conversion_rate - control.conversion_rate as conversion_lift,
        sqrt(
            treatment.conversion_rate * (1 - treatment.conversion_rate)
            / treatment.recipients
            + control.conversion_rate
            * (1 - control.conversion_rate)
            / control.recipients
        ) as conversion_lift_se,
        treatment.margin_per_recipient - control.margin_per_recipient as margin_lift,
        sqrt(
            treatment.margin_variance / treatment.recipients
            + control.margin_variance / control.recipients
        ) as margin_lift_se
    from treatment
    left join control
        on treatment.campaign_id = control.campaign_id
),

final as (
    select
        segment_name,
        campaign_id,
        cast({{ dbt.date_trunc('month', 'sent_date') }} as date) as period_month,
        experiment,
        channel,
        sent_date,
        is_window_complete,
        treatment_count + control_count as recipients,
        treatment_count,
        control_count,
        treatment_conversion_rate,
        control_conversion_rate,
        treatment_revenue_per_recipient,
        control_revenue_per_recipient,
        treatment_margin_per_recipient,
        control_margin_per_recipient,
        treatment_average_order_value,
        control_average_order_value,
        treatment_repeat_rate_60d,
        control_repeat_rate_60d,
        treatment_unsubscribe_rate,
        {{ round_double('conversion_lift', 6) }} as conversion_lift,
        {{ round_double('conversion_lift - ' ~ z ~ ' * conversion_lift_se', 6) }}
            as conversion_lift_ci_low,
        {{ round_double('conversion_lift + ' ~ z ~ ' * conversion_lift_se', 6) }}
            as conversion_lift_ci_high,
        {{ round_double('margin_lift', 6) }} as margin_lift,
        {{ round_double('margin_lift - ' ~ z ~ ' * margin_lift_se', 6) }}
            as margin_lift_ci_low,
        {{ round_double('margin_lift + ' ~ z ~ ' * margin_lift_se', 6) }}
            as margin_lift_ci_high
    from paired
)

select * from final
