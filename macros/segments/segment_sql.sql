{#- SQL the segment models generate from the specs (segment_specs()). -#}

{#- One row per spec with every spec field, typed (a union of one-row selects, so
    it runs on every engine). With no spec at all: no rows, same columns. -#}
{% macro segment_spec_rows(specs) -%}
    {%- set text = dbt.type_string() -%}
    {%- for spec in specs or [none] %}
    select
        cast({{ segment_sql_string(spec.name if spec else '') }} as {{ text }})
            as segment_name,
        cast({{ segment_sql_string(spec.purpose if spec else '') }} as {{ text }})
            as purpose,
        cast({{ segment_sql_string(spec.rule_text if spec else '') }} as {{ text }})
            as rule,
        cast(
            {{ segment_sql_string(spec.exclusions_text if spec else '') }} as {{ text }}
        ) as exclusions,
        cast({{ spec.priority if spec else 0 }} as integer) as priority,
        cast({{ segment_sql_string(spec.owner if spec else '') }} as {{ text }})
            as owner,
        cast({{ segment_sql_string(spec.refresh if spec else '') }} as {{ text }})
            as refresh,
        cast({{ segment_sql_string((spec.channels if spec else []) | join(',')) }}
            as {{ text }}) as channels,
        cast({{ segment_sql_string(spec.success_measure if spec else '') }}
            as {{ text }}) as success_measure,
        cast({{ segment_sql_string(spec.offer_hint if spec else '') }} as {{ text }})
            as offer_hint,
        cast({{ spec.expected_share_min if spec else 0 }} as {{ type_double() }})
            as expected_share_min,
        cast({{ spec.expected_share_max if spec else 0 }} as {{ type_double() }})
            as expected_share_max,
        cast(
            {{ segment_sql_string(spec.share_severity if spec else '') }} as {{ text }}
        ) as share_severity,
        {{ 'true' if spec and spec.allow_empty else 'false' }} as allow_empty,
        cast({{ segment_sql_string(spec.review_by if spec else '2000-01-01') }} as date)
            as review_by,
        cast({{ segment_sql_string(spec.file if spec else '') }} as {{ text }})
            as spec_file
    {%- if not spec %}
    where false
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}


{#- "col=value, col=value" for the columns an expression uses: why a customer
    matched a rule (or an exclusion). Doubles are rounded to 3 places. `qualifier`
    (e.g. 'profile') prefixes each column when other relations are joined. -#}
{% macro segment_reason_sql(columns, types, qualifier=none) -%}
    {%- if columns | length == 0 -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        concat_ws(
            ', '
            {%- for column in columns %},
            {%- set quoted = column if modules.re.match('^[a-z_][a-z0-9_]*$', column)
                else adapter.quote(column) %}
            {%- set quoted = qualifier ~ '.' ~ quoted if qualifier else quoted %}
            {%- set is_double = types.get(column | lower, '')
                in ['double', 'double precision', 'float', 'float8', 'real'] %}
            {%- set text = double_text(round_double(quoted, 3)) if is_double
                else 'cast(' ~ quoted ~ ' as ' ~ dbt.type_string() ~ ')' %}
            '{{ column }}='
            || coalesce({{ text }}, 'null')
            {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}


{#- A boolean SQL expression that is true only when `sql` is true (null: false);
    `false` for an empty expression (no exclusions). -#}
{% macro segment_condition_sql(sql) -%}
    {%- if sql | trim == '' -%}
        false
    {%- else -%}
        coalesce((
            {{ sql }}
        ), false)
    {%- endif -%}
{%- endmacro %}


{#- Every customer x segment whose rule matches (the rows of int_segment_candidates
    before casting): customer_key, segment_name, priority, is_excluded,
    match_reason, exclusion_values. With no spec at all: no rows. -#}
{% macro segment_matches_sql(specs, types) -%}
    {%- for spec in specs %}
    select
        customer_key,
        '{{ spec.name }}' as segment_name,
        {{ spec.priority }} as priority,
        {{ segment_condition_sql(spec.exclusions) }} as is_excluded,
        {{ segment_reason_sql(spec.rule_columns, types) }} as match_reason,
        {{ segment_reason_sql(spec.exclusion_columns, types) }} as exclusion_values
    from customer_profile
    where (
        {{ spec.rule }}
    )
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- else %}
    select
        customer_key,
        '' as segment_name,
        0 as priority,
        false as is_excluded,
        '' as match_reason,
        '' as exclusion_values
    from customer_profile
    where false
    {%- endfor %}
{%- endmacro %}
