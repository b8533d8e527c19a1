-- One row: the date every date-relative fact is evaluated against.
-- var('as_of') when set, else the newest order date.
with orders as (
    select * from {{ ref('stg_shop__orders') }}
),

final as (
    select
        {% if var('as_of', '') %}
            cast('{{ var("as_of") }}' as date) as as_of_date,
        {% else %}
            cast(max(ordered_at) as date) as as_of_date,
        {% endif %}
        {{ "true" if var('as_of', '') else "false" }} as is_as_of_pinned
    from orders
)

select * from final
