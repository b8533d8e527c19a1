-- Segments whose spec says share_severity 'error' and whose share of customers lies
-- outside expected_share: the build fails. Judged on builds of at least
-- var('segment_qa_min_customers') customers.
{{ config(severity='error') }}
{%- set failures = segment_share_failures('error') %}
{{- segment_qa_log(failures, ref('segment_library')) }}

{{ failures }}
