{#- Spark (dbt-spark) implementations of the project's engine-specific macros, and
    the Spark-only helpers. The dispatching macros and their DuckDB and default
    versions live beside their callers (macros/parsing.sql, ...). -#}

{#- Register raw.<table> over the Parquet folders `segmart load --target spark`
    wrote (<location>/<table>/): run by the loader as
    `dbt run-operation spark_register_raw --args '{location: ..., tables: [...]}'`.
    The column types come from the files (text, _raw_row bigint, _loaded_at
    timestamp). External tables: dropping one leaves its files. -#}
{% macro spark_register_raw(location, tables) %}
    {%- set raw_schema = var('raw_schema') -%}
    {%- do run_query('create schema if not exists ' ~ raw_schema) -%}
    {%- for table in tables -%}
        {%- do run_query('drop table if exists ' ~ raw_schema ~ '.' ~ table) -%}
        {%- do run_query(
            'create table ' ~ raw_schema ~ '.' ~ table ~ " using parquet location '"
            ~ location.rstrip('/') ~ '/' ~ table ~ "'"
        ) -%}
    {%- endfor -%}
    {{ log('segmart: registered ' ~ tables | length ~ ' raw tables in schema '
        ~ raw_schema ~ ' over ' ~ location, info=true) }}
{% endmacro %}


{#- Spark SQL string literals treat a backslash as an escape character ('\s' is
    's'): a regex pattern written for DuckDB and PostgreSQL ('\s', '\p{L}') keeps
    its backslashes only when they are doubled. -#}
{% macro spark_regex_literal(pattern) -%}
    '{{ pattern | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{#- parsing.sql -#}

{% macro spark__regex_full_match(expression, pattern) -%}
    ({{ expression }} rlike {{ spark_regex_literal('^(?:' ~ pattern ~ ')\\z') }})
{%- endmacro %}

{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, {{ spark_regex_literal(pattern) }}, '{{ replacement }}')
{%- endmacro %}

{% macro spark__safe_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- var('local_timestamp_format') (strptime, as DuckDB reads it) as a Spark
    datetime pattern. One-letter fields read one or more digits, as strptime does
    ('3/5/2024 9:05' matches %m/%d/%Y %H:%M). -#}
{% macro spark_datetime_pattern(strptime_format) -%}
    {%- set fields = {
        'Y': 'y', 'y': 'yy', 'm': 'M', 'd': 'd', 'H': 'H', 'I': 'h', 'M': 'm',
        'S': 's', 'f': 'SSSSSS', 'p': 'a', 'b': 'MMM', 'B': 'MMMM', '%': '%',
    } -%}
    {%- set out = [] -%}
    {%- set state = {'percent': false} -%}
    {%- for char in strptime_format -%}
        {%- if state.percent -%}
            {%- if char not in fields -%}
                {{ exceptions.raise_compiler_error(
                    "segmart: local_timestamp_format '" ~ strptime_format ~ "': %"
                    ~ char ~ " has no Spark equivalent here (supported: %"
                    ~ fields.keys() | join(', %') ~ ")"
                ) }}
            {%- endif -%}
            {%- do out.append(fields[char]) -%}
            {%- do state.update({'percent': false}) -%}
        {%- elif char == '%' -%}
            {%- do state.update({'percent': true}) -%}
        {%- elif char.isalpha() -%}
            {%- do out.append("''" ~ char ~ "''") -%}
        {%- else -%}
            {%- do out.append(char) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ out | join('') }}
{%- endmacro %}

{#- As duckdb__parse_timestamp: an offset or Z is converted to UTC, epoch seconds
    and milliseconds are UTC, other ISO text
    and the local format are read in var('source_timezone'). Timestamps are
    Spark TIMESTAMPs in the session time zone, which the profile sets to UTC. -#}
{% macro spark__parse_timestamp(column) -%}
    {%- set text = 'trim(' ~ column ~ ')' -%}
    {%- set iso = '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?' -%}
    {%- set timezone = var('source_timezone') -%}
    case
        when {{ regex_full_match(text, iso ~ '\\s?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)') }}
            then try_cast(upper({{ text }}) as timestamp)
        when {{ regex_full_match(text, '[0-9]{9,10}') }}
            then timestamp_seconds(cast({{ text }} as bigint))
        when {{ regex_full_match(text, '[0-9]{12,13}') }}
            then timestamp_millis(cast({{ text }} as bigint))
        when {{ regex_full_match(text, iso) }}
            then to_utc_timestamp(try_cast({{ text }} as timestamp), '{{ timezone }}')
        else to_utc_timestamp(
            coalesce(
                try_to_timestamp(
                    {{ text }}, '{{ spark_datetime_pattern(var("local_timestamp_format")) }}'
                ),
                try_to_timestamp(
                    {{ text }}, '{{ spark_datetime_pattern(local_date_format()) }}'
                )
            ),
            '{{ timezone }}'
        )
    end
{%- endmacro %}

{% macro spark__parse_date(column) -%}
    {%- set text = 'trim(' ~ column ~ ')' -%}
    case
        when {{ regex_full_match(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?') }}
            then try_cast(left({{ text }}, 10) as date)
        else cast(
            try_to_timestamp(
                {{ text }}, '{{ spark_datetime_pattern(local_date_format()) }}'
            ) as date
        )
    end
{%- endmacro %}

{#- The same text as DuckDB's json_object: compact, nulls kept. -#}
{% macro spark__raw_values_json(columns) -%}
    to_json(
        named_struct(
            {%- for col in columns %}
            '{{ col }}', {{ col }}{{ ',' if not loop.last }}
            {%- endfor %}
        ),
        map('ignoreNullFields', 'false')
    )
{%- endmacro %}

{#- as_of.sql: the interpolated median, as DuckDB's median. -#}
{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}

{#- activation.sql: k / 2^32 as a double, exactly as on DuckDB. -#}
{% macro spark__hash_fraction(expression) -%}
    cast(conv(substr(md5({{ expression }}), 1, 8), 16, 10) as double) / 4294967296
{%- endmacro %}

{#- staging_rows.sql -#}
{% macro spark__split_to_rows(column) -%}
    explode(split({{ column }}, ','))
{%- endmacro %}

{#- dbt's listagg on Spark ignores its order (dbt-spark warns); Spark 4 has the
    standard listagg ... within group. -#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- if limit_num -%}
        {{ exceptions.raise_compiler_error('segmart: listagg with a limit on Spark') }}
    {%- endif -%}
    listagg({{ measure }}, {{ delimiter_text }})
    {%- if order_by_clause %} within group ({{ order_by_clause }}){% endif %}
{%- endmacro %}

{#- "Coffee Beans" -> coffee_beans; letters of any script are kept. -#}
{% macro spark__snake_case(column) -%}
    nullif(
        trim(
            both '_' from
            {{ regexp_replace_all('lower(trim(' ~ column ~ '))', '[^\\p{L}\\p{N}]+', '_') }}
        ),
        ''
    )
{%- endmacro %}

{#- Type names that Spark spells differently, for the data types declared in YAML
    (contracts: dbt casts null to each declared type): varchar has no length-free
    form on Spark, `double precision` is `double`. -#}
{% macro spark_type_name(data_type) -%}
    {%- set spelled = data_type | trim | lower -%}
    {%- if spelled in ['varchar', 'text', 'character varying'] -%}
        string
    {%- elif spelled == 'double precision' -%}
        double
    {%- else -%}
        {{ data_type }}
    {%- endif -%}
{%- endmacro %}

{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ spark_type_name(type) }})
{%- endmacro %}

{#- as_of.sql: decimal(38, 4) x decimal(38, 10) would keep only 6 decimals on
    Spark (its precision cap); these operand types keep the product exact. -#}
{% macro spark__to_base_currency(amount, fx_rate) -%}
    cast(
        round(
            cast({{ amount }} as decimal(20, 4)) * cast({{ fx_rate }} as decimal(20, 10)),
            2
        )
        as decimal(18, 2)
    )
{%- endmacro %}

{#- portable.sql -#}

{% macro spark__text_hash(expression) -%}
    case when ({{ expression }}) is not null then xxhash64({{ expression }}) end
{%- endmacro %}

{#- staging_rows.sql: Spark inlines every CTE, so the narrowing of
    default__label_rows (the parsed rows read five times) makes plans that Spark
    takes minutes to optimise. Two windows over all rows instead: the same labels
    (copies by raw values, then versions by key, `latest_first`, the line further
    down the file), the same columns. -#}
{% macro spark__label_rows(relation, key, latest_first) -%}
    {%- set keys = [key] if key is string else key %}
    with hashed as (
        select
            *,
            {{ text_hash('raw_values') }} as _values_hash,
            {{ key_hash(keys) }} as _key_hash
        from {{ relation }}
    ),

    copies as (
        select
            *,
            row_number() over (
                partition by raw_values order by _raw_row
            ) as exact_copy_number
        from hashed
    ),

    versions as (
        select
            *,
            case
                when exact_copy_number = 1 and quarantine_reason is null
                    then row_number() over (
                        partition by
                            {{ keys | join(', ') }},
                            (exact_copy_number = 1 and quarantine_reason is null)
                        order by {{ latest_first }}, _raw_row desc
                    )
                else 1
            end as version_number
        from copies
    ),

    labelled_lines as (
        select
            *,
            case
                when exact_copy_number > 1 then 'exact_duplicate'
                when quarantine_reason is not null then 'quarantined'
                when version_number > 1 then 'superseded'
                else 'staged'
            end as row_status
        from versions
    )

    select {{ raw_values_of_unstaged_lines() }}
    from labelled_lines
{%- endmacro %}

{% macro spark__customer_key(email, inner_pad, outer_pad) -%}
    sha2(concat(
        unhex('{{ outer_pad }}'),
        unhex(sha2(concat(unhex('{{ inner_pad }}'), cast({{ email }} as binary)), 256))
    ), 256)
{%- endmacro %}
