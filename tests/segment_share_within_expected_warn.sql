-- Segments whose spec says share_severity 'warn' (the default) and whose share of
-- customers lies outside expected_share: a warning. Judged on builds of at least
-- var('segment_qa_min_customers') customers.
{{ config(severity='warn') }}
{%- set failures -%}
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
        || cast(expected_share_max as {{ dbt.type_string() }}) || '] (warn)'
            as message
    from {{ ref('segment_library') }}
    where
        share_severity = 'warn'
        and customers_total >= {{ var('segment_qa_min_customers') }}
        and not coalesce(is_share_within_expected, false)
        and not (customers_count = 0 and allow_empty)
{%- endset %}
{{- segment_qa_log(failures, ref('segment_library')) }}

{{ failures }}
