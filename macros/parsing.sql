{#- Parsing and normalising raw text, used by the staging base models.
    Each parse_* macro returns an expression that is null when the text is blank
    or cannot be read; base models flag "not blank but null" as an error for the
    row. Engine-specific pieces go through adapter.dispatch. -#}

{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{% macro regex_full_match(expression, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'segmart')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(expression, pattern) -%}
    ({{ expression }} ~ '^(?:{{ pattern }})$')
{%- endmacro %}

{% macro duckdb__regex_full_match(expression, pattern) -%}
    regexp_full_match({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{#- Every match of `pattern` replaced (spark__ in macros/engines/spark.sql). -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'segmart')(
        expression, pattern, replacement
    )) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Email: trimmed, lower-cased; null unless it looks like local@domain.tld. -#}
{% macro parse_email(column) -%}
    case
        when {{ regex_full_match(
            'lower(trim(' ~ column ~ '))', '[^@\\s]+@[^@\\s]+\\.[^@\\s.]+'
        ) }}
            then lower(trim({{ column }}))
    end
{%- endmacro %}

{#- Money: 1234.5, "$1,234.50", "1234.5 USD", "€ 99", "(12.00)" (negative), "-3";
    with var('decimal_comma') also "1.234,50" and "12,50 €". Null when blank or
    unreadable. Always decimal(18, 2): parse_decimal with scale 2. -#}
{% macro parse_money(column) -%}
    {{ parse_decimal(column, 2) }}
{%- endmacro %}

{#- A decimal number as decimal(18, scale), read like money (the one implementation
    of number text: grouping separators, currency symbols or codes, parentheses for
    negatives, var('decimal_comma')). parse_decimal('rate_to_base', 8) for FX. -#}
{% macro parse_decimal(column, scale=2) -%}
    {%- set stripped = regexp_replace_all('trim(' ~ column ~ ')', '[^0-9.,()+-]', '') -%}
    {%- if var('decimal_comma') -%}
        {%- set pattern = '[(]?[-+]?([0-9]+|[0-9]{1,3}([.][0-9]{3})+)(,[0-9]+)?[)]?' -%}
        {%- set numeric = "replace(replace(" ~ stripped ~ ", '.', ''), ',', '.')" -%}
    {%- else -%}
        {%- set pattern = '[(]?[-+]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)([.][0-9]+)?[)]?' -%}
        {%- set numeric = "replace(" ~ stripped ~ ", ',', '')" -%}
    {%- endif -%}
    {#- Negated, not multiplied by -1: on Spark a product of decimal(38, s) loses
        scale. -#}
    {%- set amount = safe_cast_decimal(
        "replace(replace(" ~ numeric ~ ", '(', ''), ')', '')", scale + 2
    ) -%}
    {#- Plain digits, with at most `scale` decimals after a point (most values
        in most exports) read as they are: the same value the general path gives,
        with one regex instead of three (0.08 s instead of 0.45 s for one column
        of 1M orders). -#}
    {%- set plain = '[0-9]+' if var('decimal_comma')
        else '[0-9]+([.][0-9]{1,' ~ scale ~ '})?' -%}
    {#- The outer cast keeps precision and scale (PostgreSQL's case drops them). -#}
    cast(case
        when {{ regex_full_match('trim(' ~ column ~ ')', plain) }}
            then {{ safe_cast('trim(' ~ column ~ ')', 'decimal(18, ' ~ scale ~ ')') }}
        when {{ regex_full_match(stripped, pattern) }}
            and {{ regex_full_match(
                'trim(' ~ column ~ ')',
                '[(]?\\s*[-+]?\\s*([A-Za-z]{1,3}\\s*)?[$€£¥]?\\s*[-+]?[0-9][0-9.,]*\\s*([A-Za-z]{3}|[$€£¥])?\\s*[)]?'
            ) }}
            then {{ safe_cast(
                "case when " ~ stripped ~ " like '(%)' then -" ~ amount
                ~ " else " ~ amount ~ " end",
                'decimal(18, ' ~ scale ~ ')'
            ) }}
    end as decimal(18, {{ scale }}))
{%- endmacro %}

{#- Cast that gives null instead of failing (on engines that can). Out-of-range
    numbers become null, so the row is quarantined instead of failing the build. -#}
{% macro safe_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('safe_cast', 'segmart')(expression, data_type)) }}
{%- endmacro %}

{% macro default__safe_cast(expression, data_type) -%}
    cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro duckdb__safe_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{% macro safe_cast_decimal(expression, scale=4) -%}
    {{ safe_cast(expression, 'decimal(38, ' ~ scale ~ ')') }}
{%- endmacro %}

{#- Integers ("3", " 3 ", "3.0"). -#}
{% macro parse_integer(column) -%}
    case
        when {{ regex_full_match('trim(' ~ column ~ ')', '[-+]?[0-9]+([.]0+)?') }}
            then {{ safe_cast(safe_cast_decimal('trim(' ~ column ~ ')'), 'integer') }}
    end
{%- endmacro %}

{#- Booleans: true/false, yes/no, y/n, 1/0, t/f, subscribed/unsubscribed. -#}
{% macro parse_boolean(column) -%}
    case
        when lower(trim({{ column }})) in (
            'true', 't', 'yes', 'y', '1', 'subscribed', 'opted_in', 'opt-in', 'granted'
        ) then true
        when lower(trim({{ column }})) in (
            'false', 'f', 'no', 'n', '0', 'unsubscribed', 'opted_out', 'opt-out',
            'revoked', 'not_subscribed', 'never_subscribed'
        ) then false
    end
{%- endmacro %}

{#- Timestamps, returned as naive UTC:
      ISO 8601 with an offset or Z  -> converted to UTC;
      ISO 8601 without offset, or a date alone -> read in var('source_timezone');
      var('local_timestamp_format') (e.g. %m/%d/%Y %H:%M), or its date part alone
      (%m/%d/%Y) -> read in source_timezone;
      Unix epoch seconds (9 or 10 digits, 1973-2286) or milliseconds (12 or 13
      digits) -> UTC (epoch time has no time zone). Eight digits stay unreadable:
      20240131 is more likely a date than 1970-08-23.
    Null when blank or unreadable. -#}
{% macro parse_timestamp(column) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'segmart')(column)) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(column) -%}
    {%- set text = 'trim(' ~ column ~ ')' -%}
    {%- set iso = '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?' -%}
    case
        when {{ regex_full_match(text, iso ~ '\\s?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)') }}
            then timezone('UTC', try_cast({{ text }} as timestamptz))
        when {{ regex_full_match(text, '[0-9]{9,10}') }}
            then timezone('UTC', to_timestamp(cast({{ text }} as bigint)))
        when {{ regex_full_match(text, '[0-9]{12,13}') }}
            then epoch_ms(cast({{ text }} as bigint))
        when {{ regex_full_match(text, iso) }}
            then timezone(
                'UTC',
                timezone('{{ var("source_timezone") }}', try_cast({{ text }} as timestamp))
            )
        else timezone(
            'UTC',
            timezone(
                '{{ var("source_timezone") }}',
                coalesce(
                    try_strptime({{ text }}, '{{ var("local_timestamp_format") }}'),
                    try_strptime({{ text }}, '{{ local_date_format() }}')
                )
            )
        )
    end
{%- endmacro %}

{#- The date part of var('local_timestamp_format'): '%m/%d/%Y %H:%M' -> '%m/%d/%Y'. -#}
{% macro local_date_format() -%}
    {{ var('local_timestamp_format').split(' ')[0] }}
{%- endmacro %}

{#- Calendar dates (no time zone: a date is the day the export names):
    ISO 8601 date (a time part is ignored) or the date part of
    var('local_timestamp_format'). Null when blank or unreadable. -#}
{% macro parse_date(column) -%}
    {{ return(adapter.dispatch('parse_date', 'segmart')(column)) }}
{%- endmacro %}

{% macro duckdb__parse_date(column) -%}
    {%- set text = 'trim(' ~ column ~ ')' -%}
    case
        when {{ regex_full_match(text, '[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?') }}
            then try_cast(left({{ text }}, 10) as date)
        else cast(try_strptime({{ text }}, '{{ local_date_format() }}') as date)
    end
{%- endmacro %}

{#- The newest timestamp a row may carry: the end of var('max_valid_date'), the
    last valid day (default: the day after the build date, a day of slack for time
    zones); later ones are errors (future_*). The only wall-clock read in the
    project; set max_valid_date to pin it. -#}
{% macro max_valid_timestamp() -%}
    {%- if var('max_valid_date') -%}
        cast('{{ var("max_valid_date") }}' as timestamp) + interval '1 day'
    {%- else -%}
        cast(current_date as timestamp) + interval '2 day'
    {%- endif -%}
{%- endmacro %}

{#- Reason code for a timestamp column: missing (when required), unparseable,
    ancient (before 1990) or future. -#}
{% macro timestamp_problem(raw_column, parsed_column, required=true) -%}
    case
        {%- if required %}
        when {{ clean_text(raw_column) }} is null then 'missing_{{ parsed_column }}'
        {%- endif %}
        when {{ clean_text(raw_column) }} is not null and {{ parsed_column }} is null
            then 'unparseable_{{ parsed_column }}'
        when {{ parsed_column }} < cast('1990-01-01' as timestamp)
            then 'ancient_{{ parsed_column }}'
        when {{ parsed_column }} > {{ max_valid_timestamp() }}
            then 'future_{{ parsed_column }}'
    end
{%- endmacro %}

{#- Reason code for a parsed value: missing (when required), text but unreadable,
    negative or zero (numbers, when not allowed). Codes: missing_<col>,
    unparseable_<col>, negative_<col>, zero_<col>. -#}
{% macro value_problem(
    raw_column, parsed_column, required=false, allow_negative=true, allow_zero=true
) -%}
    case
        {%- if required %}
        when {{ clean_text(raw_column) }} is null then 'missing_{{ parsed_column }}'
        {%- endif %}
        when {{ clean_text(raw_column) }} is not null and {{ parsed_column }} is null
            then 'unparseable_{{ parsed_column }}'
        {%- if not allow_negative %}
        when {{ parsed_column }} < 0 then 'negative_{{ parsed_column }}'
        {%- endif %}
        {%- if not allow_zero %}
        when {{ parsed_column }} = 0 then 'zero_{{ parsed_column }}'
        {%- endif %}
    end
{%- endmacro %}

{#- Reason code for a money column: text but no readable amount, or negative. -#}
{% macro money_problem(raw_column, parsed_column, allow_negative=false) -%}
    {{ value_problem(raw_column, parsed_column, allow_negative=allow_negative) }}
{%- endmacro %}

{#- Reason code for an email: missing_<col> (blank) or invalid_<col> (text that is
    not an address). A quarantine reason where the email is the key
    (suppressions, erasure requests), a counted warning elsewhere. -#}
{% macro email_problem(raw_column, parsed_column='email') -%}
    case
        when {{ clean_text(raw_column) }} is null then 'missing_{{ parsed_column }}'
        when {{ parsed_column }} is null then 'invalid_{{ parsed_column }}'
    end
{%- endmacro %}

{#- Phone: digits only, a leading + kept; null when fewer than 7 digits. -#}
{% macro parse_phone(column) -%}
    {%- set digits = regexp_replace_all(column, '[^0-9]', '') -%}
    case
        when length({{ digits }}) >= 7
            then case when trim({{ column }}) like '+%' then '+' else '' end
            || {{ digits }}
    end
{%- endmacro %}

{#- A label as lower snake_case: "Coffee Beans" -> coffee_beans, "Tea & Co." ->
    tea_co. Letters of any script are kept. -#}
{% macro snake_case(column) -%}
    {{ return(adapter.dispatch('snake_case', 'segmart')(column)) }}
{%- endmacro %}

{% macro default__snake_case(column) -%}
    nullif(
        trim(
            regexp_replace(lower(trim({{ column }})), '[^\p{L}\p{N}]+', '_', 'g'),
            '_'
        ),
        ''
    )
{%- endmacro %}

{#- Map a text value to the project vocabulary (seed enum_values): case, spaces
    and hyphens do not matter; unknown values become 'other'.
    join_enums(relation, {column: domain, ...}) selects every column of
    `relation` and, for each mapped column, the seed's value as <column>__enum
    (null when the seed has no such variant); map_enum(column) reads it. The
    macro builds the join, not the dependency: the model reads the seed itself,
    in a CTE named enum_values, puts the join in a CTE of its own and parses
    from it:

        with enum_values as (
            select * from {{ ref('enum_values') }}
        ),
        ...
        enums as {{ inlined_cte() }} (
            {{ join_enums('source', {'channel': 'message_channel'}) }}
        ),
        parsed as ... {{ map_enum('channel') }} as channel ... from enums

    A join to the small seed, not a correlated subquery: DuckDB plans such a
    subquery as a join back to every source row, which spilled tens of GB on
    55M engagement events (DECISIONLOG). The seed's (domain, variant) is unique
    (a test), so the join never adds rows. -#}
{% macro join_enums(relation, columns) -%}
    select
        {{ relation }}.*
        {%- for column in columns %},
        {{ column }}_enum.value as {{ column }}__enum
        {%- endfor %}
    from {{ relation }}
    {%- for column, domain in columns.items() %}
    left join enum_values as {{ column }}_enum
        on
            {{ column }}_enum.domain = '{{ domain }}'
            and {{ column }}_enum.variant = replace(
                replace(lower(trim({{ relation }}.{{ column }})), ' ', '_'), '-', '_'
            )
    {%- endfor %}
{%- endmacro %}

{% macro map_enum(column) -%}
    case
        when {{ clean_text(column) }} is null then null
        else coalesce({{ column }}__enum, 'other')
    end
{%- endmacro %}

{#- Warning code unknown_<col> when a non-blank value was mapped to 'other'
    (a raw 'other' is a known value). Counted in dq_shop__data_quality. -#}
{% macro enum_problem(raw_column, parsed_column) -%}
    case
        when {{ parsed_column }} = 'other' and lower(trim({{ raw_column }})) <> 'other'
            then 'unknown_{{ parsed_column }}'
    end
{%- endmacro %}

{#- The raw row as one JSON text, for the quarantine. -#}
{% macro raw_values_json(columns) -%}
    {{ return(adapter.dispatch('raw_values_json', 'segmart')(columns)) }}
{%- endmacro %}

{% macro default__raw_values_json(columns) -%}
    cast(json_build_object(
        {%- for col in columns %}
        '{{ col }}', {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as text)
{%- endmacro %}

{% macro duckdb__raw_values_json(columns) -%}
    cast(json_object(
        {%- for col in columns %}
        '{{ col }}', {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    ) as varchar)
{%- endmacro %}
