-- No segment is empty unless its spec says allow_empty: an empty segment usually
-- means a broken rule or a missing input. Judged on builds of at least
-- var('segment_qa_min_customers') customers.
{{ config(severity='error') }}
{%- set failures -%}
    select
        segment_name,
        'segment ''' || segment_name || ''' is empty (allow_empty is false)'
            as message
    from {{ ref('segment_library') }}
    where
        customers_count = 0
        and not allow_empty
        and customers_total >= {{ var('segment_qa_min_customers') }}
{%- endset %}
{{- segment_qa_log(failures, ref('segment_library')) }}

{{ failures }}
