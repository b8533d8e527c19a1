{#- Helpers of the segment QA tests (tests/segment_*.sql). -#}

{#- Log the `message` column of every row `query` returns, so a failing QA test
    names the segments at fault (dbt prints only the number of failing rows).
    Runs when the test is executed and only once `relation` exists. -#}
{% macro segment_qa_log(query, relation) %}
    {%- if execute and load_relation(relation) is not none -%}
        {%- for row in run_query(query).rows -%}
            {{ log('segmart QA: ' ~ row['message'], info=true) }}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
