with base as (
    select * from {{ ref('base_shop__customers') }}
    where row_status = 'staged'
),

final as (
    select
        -- ids
        customer_id,

        -- strings
        email,
        phone,
        first_name,
        last_name,
        country,
        region,
        city,
        postal_code,
        language,
        company_name,
        company_size,
        industry,
        tags,

        -- booleans
        email_consent,
        sms_consent,
        is_email_invalid,

        -- timestamps (UTC)
        created_at,
        consent_updated_at
    from base
)

select * from final
