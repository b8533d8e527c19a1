-- Every raw support ticket row, parsed, with its quarantine reason and
-- row_status. Key ticket_id; the newest updated_at (else created_at) wins.
{%- set contract = shop_contract('tickets') %}

-- the known values of the enumerated columns (macro join_enums joins them)
with enum_values as (
    select * from {{ ref('enum_values') }}
),

source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'tickets') }}
),

enums as {{ inlined_cte() }} (
    {{ join_enums('source', {
        'status': 'ticket_status',
        'channel': 'ticket_channel',
        'satisfaction': 'satisfaction'
    }) }}
),

parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('ticket_id') }} as ticket_id,

        -- strings
        {{ parse_email('email') }} as email,
        {{ map_enum('status') }} as status,
        {{ map_enum('channel') }} as channel,
        {{ clean_text('subject') }} as subject,
        {{ clean_text('body') }} as body,
        {{ map_enum('satisfaction') }} as satisfaction,

        -- timestamps
        {{ parse_timestamp('created_at') }} as created_at,
        {{ parse_timestamp('updated_at') }} as updated_at,

        -- raw text, for the checks and the quarantine
        {{ clean_text('email') }} as email_text,
        status as status_text,
        channel as channel_text,
        satisfaction as satisfaction_text,
        created_at as created_at_text,
        updated_at as updated_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from enums
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when ticket_id is null then 'missing_ticket_id' end",
        timestamp_problem('created_at_text', 'created_at'),
        timestamp_problem('updated_at_text', 'updated_at', required=false),
    ] %}
    {%- set warnings = [
        email_problem('email_text'),
        enum_problem('status_text', 'status'),
        enum_problem('channel_text', 'channel'),
        enum_problem('satisfaction_text', 'satisfaction'),
    ] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        {{ all_problems(warnings) }} as warnings,
        email is null and email_text is not null as is_email_invalid
    from parsed
),

labelled as (
    {{ label_rows(
        'checked', 'ticket_id',
        'coalesce(updated_at, created_at) desc, created_at desc'
    ) }}
)

select * from labelled
