-- Segments whose spec says share_severity 'warn' (the default) and whose share of
-- customers lies outside expected_share: a warning. Judged on builds of at least
-- var('segment_qa_min_customers') customers.
{{ config(severity='warn') }}
{%- set failures = segment_share_failures('warn') %}
{{- segment_qa_log(failures, ref('segment_library')) }}

{{ failures }}
