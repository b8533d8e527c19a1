{#- The evaluation date of the build (see doc `as_of`), as a scalar expression. -#}
{% macro as_of_date() -%}
    (select as_of_date from {{ ref('int_as_of') }})
{%- endmacro %}
