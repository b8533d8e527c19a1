-- The floor: one hand-written DuckDB query that computes, from the raw export files,
-- the per-customer RFM and margin facts that segmart's customer_profile carries
-- (orders_count, first/last order date, net revenue, contribution margin, R/F/M
-- quintile scores), with segmart's rules (DECISIONLOG.md, "Customer identity" and "Money and margin"):
--   * the newest version of an order wins (updated_at);
--   * the customer is the normalised email (the order's, else its customer
--     record's); erased emails are no customer; customer_key = HMAC-SHA-256 of
--     the email under the installation's key ({inner_pad}, {outer_pad}: segmart.keys);
--   * money in USD at the order day's rate (refunds: the refund day's rate),
--     rounded to cents per amount;
--   * contribution margin = net revenue + shipping charged - refunds
--     - (product cost - cost recovered by returns) - shipping cost; refunds are
--     capped at what is left of the order total; an order without a product cost
--     for every line falls back to net revenue - refunds;
--   * cancelled orders do not count; as_of is the newest order date;
--   * score = 1 + floor(5 * (rank - 1) / customers), ties share the lower score.
-- It assumes clean exports (what `segmart generate` writes without --messy): no
-- quarantine, no format repair, no reconciliation. That is what makes it the floor.
-- {raw_dir} and {out} are filled in by reference_duckdb.py.
copy (
    with orders_read as (
        select
            order_id,
            nullif(trim(customer_id), '') as customer_id,
            nullif(lower(trim(email)), '') as email,
            upper(trim(currency)) as currency,
            lower(trim(status)) as status,
            cast(subtotal as decimal(18, 2)) as subtotal,
            abs(cast(discount_total as decimal(18, 2))) as discount_total,
            cast(shipping_charged as decimal(18, 2)) as shipping_charged,
            cast(total as decimal(18, 2)) as total,
            cast(shipping_cost as decimal(18, 2)) as shipping_cost,
            cast(ordered_at as timestamp) as ordered_at,
            coalesce(
                cast(updated_at as timestamp), cast(ordered_at as timestamp)
            ) as updated_at
        from read_csv('{raw_dir}/orders.csv', header = true, all_varchar = true)
    ),

    orders as (
        select * from orders_read
        qualify row_number() over (
            partition by order_id order by updated_at desc, ordered_at desc
        ) = 1
    ),

    as_of as (
        select cast(max(ordered_at) as date) as as_of_date from orders
    ),

    customers as (
        select
            customer_id,
            nullif(lower(trim(email)), '') as email
        from read_csv('{raw_dir}/customers.csv', header = true, all_varchar = true)
        qualify row_number() over (
            partition by customer_id
            order by
                cast(consent_updated_at as timestamp) desc nulls last,
                cast(created_at as timestamp) desc nulls last
        ) = 1
    ),

    erased as (
        select distinct lower(trim(email)) as email
        from read_csv(
            '{raw_dir}/erasure_requests.csv', header = true, all_varchar = true
        )
        where nullif(trim(email), '') is not null
    ),

    fx as (
        select
            upper(trim(currency)) as currency,
            cast(rate_date as date) as rate_date,
            cast(rate_to_base as decimal(18, 8)) as rate
        from read_csv('{raw_dir}/fx_rates.csv', header = true, all_varchar = true)
    ),

    products as (
        select
            sku,
            cast(unit_cost as decimal(18, 2)) as unit_cost
        from read_csv('{raw_dir}/products.csv', header = true, all_varchar = true)
    ),

    line_totals as (
        select
            lines.order_id,
            count(*) as lines_count,
            sum(cast(lines.quantity as integer) * cast(lines.unit_price as decimal(18, 2)))
                as lines_gross,
            sum(cast(lines.quantity as integer) * products.unit_cost) as lines_cost,
            count(products.unit_cost) as costed_lines_count
        from read_csv('{raw_dir}/order_lines.csv', header = true, all_varchar = true)
            as lines
        left join products on lines.sku = products.sku
        group by lines.order_id
    ),

    orders_costed as (
        select
            orders.order_id,
            sha256(
                unhex('{outer_pad}')
                || unhex(sha256(
                    unhex('{inner_pad}')
                    || encode(coalesce(orders.email, customers.email))
                ))
            ) as customer_key,
            cast(orders.ordered_at as date) as order_date,
            orders.currency,
            orders.total,
            fx.rate,
            round(
                (coalesce(orders.subtotal, line_totals.lines_gross, 0)
                - coalesce(orders.discount_total, 0)) * fx.rate, 2
            ) as net_revenue,
            round(coalesce(orders.shipping_charged, 0) * fx.rate, 2) as shipping_charged,
            round(coalesce(orders.shipping_cost, 0) * fx.rate, 2) as shipping_cost,
            case
                when line_totals.lines_count > 0
                    and line_totals.costed_lines_count = line_totals.lines_count
                    then line_totals.lines_cost
            end as product_cost
        from orders
        left join customers on orders.customer_id = customers.customer_id
        left join line_totals on orders.order_id = line_totals.order_id
        left join fx
            on orders.currency = fx.currency
            and cast(orders.ordered_at as date) = fx.rate_date
        left join erased on coalesce(orders.email, customers.email) = erased.email
        where orders.status <> 'cancelled' and erased.email is null
    ),

    refunds as (
        select
            refunds.order_id,
            cast(refunds.refunded_at as timestamp) as refunded_at,
            cast(refunds.amount as decimal(18, 2)) as amount,
            lower(trim(refunds.is_return)) in ('true', 't', 'yes', 'y', '1') as is_return,
            orders_costed.total,
            orders_costed.currency,
            orders_costed.product_cost,
            coalesce(sum(cast(refunds.amount as decimal(18, 2))) over (
                partition by refunds.order_id
                order by cast(refunds.refunded_at as timestamp), refunds.refund_id
                rows between unbounded preceding and 1 preceding
            ), 0) as refunded_before
        from read_csv('{raw_dir}/refunds.csv', header = true, all_varchar = true)
            as refunds
        inner join orders_costed on refunds.order_id = orders_costed.order_id
        where cast(cast(refunds.refunded_at as timestamp) as date)
            <= (select as_of_date from as_of)
    ),

    refunds_capped as (
        select
            refunds.order_id,
            round(
                greatest(least(refunds.amount, refunds.total - refunds.refunded_before), 0)
                * fx.rate, 2
            ) as refund_amount,
            case
                when refunds.is_return and refunds.total > 0
                    then cast(round(
                        coalesce(refunds.product_cost, 0) * least(
                            greatest(
                                least(
                                    refunds.amount,
                                    refunds.total - refunds.refunded_before
                                ), 0
                            ) / refunds.total, 1
                        ), 2
                    ) as decimal(18, 2))
                else 0
            end as returned_cost_recovered
        from refunds
        left join fx
            on refunds.currency = fx.currency
            and cast(refunds.refunded_at as date) = fx.rate_date
    ),

    refunds_per_order as (
        select
            order_id,
            sum(refund_amount) as refund_amount,
            sum(returned_cost_recovered) as returned_cost_recovered
        from refunds_capped
        group by order_id
    ),

    orders_margined as (
        select
            orders_costed.customer_key,
            orders_costed.order_date,
            orders_costed.net_revenue,
            case
                when orders_costed.product_cost is not null
                    then orders_costed.net_revenue + orders_costed.shipping_charged
                    - coalesce(refunds_per_order.refund_amount, 0)
                    - (orders_costed.product_cost
                        - coalesce(refunds_per_order.returned_cost_recovered, 0))
                    - orders_costed.shipping_cost
                else orders_costed.net_revenue
                    - coalesce(refunds_per_order.refund_amount, 0)
            end as contribution_margin
        from orders_costed
        left join refunds_per_order
            on orders_costed.order_id = refunds_per_order.order_id
    ),

    facts as (
        select
            customer_key,
            count(*) as orders_count,
            min(order_date) as first_order_date,
            max(order_date) as last_order_date,
            sum(net_revenue) as net_revenue,
            sum(contribution_margin) as contribution_margin
        from orders_margined
        where customer_key is not null
        group by customer_key
    ),

    ranked as (
        select
            *,
            count(*) over () as customers_count,
            rank() over (order by last_order_date asc) as recency_rank,
            rank() over (order by orders_count asc) as frequency_rank,
            rank() over (order by contribution_margin asc) as monetary_rank
        from facts
    )

    select
        customer_key,
        orders_count,
        first_order_date,
        last_order_date,
        net_revenue,
        contribution_margin,
        cast(1 + floor(5.0 * (recency_rank - 1) / customers_count) as integer)
            as recency_score,
        cast(1 + floor(5.0 * (frequency_rank - 1) / customers_count) as integer)
            as frequency_score,
        cast(1 + floor(5.0 * (monetary_rank - 1) / customers_count) as integer)
            as monetary_score
    from ranked
) to '{out}' (format parquet);
