{#- The columns of raw export `table`, in order, as declared once in
    models/staging/shop/_shop__sources.yml (source `shop`). The base models read
    their contract from here and landing from the same YAML, so adding a column is
    one YAML edit.
    - While dbt parses, the graph is not built yet: a placeholder column that
      exists nowhere, so SQL rendered at parse time and run later (a config
      string such as a pre_hook must call the macro itself, inside the hook)
      fails loudly instead of hashing an empty contract.
    - A unit test sees no graph: the contract is then read from the landed raw
      table (landing creates exactly the contract columns, in order, plus its own
      columns that start with `_`), as dbt itself reads the source's columns to
      type a unit test's fixture. -#}
{% macro shop_contract(table) -%}
    {%- if not execute -%}
        {{ return(['shop_contract_is_read_when_the_model_runs']) }}
    {%- endif -%}
    {%- if graph.get('sources') -%}
        {%- set node = graph.sources.get('source.segmart.shop.' ~ table) -%}
        {%- if node is none -%}
            {{ exceptions.raise_compiler_error(
                "no table '" ~ table ~ "' in source shop (_shop__sources.yml)"
            ) }}
        {%- endif -%}
        {{ return(node.columns.keys() | list) }}
    {%- endif -%}
    {%- set landed = adapter.get_relation(
        database=target.database, schema=var('raw_schema'), identifier=table
    ) -%}
    {%- if landed is none -%}
        {{ exceptions.raise_compiler_error(
            "no landed table " ~ var('raw_schema') ~ "." ~ table
            ~ ": build once before running the unit tests"
        ) }}
    {%- endif -%}
    {%- set columns = [] -%}
    {%- for column in adapter.get_columns_in_relation(landed)
        if not column.name.startswith('_') -%}
        {%- do columns.append(column.name) -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}
