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


{#- The segments of `severity` whose share of customers lies outside their
    expected_share, on builds of at least var('segment_qa_min_customers')
    customers. An empty segment that may be empty is left to segment_not_empty. -#}
{% macro segment_share_failures(severity) -%}
    select
        segment_name,
        share_of_customers,
        expected_share_min,
        expected_share_max,
        'segment ''' || segment_name || ''' holds '
        || cast(customers_count as {{ dbt.type_string() }}) || ' of '
        || cast(customers_total as {{ dbt.type_string() }}) || ' customers (share '
        || cast(
            round(cast(share_of_customers as numeric), 4) as {{ dbt.type_string() }}
        )
        || '), outside its expected_share ['
        || cast(expected_share_min as {{ dbt.type_string() }}) || ', '
        || cast(expected_share_max as {{ dbt.type_string() }}) || '] ({{ severity }})'
            as message
    from {{ ref('segment_library') }}
    where
        share_severity = '{{ severity }}'
        and customers_total >= {{ var('segment_qa_min_customers') }}
        and not coalesce(is_share_within_expected, false)
        and not (customers_count = 0 and allow_empty)
{%- endmacro %}
