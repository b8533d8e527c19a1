{#- PostgreSQL implementations of the project's dispatched macros (the `postgres`
    target). The shared macros name the portable default; only what PostgreSQL
    does differently from it is here. Where DuckDB has try_cast / try_strptime,
    PostgreSQL gets small PL/pgSQL functions that return null instead of failing
    (created by postgres__land_raw_files, before anything runs, in the raw
    schema), so an unreadable value is quarantined instead of failing the build. -#}

{#- Before anything runs: the raw tables written by `segmart load` must be there
    (default__land_raw_files), then the helper functions are (re)created. -#}
{% macro postgres__land_raw_files() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- do segmart.default__land_raw_files() -%}
    {%- set schema = var('raw_schema') -%}
    {%- set functions -%}
        {%- for name, data_type in [
            ('timestamptz', 'timestamptz'),
            ('timestamp', 'timestamp'),
            ('date', 'date'),
        ] %}
        create or replace function {{ schema }}.segmart_try_{{ name }}(value text)
        returns {{ data_type }} language plpgsql stable parallel safe as $fn$
        begin
            return value::{{ data_type }};
        exception when others then
            return null;
        end
        $fn$;
        {%- endfor %}
        create or replace function {{ schema }}.segmart_unit_test_text(value anyelement)
        returns text language sql immutable parallel safe as $fn$
            select case
                when pg_typeof(value) = 'numeric'::regtype
                    then trim_scale(value::text::numeric)::text
                else value::text
            end
        $fn$;
        create or replace function {{ schema }}.segmart_try_strptime(
            value text, format text
        )
        returns timestamp language plpgsql stable parallel safe as $fn$
        begin
            return to_timestamp(value, format)::timestamp;
        exception when others then
            return null;
        end
        $fn$;
    {%- endset -%}
    {%- do run_query(functions) -%}
    {{ return('') }}
{% endmacro %}

{#- Out-of-range numbers give null (DuckDB's try_cast), not an error. The text
    must be a number (parse_decimal and parse_integer check it with a pattern).
    The outer cast keeps the type's precision and scale (a case alone loses them).
    dbt's unit tests cast their fixtures with this macro too. -#}
{% macro postgres__safe_cast(expression, data_type) -%}
    {%- set decimal = modules.re.match(
        '^(decimal|numeric)\\s*\\(\\s*(\\d+)\\s*,\\s*(\\d+)\\s*\\)$', data_type | trim
    ) -%}
    {%- if decimal -%}
        {%- set precision = decimal.group(2) | int -%}
        {%- set scale = decimal.group(3) | int -%}
        cast(case
            when abs(round(cast({{ expression }} as numeric), {{ scale }}))
                < 1e{{ precision - scale }}
                then cast({{ expression }} as {{ data_type }})
        end as {{ data_type }})
    {%- elif data_type | trim | lower in ['integer', 'int', 'int4'] -%}
        case
            when abs(round(cast({{ expression }} as numeric))) <= 2147483647
                then cast({{ expression }} as integer)
        end
    {%- elif data_type | trim | lower in ['bigint', 'int8'] -%}
        case
            when abs(round(cast({{ expression }} as numeric))) <= 9223372036854775807
                then cast({{ expression }} as bigint)
        end
    {%- else -%}
        cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#- strptime format (DuckDB) -> a pattern of the accepted text and the format of
    PostgreSQL's to_timestamp. -#}
{% macro postgres__strptime_parts(format) -%}
    {%- set directives = {
        'Y': ('[0-9]{4}', 'YYYY'), 'y': ('[0-9]{2}', 'YY'),
        'm': ('[0-9]{1,2}', 'MM'), 'd': ('[0-9]{1,2}', 'DD'),
        'H': ('[0-9]{1,2}', 'HH24'), 'I': ('[0-9]{1,2}', 'HH12'),
        'M': ('[0-9]{1,2}', 'MI'), 'S': ('[0-9]{1,2}', 'SS'),
        'f': ('[0-9]{1,6}', 'US'), 'p': ('[AaPp][Mm]', 'AM'),
        'b': ('[A-Za-z]{3}', 'Mon'), 'j': ('[0-9]{1,3}', 'DDD'),
    } -%}
    {%- set pattern = [] -%}
    {%- set pg_format = [] -%}
    {%- set state = {'directive': false} -%}
    {%- for char in format -%}
        {%- if state.directive -%}
            {%- do state.update({'directive': false}) -%}
            {%- if char == '%' -%}
                {%- do pattern.append('%') -%}{%- do pg_format.append('%') -%}
            {%- elif char in directives -%}
                {%- do pattern.append(directives[char][0]) -%}
                {%- do pg_format.append(directives[char][1]) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error(
                    "segmart: local_timestamp_format '" ~ format ~ "': %" ~ char
                    ~ " is not supported on PostgreSQL (macros/engines/postgres.sql)"
                ) }}
            {%- endif -%}
        {%- elif char == '%' -%}
            {%- do state.update({'directive': true}) -%}
        {%- elif char.isalnum() -%}
            {%- do pattern.append(char) -%}{%- do pg_format.append('"' ~ char ~ '"') -%}
        {%- else -%}
            {%- do pattern.append('[' ~ char ~ ']' if char != ' ' else ' ') -%}
            {%- do pg_format.append(char) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return((pattern | join(''), pg_format | join(''))) }}
{%- endmacro %}

