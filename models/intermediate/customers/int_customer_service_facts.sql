-- One row per customer: support tickets up to as_of. Null without a ticket export.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

customers as (
    select * from {{ ref('int_customers_identified') }}
),

tickets as (
    select * from {{ ref('stg_shop__tickets') }}
    where email is not null and cast(created_at as date) <= {{ as_of_date() }}
),

has_tickets as (
    select count(*) > 0 as is_present from tickets
),

ticket_facts as (
    select
        email,
        count(*) as tickets_count,
        sum(
            case
                when
                    cast(created_at as date)
                    > {{ dbt.dateadd('day', -90, as_of_date()) }}
                    then 1
                else 0
            end
        ) as tickets_90d,
        sum(case when status in ('open', 'pending') then 1 else 0 end)
            as open_tickets_count,
        sum(case when satisfaction = 'bad' then 1 else 0 end)
            as negative_satisfaction_count,
        sum(
            case
                when
                    satisfaction = 'bad'
                    and cast(created_at as date)
                    > {{ dbt.dateadd('day', -90, as_of_date()) }}
                    then 1
                else 0
            end
        ) as negative_satisfaction_90d,
        max(cast(created_at as date)) as last_ticket_date
    from tickets
    group by email
),

final as (
    select
        customers.customer_key,
        {% for col in [
            'tickets_count', 'tickets_90d', 'open_tickets_count',
            'negative_satisfaction_count', 'negative_satisfaction_90d'
        ] %}
            case
                when has_tickets.is_present
                    then cast(coalesce(ticket_facts.{{ col }}, 0) as bigint)
            end as {{ col }},
        {% endfor %}
        ticket_facts.last_ticket_date,
        case
            when has_tickets.is_present
                then coalesce(ticket_facts.open_tickets_count, 0) > 0
        end as has_open_ticket
    from customers
    cross join has_tickets
    left join ticket_facts
        on customers.email = ticket_facts.email
)

select * from final
