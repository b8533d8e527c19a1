{#- Small engine-portable helpers: each dispatcher with its default here, the
    engine versions in macros/engines/<engine>.sql. -#}

{#- An 8-byte float: `double precision` (SQL standard; DuckDB and PostgreSQL).
    dbt.type_float() is no substitute: `float` is 4 bytes on DuckDB and Spark. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'segmart')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}

{#- round(x, places) of a double, as a double (PostgreSQL rounds only numerics to
    places; macros/engines/postgres.sql). -#}
{% macro round_double(expression, places) -%}
    {{ return(adapter.dispatch('round_double', 'segmart')(expression, places)) }}
{%- endmacro %}

{% macro default__round_double(expression, places) -%}
    round({{ expression }}, {{ places }})
{%- endmacro %}

{#- A double as text the way DuckDB writes it (80.0, 0.333, 1e+16): the same
    match_reason text on every engine. -#}
{% macro double_text(expression) -%}
    {{ return(adapter.dispatch('double_text', 'segmart')(expression)) }}
{%- endmacro %}

{% macro default__double_text(expression) -%}
    cast({{ expression }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- Post-hook of every mart (dbt_project.yml): let the read-only BI role read it.
    PostgreSQL only (postgres__bi_grants); DuckDB and Spark have no roles here. -#}
{% macro bi_grants() -%}
    {{ return(adapter.dispatch('bi_grants', 'segmart')()) }}
{%- endmacro %}

{% macro default__bi_grants() -%}
{%- endmacro %}

{#- A 64-bit hash of a text (null for null): for grouping and narrowing joins,
    never as an identity (rows that share a hash are compared on their values). -#}
{% macro text_hash(expression) -%}
    {{ return(adapter.dispatch('text_hash', 'segmart')(expression)) }}
{%- endmacro %}

{% macro default__text_hash(expression) -%}
    ('x' || substr(md5({{ expression }}), 1, 16))
{%- endmacro %}

{% macro duckdb__text_hash(expression) -%}
    case when ({{ expression }}) is not null then hash({{ expression }}) end
{%- endmacro %}

{#- customer_key of a normalised email: HMAC-SHA-256 under this installation's
    key (segmart/keys.py), hex. The key arrives as its two RFC 2104 pads in
    SEGMART_CUSTOMER_KEY_PADS (segmart sets it for every dbt it runs; for a plain
    `dbt build`, `export $(segmart key --env)`), so the SQL is two SHA-256 calls:
    sha256(outer pad || sha256(inner pad || email)). Null for a null email. -#}
{% macro customer_key(email) -%}
    {%- set pads = env_var('SEGMART_CUSTOMER_KEY_PADS', '') -%}
    {%- if pads | length != 256 -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "customer_key needs this installation's key: run dbt through "
                ~ "segmart (`segmart build`, `segmart dbt ...`), or first "
                ~ "`export $(segmart key --env)` (docs/privacy.md)"
            ) }}
        {%- endif -%}
        {%- set pads = '0' * 256 -%}
    {%- endif -%}
    {{ return(adapter.dispatch('customer_key', 'segmart')(email, pads[:128], pads[128:])) }}
{%- endmacro %}

{% macro default__customer_key(email, inner_pad, outer_pad) -%}
    encode(sha256(
        decode('{{ outer_pad }}', 'hex')
        || sha256(decode('{{ inner_pad }}', 'hex') || convert_to({{ email }}, 'UTF8'))
    ), 'hex')
{%- endmacro %}
