-- Every raw suppression row, parsed, with its quarantine reason and row_status.
-- Key (email, channel); the newest suppressed_at wins. Only the email (the key)
-- can quarantine a suppression: a bad date is counted and staged as null, so a
-- suppression is never lost to a date.
{%- set contract = shop_contract('suppressions') %}

-- the known values of the enumerated columns (macro join_enums joins them)
with enum_values as (
    select * from {{ ref('enum_values') }}
),

source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'suppressions') }}
),

enums as {{ inlined_cte() }} (
    {{ join_enums('source', {
        'channel': 'contact_channel',
        'reason': 'suppression_reason'
    }) }}
),

parsed as {{ inlined_cte() }} (
    select
        -- strings
        {{ parse_email('email') }} as email,
        case
            when {{ clean_text('channel') }} is null then 'all'
            else {{ map_enum('channel') }}
        end as channel,
        {{ map_enum('reason') }} as reason,

        -- timestamps
        {{ parse_timestamp('suppressed_at') }} as suppressed_at,

        -- raw text, for the checks and the quarantine
        {{ clean_text('email') }} as email_text,
        channel as channel_text,
        reason as reason_text,
        suppressed_at as suppressed_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from enums
),

checked as {{ inlined_cte() }} (
    {%- set checks = [email_problem('email_text')] %}
    {%- set warnings = [
        enum_problem('channel_text', 'channel'),
        enum_problem('reason_text', 'reason'),
        timestamp_problem('suppressed_at_text', 'suppressed_at', required=false),
    ] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        {{ all_problems(warnings) }} as warnings,
        {{ timestamp_problem(
            'suppressed_at_text', 'suppressed_at', required=false
        ) }} is null as is_suppressed_at_valid
    from parsed
),

labelled as (
    {{ label_rows(
        'checked', ['email', 'channel'],
        'is_suppressed_at_valid desc, suppressed_at desc nulls last'
    ) }}
)

select * from labelled
