{#- Layers get plain schema names (staging, intermediate), marts go to the target
    schema: BI tools see `main.customer_profile`, not `main_marts.customer_profile`. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
