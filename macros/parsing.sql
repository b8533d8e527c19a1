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

{% macro spark__regex_full_match(expression, pattern) -%}
    ({{ expression }} rlike '^(?:{{ pattern }})$')
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

{#- Money: 1234.5, "$1,234.50", "1234.5 USD", "(12.00)" (negative), "-3";
    with var('decimal_comma') also "1.234,50". Null when blank or unreadable. -#}
{% macro parse_money(column) -%}
    {%- set stripped = "regexp_replace(trim(" ~ column ~ "), '[^0-9.,()+-]', '', 'g')" -%}
    {%- if var('decimal_comma', false) -%}
        {%- set pattern = '[(]?[-+]?([0-9]+|[0-9]{1,3}([.][0-9]{3})+)(,[0-9]+)?[)]?' -%}
        {%- set numeric = "replace(replace(" ~ stripped ~ ", '.', ''), ',', '.')" -%}
    {%- else -%}
        {%- set pattern = '[(]?[-+]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)([.][0-9]+)?[)]?' -%}
        {%- set numeric = "replace(" ~ stripped ~ ", ',', '')" -%}
    {%- endif -%}
    case
        when {{ regex_full_match(stripped, pattern) }}
            and {{ regex_full_match(
                'trim(' ~ column ~ ')',
                '[(]?\\s*[-+]?\\s*([A-Za-z]{1,3}\\s*)?[$€£¥]?\\s*[-+]?[0-9][0-9.,]*\\s*([A-Za-z]{3})?\\s*[)]?'
            ) }}
            then cast(
                {{ safe_cast_decimal(
                    "replace(replace(" ~ numeric ~ ", '(', ''), ')', '')"
                ) }}
                * case when {{ stripped }} like '(%)' then -1 else 1 end
                as decimal(18, 2)
            )
    end
{%- endmacro %}

{% macro safe_cast_decimal(expression) -%}
    {{ return(adapter.dispatch('safe_cast_decimal', 'segmart')(expression)) }}
{%- endmacro %}

{% macro default__safe_cast_decimal(expression) -%}
    cast({{ expression }} as decimal(18, 4))
{%- endmacro %}

{% macro duckdb__safe_cast_decimal(expression) -%}
    try_cast({{ expression }} as decimal(18, 4))
{%- endmacro %}

{#- Integers ("3", " 3 ", "3.0"). -#}
{% macro parse_integer(column) -%}
    case
        when {{ regex_full_match('trim(' ~ column ~ ')', '[-+]?[0-9]+([.]0+)?') }}
            then cast({{ safe_cast_decimal('trim(' ~ column ~ ')') }} as integer)
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
      var('local_timestamp_format') (e.g. %m/%d/%Y %H:%M) -> read in source_timezone.
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
        when {{ regex_full_match(text, iso) }}
            then timezone(
                'UTC',
                timezone('{{ var("source_timezone") }}', try_cast({{ text }} as timestamp))
            )
        else timezone(
            'UTC',
            timezone(
                '{{ var("source_timezone") }}',
                try_strptime({{ text }}, '{{ var("local_timestamp_format") }}')
            )
        )
    end
{%- endmacro %}

{#- The newest timestamp a row may carry; later ones are errors (future_*).
    The only wall-clock read in the project: var('max_valid_date') pins it. -#}
{% macro max_valid_timestamp() -%}
    {%- if var('max_valid_date', '') -%}
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

{#- Reason code for a money column: text but no readable amount, or negative. -#}
{% macro money_problem(raw_column, parsed_column, allow_negative=false) -%}
    case
        when {{ clean_text(raw_column) }} is not null and {{ parsed_column }} is null
            then 'unparseable_{{ parsed_column }}'
        {%- if not allow_negative %}
        when {{ parsed_column }} < 0 then 'negative_{{ parsed_column }}'
        {%- endif %}
    end
{%- endmacro %}

{#- Map a text value to the project vocabulary of `domain` (seed enum_values):
    case, spaces and hyphens do not matter; unknown values become 'other'. -#}
{% macro map_enum(domain, column) -%}
    case
        when {{ clean_text(column) }} is null then null
        else coalesce(
            (
                select enum_values.value
                from {{ ref('enum_values') }} as enum_values
                where
                    enum_values.domain = '{{ domain }}'
                    and enum_values.variant = replace(
                        replace(lower(trim({{ column }})), ' ', '_'), '-', '_'
                    )
            ),
            'other'
        )
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

{% macro spark__raw_values_json(columns) -%}
    to_json(named_struct(
        {%- for col in columns %}
        '{{ col }}', {{ col }}{{ ',' if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}
