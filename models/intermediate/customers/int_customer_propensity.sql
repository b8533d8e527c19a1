-- Published propensity scores, one row per scored customer and one score column
-- per known target (macro propensity_known_targets), with the target's holdout
-- AUC and the as_of date the scores were computed at. `segmart propensity` writes
-- them into the schema propensity (docs/discover.md); on a database where it never
-- ran, this model has the same typed columns and no rows, so the first build (and
-- PostgreSQL and Spark, where segmart propensity does not write) builds.
-- A score is kept only when its target is in the var propensity_targets, its AUC
-- reaches the var propensity_min_auc, and it was computed on or before this
-- build's as_of (a build at an earlier as_of does not see scores from its future).
{%- set targets = propensity_known_targets() -%}
{%- set scores_relation = propensity_relation('customer_propensity_scores') -%}
{%- if execute -%}{{ log_withheld_propensity() }}{%- endif %}
{% if scores_relation is none %}

with final as (
    select
        cast(null as {{ dbt.type_string() }}) as customer_key,
        {%- for t in targets %}
            cast(null as {{ type_double() }}) as propensity_{{ t }},
            cast(null as {{ type_double() }}) as propensity_{{ t }}_auc,
        {%- endfor %}
        cast(null as date) as propensity_as_of_date
)

select * from final
where customer_key is not null

{% else %}

with scores as (
    select * from {{ scores_relation }}
),

build_context as (
    select * from {{ ref('int_build_context') }}
),

published as (
    select
        scores.customer_key,
        scores.target,
        scores.score,
        scores.holdout_auc,
        scores.as_of_date
    from scores
    cross join build_context
    where
        scores.as_of_date <= build_context.as_of_date
        and scores.holdout_auc >= {{ var('propensity_min_auc') }}
        and scores.target in ('{{ var("propensity_targets") | join("', '") }}')
),

final as (
    select
        customer_key,
        {%- for t in targets %}
            cast(
                max(case when target = '{{ t }}' then score end)
                as {{ type_double() }}
            ) as propensity_{{ t }},
            cast(
                max(case when target = '{{ t }}' then holdout_auc end)
                as {{ type_double() }}
            ) as propensity_{{ t }}_auc,
        {%- endfor %}
        max(as_of_date) as propensity_as_of_date
    from published
    group by customer_key
)

select * from final

{% endif %}
