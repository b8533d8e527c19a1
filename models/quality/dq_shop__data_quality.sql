-- Rows per source table and reason, for people: kind `quarantined` (rows not
-- staged, by first reason: they add up to the quarantine) and kind `counted`
-- (staged rows that carry a warning, exact duplicates dropped, and references
-- to orders, customers or products that are not staged).
-- The import CTEs are inlined: DuckDB 2.0 materializes a CTE read more than once,
-- and with 10M orders and 25M lines materialized this query stalled for good
-- (DECISIONLOG).
with quarantine as {{ inlined_cte() }} (
    select * from {{ ref('dq_shop__quarantine') }}
),

reconciliation as {{ inlined_cte() }} (
    select * from {{ ref('dq_shop__reconciliation') }}
),

orders as {{ inlined_cte() }} (
    select * from {{ ref('stg_shop__orders') }}
),

order_lines as {{ inlined_cte() }} (
    select * from {{ ref('stg_shop__order_lines') }}
),

products as {{ inlined_cte() }} (
    select * from {{ ref('stg_shop__products') }}
),

refunds as {{ inlined_cte() }} (
    select * from {{ ref('stg_shop__refunds') }}
),

customers as {{ inlined_cte() }} (
    select * from {{ ref('stg_shop__customers') }}
),

reviews as {{ inlined_cte() }} (
    select * from {{ ref('stg_shop__reviews') }}
),

staged_warnings as (
    {% for table in shop_tables() %}
        select
            '{{ table }}' as source_table,
            warnings
        from {{ ref('base_shop__' ~ table) }}
        where row_status = 'staged' and warnings is not null
        {{ 'union all' if not loop.last }}
    {% endfor %}
),

warning_rows as (
    select
        source_table,
        {{ split_to_rows('warnings') }} as reason
    from staged_warnings
),

refunded_orders as (
    select
        refunds.order_id,
        count(*) as refunds_count
    from refunds
    inner join orders on refunds.order_id = orders.order_id
    group by refunds.order_id, orders.total
    having sum(refunds.amount) > orders.total
),

referential as (
    select
        'order_lines' as source_table,
        'unknown_order' as reason,
        count(*) as rows_count
    from order_lines
    where order_lines.order_id not in (select orders.order_id from orders)

    union all

    select
        'order_lines' as source_table,
        'unknown_sku' as reason,
        count(*) as rows_count
    from order_lines
    where
        exists (select 1 from products)
        and order_lines.sku not in (select products.sku from products)

    union all

    select
        'orders' as source_table,
        'unknown_customer' as reason,
        count(*) as rows_count
    from orders
    where
        exists (select 1 from customers)
        and orders.customer_id not in (select customers.customer_id from customers)

    union all

    select
        'reviews' as source_table,
        'unknown_sku' as reason,
        count(*) as rows_count
    from reviews
    where
        exists (select 1 from products)
        and reviews.sku not in (select products.sku from products)

    union all

    select
        'refunds' as source_table,
        'unknown_order' as reason,
        count(*) as rows_count
    from refunds
    where refunds.order_id not in (select orders.order_id from orders)

    union all

    select
        'refunds' as source_table,
        'refunds_exceed_order_total' as reason,
        cast(coalesce(sum(refunds_count), 0) as bigint) as rows_count
    from refunded_orders
),

counted as (
    select
        source_table,
        reason,
        count(*) as rows_count
    from warning_rows
    group by source_table, reason

    union all

    select
        source_table,
        'exact_duplicate' as reason,
        exact_duplicates as rows_count
    from reconciliation

    union all

    select * from referential
),

final as (
    select
        source_table,
        reason,
        count(*) as rows_count,
        'quarantined' as kind
    from quarantine
    group by source_table, reason

    union all

    select
        source_table,
        reason,
        rows_count,
        'counted' as kind
    from counted
    where rows_count > 0
)

select * from final
