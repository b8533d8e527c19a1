-- Orders up to as_of, each with its customer identity (customer_key = hash of the
-- normalised email).
with orders as (
    select * from {{ ref('stg_shop__orders') }}
),

final as (
    select
        orders.*,
        md5(orders.email) as customer_key
    from orders
    where cast(orders.ordered_at as date) <= {{ as_of_date() }}
)

select * from final
