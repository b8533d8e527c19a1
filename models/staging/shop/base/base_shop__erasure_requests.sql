-- Every raw erasure request (right to be forgotten), parsed, with its quarantine
-- reason and row_status. Key email; the earliest request wins (the duty to erase
-- starts with the first). Only the email can quarantine a request: a bad date is
-- counted and staged as null, so an erasure is never lost to a date.
{%- set contract = shop_contract('erasure_requests') %}

with source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'erasure_requests') }}
),

parsed as {{ inlined_cte() }} (
    select
        -- strings
        {{ parse_email('email') }} as email,

        -- timestamps
        {{ parse_timestamp('requested_at') }} as requested_at,

        -- raw text, for the checks and the quarantine
        {{ clean_text('email') }} as email_text,
        requested_at as requested_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from source
),

checked as {{ inlined_cte() }} (
    {%- set checks = [email_problem('email_text')] %}
    {%- set warnings = [
        timestamp_problem('requested_at_text', 'requested_at', required=false),
    ] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        {{ all_problems(warnings) }} as warnings,
        {{ timestamp_problem(
            'requested_at_text', 'requested_at', required=false
        ) }} is null as is_requested_at_valid
    from parsed
),

labelled as (
    {{ label_rows(
        'checked', 'email',
        'is_requested_at_valid desc, requested_at asc nulls last'
    ) }}
)

select * from labelled
