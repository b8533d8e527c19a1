{#- DuckDB versions of the portable helpers (macros/engines/portable.sql). -#}

{% macro duckdb__customer_key(email, inner_pad, outer_pad) -%}
    sha256(
        unhex('{{ outer_pad }}')
        || unhex(sha256(unhex('{{ inner_pad }}') || encode({{ email }})))
    )
{%- endmacro %}
