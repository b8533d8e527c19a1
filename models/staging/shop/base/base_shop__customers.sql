-- Every raw customer row, parsed, with its quarantine reason and row_status.
-- Key customer_id; the newest consent_updated_at wins, then the newest created_at.
{%- set contract = shop_contract('customers') %}

with source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'customers') }}
),

parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        {{ parse_email('email') }} as email,
        {{ parse_phone('phone') }} as phone,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        upper({{ clean_text('country') }}) as country,
        {{ clean_text('region') }} as region,
        {{ clean_text('city') }} as city,
        {{ clean_text('postal_code') }} as postal_code,
        lower({{ clean_text('language') }}) as language,  -- noqa: RF04
        {{ clean_text('company_name') }} as company_name,
        {{ clean_text('company_size') }} as company_size,
        {{ clean_text('industry') }} as industry,
        {{ clean_text('tags') }} as tags,

        -- booleans
        {{ parse_boolean('email_consent') }} as email_consent,
        {{ parse_boolean('sms_consent') }} as sms_consent,

        -- timestamps
        {{ parse_timestamp('created_at') }} as created_at,
        {{ parse_timestamp('consent_updated_at') }} as consent_updated_at,

        -- raw text, for the checks and the quarantine
        {{ clean_text('email') }} as email_text,
        {{ clean_text('phone') }} as phone_text,
        email_consent as email_consent_text,
        sms_consent as sms_consent_text,
        created_at as created_at_text,
        consent_updated_at as consent_updated_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from source
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when customer_id is null then 'missing_customer_id' end",
        timestamp_problem('created_at_text', 'created_at', required=false),
        timestamp_problem(
            'consent_updated_at_text', 'consent_updated_at', required=false
        ),
        value_problem('email_consent_text', 'email_consent'),
        value_problem('sms_consent_text', 'sms_consent'),
    ] %}
    {%- set warnings = [
        email_problem('email_text'),
        "case when phone_text is not null and phone is null
            then 'invalid_phone' end",
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
        'checked', 'customer_id',
        'consent_updated_at desc nulls last, created_at desc nulls last'
    ) }}
)

select * from labelled
