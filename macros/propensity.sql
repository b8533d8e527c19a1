{#- The propensity targets segmart knows (segmart/discover/propensity.py, TARGETS):
    customer_profile has a score and an AUC column for each, null when the target
    is not fitted (var propensity_targets), withheld or never run. A test keeps
    this list and TARGETS equal. -#}
{% macro propensity_known_targets() -%}
    {{ return(['orders_again_30d', 'becomes_repeat_90d', 'top_account_lookalike_180d']) }}
{%- endmacro %}

{#- The published scores table of `segmart propensity`, or none when it was never
    run on this database (or during parsing). `segmart propensity` writes to
    DuckDB only: on PostgreSQL and Spark the score columns are null, and no
    catalogue lookup of a schema that does not exist is made. -#}
{% macro propensity_relation(identifier) -%}
    {%- if not execute or target.type != 'duckdb' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=target.database, schema='propensity', identifier=identifier
    )) }}
{%- endmacro %}

{#- Say in the build's log which targets are not published, and why: withheld by
    `segmart propensity`, or by this build's vars. -#}
{% macro log_withheld_propensity() -%}
    {%- set fits = propensity_relation('propensity_fits') -%}
    {%- if fits is none -%}
        {%- do log('propensity: no published scores in this database (run segmart propensity); every score column is null', info=true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set wanted = var('propensity_targets') -%}
    {%- set rows = run_query(
        'select target, published, holdout_auc, reason from ' ~ fits ~ ' order by target'
    ) -%}
    {%- for row in rows -%}
        {%- if not row[1] -%}
            {%- do log('propensity: ' ~ row[0] ~ ' withheld: ' ~ row[3], info=true) -%}
        {%- elif row[0] not in wanted -%}
            {%- do log('propensity: ' ~ row[0] ~ ' withheld: not in the var propensity_targets', info=true) -%}
        {%- elif row[2] < var('propensity_min_auc') -%}
            {%- do log('propensity: ' ~ row[0] ~ ' withheld: holdout AUC ' ~ row[2] ~ ' is below the var propensity_min_auc ' ~ var('propensity_min_auc'), info=true) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
