{#- Build-wide constants, each computed once in int_build_context. The macros
    build an expression, not a dependency: a model that uses them reads
    int_build_context itself, in a CTE named build_context:

        with build_context as (
            select * from {{ ref('int_build_context') }}
        ),
-#}

{#- The evaluation date of the build (doc `as_of`), as a scalar expression. -#}
{% macro as_of_date() -%}
    (select build_context.as_of_date from build_context)
{%- endmacro %}

{#- The currency every amount is converted to (doc `base_currency`). -#}
{% macro base_currency() -%}
    (select build_context.base_currency from build_context)
{%- endmacro %}

{#- Days from `start` to `end` (dates), engine-independent, as a bigint (an
    integer on PostgreSQL and Spark otherwise). -#}
{% macro days_between(start, end) -%}
    cast({{ dbt.datediff(start, end, 'day') }} as bigint)
{%- endmacro %}

{#- Median of an expression, per engine. -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'segmart')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{#- Convert an amount in its own currency to the base currency (one place). -#}
{% macro to_base_currency(amount, fx_rate) -%}
    {{ return(adapter.dispatch('to_base_currency', 'segmart')(amount, fx_rate)) }}
{%- endmacro %}

{% macro default__to_base_currency(amount, fx_rate) -%}
    cast(
        round(
            cast({{ amount }} as decimal(38, 4)) * cast({{ fx_rate }} as decimal(38, 10)),
            2
        )
        as decimal(18, 2)
    )
{%- endmacro %}

{#- RFM quintile score 1-5 from a rank (1 = worst) among `total` customers:
    1 + floor(5 (rank - 1) / total); equal ranks give equal scores. -#}
{% macro quintile_score(rank, total) -%}
    cast(1 + floor(5.0 * ({{ rank }} - 1) / {{ total }}) as integer)
{%- endmacro %}
