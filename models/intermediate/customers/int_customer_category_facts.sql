-- One row per customer with categorised order lines: top category by margin (by
-- net revenue where cost is unknown), categories bought, and the cross-sell pick
-- `next_category`: among the categories that buyers of this customer's top
-- category most often bought next (int_category_transitions), the most frequent
-- one they have not bought; without such history, a related category from the
-- seed category_relations. next_category_source says which: learned (the shop's own
-- transitions) or seed. is_next_category_in_stock: some product of it has stock.
with lines as (
    select * from {{ ref('int_order_lines_margined') }}
    where category is not null
),

transitions as (
    select * from {{ ref('int_category_transitions') }}
),

relations as (
    select * from {{ ref('category_relations') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
),

per_category as (
    select
        customer_key,
        category,
        sum(coalesce(line_margin, line_net_revenue)) as category_value
    from lines
    group by customer_key, category
),

top_category as (
    select
        customer_key,
        category as top_category
    from (
        select
            customer_key,
            category,
            row_number() over (
                partition by customer_key order by category_value desc, category asc
            ) as value_rank
        from per_category
    ) as ranked
    where value_rank = 1
),

bought as (
    select
        customer_key,
        count(*) as categories_count,
        {{ dbt.listagg('category', "','", 'order by category') }} as categories_bought
    from per_category
    group by customer_key
),

candidates as (
    select
        top_category.customer_key,
        transitions.to_category as category,
        1 as source_rank,
        transitions.customers_count as strength
    from top_category
    inner join transitions
        on top_category.top_category = transitions.from_category
    union all
    select
        top_category.customer_key,
        relations.related_category as category,
        2 as source_rank,
        0 as strength
    from top_category
    inner join relations
        on top_category.top_category = relations.category
),

next_pick as (
    select
        customer_key,
        category as next_category,
        case source_rank when 1 then 'learned' else 'seed' end as next_category_source
    from (
        select
            candidates.customer_key,
            candidates.category,
            candidates.source_rank,
            row_number() over (
                partition by candidates.customer_key
                order by
                    candidates.source_rank asc,
                    candidates.strength desc,
                    candidates.category asc
            ) as pick_rank
        from candidates
        left join per_category
            on
                candidates.customer_key = per_category.customer_key
                and candidates.category = per_category.category
        where per_category.category is null
    ) as ranked
    where pick_rank = 1
),

stocked as (
    select distinct category
    from products
    where is_in_stock
),

final as (
    select
        bought.customer_key,
        top_category.top_category,
        bought.categories_count,
        bought.categories_bought,
        next_pick.next_category,
        next_pick.next_category_source,
        case
            when next_pick.next_category is not null
                then stocked.category is not null
        end as is_next_category_in_stock
    from bought
    inner join top_category
        on bought.customer_key = top_category.customer_key
    left join next_pick
        on bought.customer_key = next_pick.customer_key
    left join stocked
        on next_pick.next_category = stocked.category
)

select * from final
