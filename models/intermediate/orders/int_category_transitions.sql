-- Which category buyers move to next: for every customer, the categories in the
-- order they were first bought; each consecutive pair (from -> to) is counted
-- over all customers up to as_of.
with lines as (
    select * from {{ ref('int_order_lines_margined') }}
),

first_purchases as (
    select
        customer_key,
        category,
        min(order_date) as first_bought_date
    from lines
    where category is not null
    group by customer_key, category
),

sequenced as (
    select
        customer_key,
        category as from_category,
        lead(category) over (
            partition by customer_key order by first_bought_date, category
        ) as to_category
    from first_purchases
),

final as (
    select
        from_category,
        to_category,
        count(*) as customers_count
    from sequenced
    where to_category is not null
    group by from_category, to_category
)

select * from final
