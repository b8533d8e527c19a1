-- Every raw campaign row, parsed, with its quarantine reason and row_status.
-- Key campaign_id; the newest sent_at wins, then the last in the file.
{%- set contract = shop_contract('campaigns') %}

-- the known values of the enumerated columns (macro join_enums joins them)
with enum_values as (
    select * from {{ ref('enum_values') }}
),

source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'campaigns') }}
),

enums as {{ inlined_cte() }} (
    {{ join_enums('source', {'channel': 'contact_channel'}) }}
),

parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('campaign_id') }} as campaign_id,

        -- strings
        {{ clean_text('name') }} as campaign_name,
        {{ map_enum('channel') }} as channel,
        {{ clean_text('segment') }} as segment_name,
        {{ clean_text('experiment') }} as experiment,
        {{ clean_text('offer') }} as offer,

        -- timestamps
        {{ parse_timestamp('sent_at') }} as sent_at,

        -- raw text, for the checks and the quarantine
        channel as channel_text,
        sent_at as sent_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from enums
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when campaign_id is null then 'missing_campaign_id' end",
        timestamp_problem('sent_at_text', 'sent_at', required=false),
    ] %}
    {%- set warnings = [enum_problem('channel_text', 'channel')] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        {{ all_problems(warnings) }} as warnings
    from parsed
),

labelled as (
    {{ label_rows('checked', 'campaign_id', 'sent_at desc nulls last, _raw_row desc') }}
)

select * from labelled
