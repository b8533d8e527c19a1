-- For every ordered pair of different segments (a, b), including pairs that share
-- nobody: how many customers belong to both, and which share of a (and of b)
-- that is. Membership after exclusions, not only primary segments.
with segment_library as (
    select * from {{ ref('segment_library') }}
),

membership as (
    select * from {{ ref('int_segment_memberships') }}
    where not is_fallback
),

pairs as (
    select
        segment_a.segment_name as segment_a,
        segment_b.segment_name as segment_b,
        segment_a.customers_count as customers_count_a,
        segment_b.customers_count as customers_count_b
    from segment_library as segment_a
    cross join segment_library as segment_b
    where segment_a.segment_name <> segment_b.segment_name
),

shared as (
    select
        member_a.segment_name as segment_a,
        member_b.segment_name as segment_b,
        count(*) as shared_customers
    from membership as member_a
    inner join membership as member_b
        on
            member_a.customer_key = member_b.customer_key
            and member_a.segment_name <> member_b.segment_name
    group by member_a.segment_name, member_b.segment_name
),

final as (
    select
        cast(pairs.segment_a as {{ dbt.type_string() }}) as segment_a,
        cast(pairs.segment_b as {{ dbt.type_string() }}) as segment_b,
        cast(pairs.customers_count_a as bigint) as customers_count_a,
        cast(pairs.customers_count_b as bigint) as customers_count_b,
        cast(coalesce(shared.shared_customers, 0) as bigint) as shared_customers,
        cast(
            cast(coalesce(shared.shared_customers, 0) as {{ type_double() }})
            / nullif(pairs.customers_count_a, 0) as {{ type_double() }}
        ) as share_of_a,
        cast(
            cast(coalesce(shared.shared_customers, 0) as {{ type_double() }})
            / nullif(pairs.customers_count_b, 0) as {{ type_double() }}
        ) as share_of_b
    from pairs
    left join shared
        on
            pairs.segment_a = shared.segment_a
            and pairs.segment_b = shared.segment_b
)

select * from final
