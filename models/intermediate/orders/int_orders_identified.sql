-- Orders placed up to as_of, each with its customer identity.
-- The email is the order's own, else the email of its customer record (an order
-- with only a customer id still joins). Erased identities are removed: their
-- orders stay, with no email and no customer_key.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

customer_emails as (
    select
        customer_id,
        email
    from {{ ref('stg_shop__customers') }}
    where email is not null
),

erased as (
    select distinct email from {{ ref('stg_shop__erasure_requests') }}
),

resolved as (
    select
        orders.*,
        coalesce(orders.email, customer_emails.email) as resolved_email,
        case
            when orders.email is not null then 'order'
            when customer_emails.email is not null then 'customer_record'
        end as email_source
    from orders
    left join customer_emails
        on orders.customer_id = customer_emails.customer_id
    where cast(orders.ordered_at as date) <= {{ as_of_date() }}
),

final as (
    select
        -- ids
        resolved.order_id,
        resolved.customer_id,
        case
            when erased.email is null then {{ customer_key('resolved.resolved_email') }}
        end as customer_key,

        -- strings
        case
            when erased.email is null then resolved.resolved_email
        end as email,
        case when erased.email is null then resolved.email_source end as email_source,
        resolved.currency,
        resolved.status,
        resolved.channel,
        resolved.discount_codes,

        -- numerics (order currency)
        resolved.subtotal,
        resolved.discount_total,
        resolved.shipping_charged,
        resolved.tax_total,
        resolved.total,
        resolved.shipping_cost,

        -- booleans
        resolved.is_cancelled,
        erased.email is not null as is_identity_erased,

        -- dates and timestamps
        resolved.ordered_at,
        cast(resolved.ordered_at as date) as order_date,
        resolved.updated_at
    from resolved
    left join erased
        on resolved.resolved_email = erased.email
)

select * from final
