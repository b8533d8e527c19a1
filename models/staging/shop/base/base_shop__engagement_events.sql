-- Every raw email/SMS engagement event, parsed, with its quarantine reason and
-- row_status. Key event_id; the newest occurred_at wins.
{%- set contract = shop_contract('engagement_events') %}

{{ config(
    pre_hook="{{ forget_outdated_lines(source('shop', 'engagement_events'), shop_contract('engagement_events')) }}",
    post_hook="{{ record_parsing_fingerprint(source('shop', 'engagement_events')) }}",
    **base_model_config()
) }}

-- the known values of the enumerated columns (macro join_enums joins them)
with enum_values as (
    select * from {{ ref('enum_values') }}
),

source as {{ materialized_cte() if is_incremental() else inlined_cte() }} (
    {{ incremental_source(
        source('shop', 'engagement_events'), contract, 'event_id', 'occurred_at',
        is_incremental()
    ) | indent(4) }}
),

-- parsing: from here on, the SQL is part of the parsing fingerprint
-- (macros/incremental.sql): an edit re-parses every line once
enums as {{ inlined_cte() }} (
    {{ join_enums('source', {
        'channel': 'message_channel',
        'event_type': 'event_type'
    }) }}
),

parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('event_id') }} as event_id,
        {{ clean_text('campaign_id') }} as campaign_id,

        -- strings
        {{ parse_email('email') }} as email,
        {{ map_enum('channel') }} as channel,
        {{ map_enum('event_type') }} as event_type,

        -- timestamps
        {{ parse_timestamp('occurred_at') }} as occurred_at,

        -- raw text, for the checks and the quarantine
        {{ clean_text('email') }} as email_text,
        channel as channel_text,
        event_type as event_type_text,
        occurred_at as occurred_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from enums
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when event_id is null then 'missing_event_id' end",
        "case when event_type is null then 'missing_event_type' end",
        timestamp_problem('occurred_at_text', 'occurred_at'),
    ] %}
    {%- set warnings = [
        email_problem('email_text'),
        enum_problem('channel_text', 'channel'),
        enum_problem('event_type_text', 'event_type'),
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
    {{ label_rows('checked', 'event_id', 'occurred_at desc') }}
)

select * from labelled
