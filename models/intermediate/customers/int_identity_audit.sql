-- The first signs of bad identity data, one row per finding:
--   email_with_many_customer_ids  one email used by several customer ids
--                                 (guest checkouts, second accounts: normal in
--                                 small numbers)
--   customer_id_with_many_emails  one customer id seen with several emails
--                                 (a changed address, or a shared account)
--   unidentified_orders           orders with no usable email and no customer
--                                 record email: kept, counted here, in no
--                                 customer's facts
with customers as (
    select
        customer_id,
        email
    from {{ ref('stg_shop__customers') }}
),

orders as (
    select * from {{ ref('int_orders_identified') }}
),

pairs as (
    select
        customer_id,
        email
    from customers
    where customer_id is not null and email is not null
    union
    select
        customer_id,
        email
    from orders
    where customer_id is not null and email is not null
),

keyed_pairs as (
    select
        customer_id,
        email,
        {{ customer_key('email') }} as customer_key
    from pairs
),

emails_with_many_ids as (
    select
        'email_with_many_customer_ids' as finding,
        customer_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        count(distinct customer_id) as related_count,
        {{ dbt.listagg('customer_id', "', '", 'order by customer_id') }}
            as related_values
    from keyed_pairs
    group by customer_key
    having count(distinct customer_id) > 1
),

ids_with_many_emails as (
    select
        'customer_id_with_many_emails' as finding,
        cast(null as {{ dbt.type_string() }}) as customer_key,
        customer_id,
        count(distinct email) as related_count,
        {{ dbt.listagg('customer_key', "', '", 'order by customer_key') }}
            as related_values
    from keyed_pairs
    group by customer_id
    having count(distinct email) > 1
),

unidentified as (
    select
        'unidentified_orders' as finding,
        cast(null as {{ dbt.type_string() }}) as customer_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        count(*) as related_count,
        cast(null as {{ dbt.type_string() }}) as related_values
    from orders
    where customer_key is null and not is_identity_erased
),

final as (
    select * from emails_with_many_ids
    union all
    select * from ids_with_many_emails
    union all
    select * from unidentified
)

select * from final
