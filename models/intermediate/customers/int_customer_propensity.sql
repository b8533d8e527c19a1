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
{%- set wanted = var('propensity_targets') | join("', '") -%}
{%- set scores_relation = propensity_relation('customer_propensity_scores') -%}
{%- if execute -%}{{ log_withheld_propensity() }}{%- endif %}

with scores as (
    {%- if scores_relation is none %}
        -- segmart propensity never ran here: no rows, the same types
        select
            cast(null as {{ dbt.type_string() }}) as customer_key,
            cast(null as {{ dbt.type_string() }}) as target_name,
            cast(null as {{ type_double() }}) as score,
            cast(null as {{ type_double() }}) as holdout_auc,
            cast(null as date) as as_of_date
        where 1 = 0
    {%- else %}
        select
            customer_key,
            target as target_name,
            score,
            holdout_auc,
            as_of_date
        from {{ scores_relation }}
    {%- endif %}
),

build_context as (
    select * from {{ ref('int_build_context') }}
),

published as (
    select
        scores.customer_key,
        scores.target_name,
        scores.score,
        scores.holdout_auc,
        scores.as_of_date
    from scores
    cross join build_context
    where
        scores.as_of_date <= build_context.as_of_date
        and scores.holdout_auc >= {{ var('propensity_min_auc') }}
        and scores.target_name in ('{{ wanted }}')
),

final as (
    select
        customer_key,
        {%- for t in targets %}
            cast(
                max(case when target_name = '{{ t }}' then score end)
                as {{ type_double() }}
            ) as propensity_{{ t }},
            cast(
                max(case when target_name = '{{ t }}' then holdout_auc end)
                as {{ type_double() }}
            ) as propensity_{{ t }}_auc,
        {%- endfor %}
        max(as_of_date) as propensity_as_of_date
    from published
    group by customer_key
)

select * from final