{#- strptime that gives null when the text does not have the format. -#}
{% macro postgres__try_strptime(text, format) -%}
    {%- set parts = postgres__strptime_parts(format) -%}
    case
        when {{ regex_full_match(text, parts[0]) }}
            then {{ var('raw_schema') }}.segmart_try_strptime(
                {{ text }}, '{{ parts[1] }}'
            )
    end
{%- endmacro %}

{% macro postgres__parse_timestamp(column) -%}
    {%- set text = 'trim(' ~ column ~ ')' -%}
    {%- set fn = var('raw_schema') ~ '.segmart_try_' -%}
    {%- set iso = '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?' -%}
    case
        when {{ regex_full_match(text, iso ~ '\\s?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)') }}
            then {{ fn }}timestamptz({{ text }}) at time zone 'UTC'
        when {{ regex_full_match(text, '[0-9]{9,10}') }}
            then to_timestamp(cast({{ text }} as bigint)) at time zone 'UTC'
        when {{ regex_full_match(text, '[0-9]{12,13}') }}
            then to_timestamp(cast({{ text }} as bigint) / 1000.0) at time zone 'UTC'
        when {{ regex_full_match(text, iso) }}
            then ({{ fn }}timestamp({{ text }}) at time zone '{{ var("source_timezone") }}')
            at time zone 'UTC'
        else (
            coalesce(
                {{ postgres__try_strptime(text, var('local_timestamp_format')) }},
                {{ postgres__try_strptime(text, local_date_format() | trim) }}
            ) at time zone '{{ var("source_timezone") }}'
        ) at time zone 'UTC'
    end
{%- endmacro %}

{% macro postgres__parse_date(column) -%}
    {%- set text = 'trim(' ~ column ~ ')' -%}
    case
        when {{ regex_full_match(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?') }}
            then {{ var('raw_schema') }}.segmart_try_date(left({{ text }}, 10))
        else cast(
            {{ postgres__try_strptime(text, local_date_format() | trim) }} as date
        )
    end
{%- endmacro %}

{#- The same JSON text as DuckDB's json_object: no spaces, keys in order. -#}
{% macro postgres__raw_values_json(columns) -%}
    '{' ||
    {%- for col in columns %}
    '{{ "," if not loop.first }}"{{ col }}":'
    || coalesce(to_json(cast({{ col }} as text))::text, 'null') ||
    {%- endfor %}
    '}'
{%- endmacro %}

{#- Letters of any script: [:alnum:] follows the database's (UTF-8) locale. -#}
{% macro postgres__snake_case(column) -%}
    nullif(
        trim(
            regexp_replace(lower(trim({{ column }})), '[^[:alnum:]]+', '_', 'g'),
            '_'
        ),
        ''
    )
{%- endmacro %}

{#- The table `segmart pg-build` wrote for this model: the result of the dbt Python
    model of the same name, run by segmart.pg_build between two dbt steps
    (models/intermediate/postgres/). A clear error when it is missing. -#}
{% macro python_model_output() -%}
    {%- set name = this.identifier ~ '__py' -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(
            database=this.database, schema=this.schema, identifier=name
        ) -%}
        {%- if relation is none -%}
            {{ exceptions.raise_compiler_error(
                "segmart: " ~ this.schema ~ "." ~ name ~ " is missing. On " ~ target.type
                ~ " the dbt Python model " ~ this.identifier ~ " runs outside dbt: build"
                ~ " with `segmart pg-build` (README, \"Target PostgreSQL\")."
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ this.schema }}.{{ name }}
{%- endmacro %}

{#- dbt casts a unit test's expected rows to the model's column types, read from a
    table created from the model; PostgreSQL drops a numeric's declared scale
    through case and coalesce, so an expected 51 (numeric) would differ from an
    actual 51.00. On PostgreSQL unit tests therefore compare every value as text,
    numbers without trailing zeros (trim_scale): by value, as on DuckDB. -#}
{% macro postgres__get_unit_test_sql(main_sql, expected_fixture_sql, expected_column_names) -%}
    {%- set compare = var('raw_schema') ~ '.segmart_unit_test_text' -%}
    with dbt_internal_unit_test_actual as (
        select
            {%- for column in expected_column_names %}
            {{ compare }}({{ column }}) as {{ column }},
            {%- endfor %}
            {{ dbt.string_literal("actual") }} as {{ adapter.quote("actual_or_expected") }}
        from (
            {{ main_sql }}
        ) as _dbt_internal_unit_test_actual
    ),

    dbt_internal_unit_test_expected as (
        select
            {%- for column in expected_column_names %}
            {{ compare }}({{ column }}) as {{ column }},
            {%- endfor %}
            {{ dbt.string_literal("expected") }} as {{ adapter.quote("actual_or_expected") }}
        from (
            {{ expected_fixture_sql }}
        ) as _dbt_internal_unit_test_expected
    )

    select * from dbt_internal_unit_test_actual
    union all
    select * from dbt_internal_unit_test_expected
{%- endmacro %}

{#- Contracts declare 8-byte floats as `double` (DuckDB's and Spark's name), which
    PostgreSQL calls `double precision`: the contract's column list is translated
    before dbt writes the DDL and the empty-schema query. -#}
{% macro postgres__contract_columns(columns) %}
    {%- set translated = {} -%}
    {%- for key, column in columns.items() -%}
        {%- set copy = dict(column) -%}
        {%- if (column.get('data_type') or '') | trim | lower == 'double' -%}
            {%- do copy.update({'data_type': 'double precision'}) -%}
        {%- endif -%}
        {%- do translated.update({key: copy}) -%}
    {%- endfor -%}
    {{ return(translated) }}
{% endmacro %}

{% macro postgres__get_empty_schema_sql(columns) %}
    {{ return(dbt.default__get_empty_schema_sql(postgres__contract_columns(columns))) }}
{% endmacro %}

{% macro postgres__get_table_columns_and_constraints() %}
    {%- set columns = adapter.render_raw_columns_constraints(
        raw_columns=postgres__contract_columns(model['columns'])
    ) -%}
    {%- set constraints = adapter.render_raw_model_constraints(
        raw_constraints=model['constraints']
    ) -%}
    (
        {{ (columns + constraints) | join(',\n') }}
    )
{% endmacro %}

{#- round(double, places) exists only for numerics; half away from zero, as on
    DuckDB. -#}
{% macro postgres__round_double(expression, places) -%}
    cast(round(cast({{ expression }} as numeric), {{ places }}) as double precision)
{%- endmacro %}

{#- PostgreSQL writes a whole double without ".0" (80); DuckDB writes 80.0 below
    1e16 and both write 1e+16 and 0.333 alike. -#}
{% macro postgres__double_text(expression) -%}
    case
        when {{ expression }} = trunc({{ expression }}) and abs({{ expression }}) < 1e16
            then cast(cast({{ expression }} as numeric) as text) || '.0'
        else cast({{ expression }} as text)
    end
{%- endmacro %}

{#- BI access (post-hook of every mart, dbt_project.yml): var('bi_role')
    (segmart_bi, created by scripts/pg_start.sh) may select a mart that is in the
    marts schema (target.schema, `main`) and has no personal column (meta.pii, or
    a name like email, phone, first_name, last_name, postal_code). It gets no
    grant anywhere else: not raw, staging, intermediate or activation. A role
    that does not exist is skipped (a server set up another way). -#}
{% macro postgres__bi_grants() -%}
    {%- set role = var('bi_role') -%}
    {%- set personal = ['email', 'phone', 'first_name', 'last_name', 'postal_code'] -%}
    {%- set columns = model.get('columns', {}).values() | list -%}
    {%- set has_pii = columns | selectattr('meta') | map(attribute='meta')
        | selectattr('pii') | list | length > 0
        or columns | map(attribute='name') | select('in', personal) | list | length > 0 -%}
    {%- if role and this.schema == target.schema and not has_pii
        and model.get('resource_type') in ['model', 'seed', 'snapshot'] %}
        do $grant$
        begin
            if exists (select from pg_roles where rolname = '{{ role }}') then
                -- two threads granting on one schema at once fail: take turns
                perform pg_advisory_xact_lock(hashtext('segmart.bi_grants'));
                if not has_schema_privilege(
                    '{{ role }}', '{{ this.schema }}', 'usage'
                ) then
                    grant usage on schema {{ adapter.quote(this.schema) }}
                        to {{ adapter.quote(role) }};
                end if;
                grant select on {{ this }} to {{ adapter.quote(role) }};
            end if;
        end
        $grant$
    {%- endif -%}
{%- endmacro %}

{#- portable.sql -#}

{% macro postgres__text_hash(expression) -%}
    hashtextextended({{ expression }}, 0)
{%- endmacro %}
