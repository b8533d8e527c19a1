-- One row per customer: a normalised email seen on an order (up to as_of) or on a
-- customer record created up to as_of. Several customer ids with one email are
-- one customer; the newest record (by consent update, then creation) gives the
-- attributes. Erased emails are not customers.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

customers as (
    select * from {{ ref('stg_shop__customers') }}
    where
        email is not null
        and (created_at is null or cast(created_at as date) <= {{ as_of_date() }})
),

orders as (
    select * from {{ ref('int_orders_identified') }}
    where email is not null
),

erased as (
    select distinct email from {{ ref('stg_shop__erasure_requests') }}
),

emails as (
    select email from customers
    union
    select email from orders
),

customer_ids as (
    select
        email,
        customer_id
    from customers
    union
    select
        email,
        customer_id
    from orders
    where customer_id is not null
),

ids_per_email as (
    select
        email,
        count(distinct customer_id) as customer_ids_count
    from customer_ids
    group by email
),

ranked_records as (
    select
        *,
        row_number() over (
            partition by email
            order by
                consent_updated_at desc nulls last,
                created_at desc nulls last,
                customer_id asc
        ) as record_rank
    from customers
),

latest_record as (
    select * from ranked_records
    where record_rank = 1
),

final as (
    select
        -- ids
        {{ customer_key('emails.email') }} as customer_key,
        emails.email,
        coalesce(ids_per_email.customer_ids_count, 0) as customer_ids_count,

        -- personal data (stays in the warehouse layers)
        latest_record.first_name,
        latest_record.last_name,
        latest_record.phone,
        latest_record.postal_code,

        -- attributes
        latest_record.country,
        latest_record.region,
        latest_record.city,
        latest_record.language,
        latest_record.company_name,
        latest_record.company_size,
        latest_record.industry,
        latest_record.tags,

        -- consent as recorded on the customer record
        latest_record.email_consent,
        latest_record.sms_consent,
        latest_record.consent_updated_at,

        -- booleans
        latest_record.customer_id is not null as has_account,
        latest_record.company_name is not null as is_b2b,

        -- dates
        cast(latest_record.created_at as date) as account_created_date
    from emails
    left join ids_per_email
        on emails.email = ids_per_email.email
    left join latest_record
        on emails.email = latest_record.email
    left join erased
        on emails.email = erased.email
    where erased.email is null
)

select * from final
