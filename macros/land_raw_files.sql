{#-
    Land the raw exports in schema `raw`, every column as text, before anything runs.

    For every table of source `shop` (the raw-export contract, declared once in
    models/staging/shop/_shop__sources.yml) it looks in var('raw_dir') for
    <name>.parquet, <name>.csv or <name>.csv.gz and writes raw.<name> with:
      - exactly the contract columns, as varchar; a column missing from the file is a
        typed null, an extra column is ignored, header names match case-insensitively;
      - _source_file, _raw_row (1-based position in the file) and _loaded_at (the
        file's modification time, for source freshness);
    and raw._unreadable_lines with the lines the CSV reader could not read (invalid
    UTF-8, ...), so reconciliation can count them instead of losing them.
    An absent optional file lands as an empty table; an absent required file stops
    the build with a message that names it.

    DuckDB only: on PostgreSQL and Spark `segmart load` writes the same raw tables.
-#}
{% macro land_raw_files() %}
    {{ return(adapter.dispatch('land_raw_files', 'segmart')()) }}
{% endmacro %}

{#- Other engines cannot read the files: `segmart load` writes the raw tables first.
    Check that it did, naming what is missing. -#}
{% macro default__land_raw_files() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set raw_schema = var('raw_schema', 'raw') -%}
    {%- set missing = [] -%}
    {%- for node in graph.sources.values()
        if node.source_name == 'shop' and node.package_name == 'segmart' -%}
        {%- if adapter.get_relation(
            database=target.database, schema=raw_schema, identifier=node.name
        ) is none -%}
            {%- do missing.append(raw_schema ~ '.' ~ node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "segmart: the raw tables " ~ missing | join(', ') ~ " are missing on "
            ~ "target '" ~ target.name ~ "' (" ~ target.type ~ "): run `segmart load` "
            ~ "first; it writes every raw export (orders is required) into schema '"
            ~ raw_schema ~ "'."
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__land_raw_files() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set raw_dir = (var('raw_dir') | string).rstrip('/') -%}
    {%- set raw_schema = var('raw_schema', 'raw') -%}
    {%- do run_query('create schema if not exists ' ~ raw_schema) -%}
    {%- set found = run_query(
        "select file from glob('" ~ raw_dir ~ "/*')"
    ).columns[0].values() -%}
    {%- do run_query(
        'create or replace table ' ~ raw_schema ~ '._unreadable_lines_pending '
        ~ '(source_table varchar, source_file varchar, line bigint, '
        ~ 'error_type varchar, csv_line varchar)'
    ) -%}
    {%- for node in graph.sources.values()
        if node.source_name == 'shop' and node.package_name == 'segmart' -%}
        {%- set candidates = [] -%}
        {%- for ext in ['parquet', 'csv', 'csv.gz'] -%}
            {%- set path = raw_dir ~ '/' ~ node.name ~ '.' ~ ext -%}
            {%- if path in found -%}{%- do candidates.append(path) -%}{%- endif -%}
        {%- endfor -%}
        {%- set contract = node.columns.keys() | list -%}
        {%- set target_table = raw_schema ~ '.' ~ node.name -%}
        {%- if candidates | length == 0 -%}
            {%- if node.meta.get('required', false) -%}
                {{ exceptions.raise_compiler_error(
                    "segmart: the required raw export '" ~ node.name ~ "' is missing: "
                    ~ "no " ~ node.name ~ ".csv, .csv.gz or .parquet in '" ~ raw_dir
                    ~ "'. Point SEGMART_RAW_DIR at your exports or run "
                    ~ "`segmart generate` for demo data."
                ) }}
            {%- endif -%}
            {%- do run_query(segmart_empty_raw_table(target_table, contract)) -%}
        {%- else -%}
            {%- set path = candidates[0] -%}
            {%- set meta = run_query(
                "select size, last_modified::timestamp from read_blob('" ~ path ~ "')"
            ) -%}
            {%- if meta.rows[0][0] == 0 -%}
                {%- do run_query(segmart_empty_raw_table(target_table, contract)) -%}
            {%- else -%}
                {%- set loaded_at = meta.rows[0][1] -%}
                {%- if path.endswith('.parquet') -%}
                    {%- set reader = "read_parquet('" ~ path ~ "')" -%}
                    {%- set rejects = none -%}
                {%- else -%}
                    {%- set rejects = 'segmart_rejects_' ~ node.name -%}
                    {%- set reader -%}
                        read_csv('{{ path }}', header = true, all_varchar = true,
                            delim = '{{ var("csv_delimiter", ",") }}', quote = '"',
                            escape = '"', null_padding = true, parallel = false,
                            store_rejects = true, rejects_table = '{{ rejects }}',
                            rejects_scan = '{{ rejects }}_scan')
                    {%- endset -%}
                {%- endif -%}
                {%- set header = run_query(
                    'describe select * from ' ~ reader
                ).columns[0].values() -%}
                {%- set by_lower = {} -%}
                {%- for col in header -%}
                    {%- do by_lower.update({(col | lower | trim): col}) -%}
                {%- endfor -%}
                {%- set land -%}
                    create or replace table {{ target_table }} as
                    select
                        {%- for col in contract %}
                        {% if col in by_lower -%}
                            cast("{{ by_lower[col] }}" as varchar)
                        {%- else -%}
                            cast(null as varchar)
                        {%- endif %} as {{ col }},
                        {%- endfor %}
                        '{{ path }}' as _source_file,
                        cast(row_number() over () as bigint) as _raw_row,
                        cast('{{ loaded_at }}' as timestamp) as _loaded_at
                    from {{ reader }};
                    {% if rejects -%}
                    insert into {{ raw_schema }}._unreadable_lines_pending
                    select '{{ node.name }}', '{{ path }}', line, error_type, csv_line
                    from {{ rejects }};
                    {%- endif %}
                {%- endset -%}
                {%- do run_query(land) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {#- Keep this build's unreadable lines only. -#}
    {%- do run_query(
        'create or replace table ' ~ raw_schema ~ '._unreadable_lines as '
        ~ 'select * from ' ~ raw_schema ~ '._unreadable_lines_pending; '
        ~ 'drop table ' ~ raw_schema ~ '._unreadable_lines_pending'
    ) -%}
    {{ return('') }}
{% endmacro %}

{% macro segmart_empty_raw_table(target_table, contract) %}
    create or replace table {{ target_table }} as
    select
        {%- for col in contract %}
        cast(null as varchar) as {{ col }},
        {%- endfor %}
        cast(null as varchar) as _source_file,
        cast(null as bigint) as _raw_row,
        cast(null as timestamp) as _loaded_at
    where false
{% endmacro %}
