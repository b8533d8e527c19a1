{#- The build record: one row per `dbt build` or `dbt run` on DuckDB, in
    segmart_meta.build_runs, so `segmart export` and `segmart publish` can refuse
    a database whose last build failed or never finished (segmart/guard.py).
    on-run-start (first hook, before landing) writes the row as `running`;
    on-run-end sets `passed` or `failed` with the failed nodes. A build that was
    killed, or whose landing failed, stays `running`. Other engines are not read
    by export or publish: nothing is recorded there. -#}
{% macro record_build_start() -%}
    {%- if execute and flags.WHICH in ('build', 'run') and target.type == 'duckdb' -%}
        {%- do run_query('create schema if not exists segmart_meta') -%}
        {%- do run_query(
            'create table if not exists segmart_meta.build_runs ('
            ~ 'invocation_id varchar, command varchar, started_at timestamptz, '
            ~ 'finished_at timestamptz, status varchar, failed_nodes varchar)'
        ) -%}
        {%- do run_query(
            "insert into segmart_meta.build_runs values ('" ~ invocation_id
            ~ "', '" ~ flags.WHICH ~ "', current_timestamp, null, 'running', null)"
        ) -%}
    {%- endif -%}
{%- endmacro %}

{% macro record_build_end(results) -%}
    {%- if execute and flags.WHICH in ('build', 'run') and target.type == 'duckdb' -%}
        {%- set failed = [] -%}
        {%- for result in results -%}
            {%- if result.status in ('error', 'fail', 'runtime error') -%}
                {%- do failed.append(result.node.name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- do run_query(
            "update segmart_meta.build_runs set finished_at = current_timestamp, "
            ~ "status = '" ~ ('failed' if failed else 'passed') ~ "', "
            ~ "failed_nodes = " ~ segmart_literal(failed | join(', '))
            ~ " where invocation_id = '" ~ invocation_id ~ "'"
        ) -%}
    {%- endif -%}
{%- endmacro %}
