-- One row per customer: what their tickets and reviews say (int_text_signals), up
-- to as_of. Ticket columns are null without a ticket export, review columns null
-- without a review export.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

customers as (
    select * from {{ ref('int_customers_identified') }}
),

signals as (
    select * from {{ ref('int_text_signals') }}
),

tickets as (
    select
        tickets.email,
        tickets.created_at,
        tickets.status,
        signals.sentiment,
        signals.intent,
        signals.urgency
    from {{ ref('stg_shop__tickets') }} as tickets
    inner join signals
        on tickets.ticket_id = signals.id and signals.source = 'ticket'
    where
        tickets.email is not null
        and cast(tickets.created_at as date) <= {{ as_of_date() }}
),

reviews as (
    select
        reviews.email,
        reviews.rating,
        signals.sentiment
    from {{ ref('stg_shop__reviews') }} as reviews
    inner join signals
        on reviews.review_id = signals.id and signals.source = 'review'
    where
        reviews.email is not null
        and cast(reviews.created_at as date) <= {{ as_of_date() }}
),

present as (
    select
        (select count(*) from tickets) > 0 as has_tickets,
        (select count(*) from reviews) > 0 as has_reviews
),

last_ticket as (
    select
        email,
        sentiment as last_ticket_sentiment,
        intent as last_ticket_intent
    from (
        select
            email,
            sentiment,
            intent,
            row_number() over (partition by email order by created_at desc) as recency
        from tickets
    ) as ranked
    where recency = 1
),

ticket_facts as (
    select
        email,
        sum(
            case
                when
                    sentiment = 'negative'
                    and cast(created_at as date)
                    > {{ dbt.dateadd('day', -90, as_of_date()) }}
                    then 1
                else 0
            end
        ) as negative_tickets_90d,
        max(
            case
                when status in ('open', 'pending') and urgency = 'high' then 1 else 0
            end
        ) = 1 as has_open_urgent_ticket
    from tickets
    group by email
),

review_facts as (
    select
        email,
        count(*) as reviews_count,
        sum(
            case when sentiment = 'positive' or rating >= 4 then 1 else 0 end
        ) as positive_reviews_count
    from reviews
    group by email
),

final as (
    select
        customers.customer_key,
        last_ticket.last_ticket_sentiment,
        last_ticket.last_ticket_intent,
        case
            when present.has_tickets
                then cast(coalesce(ticket_facts.negative_tickets_90d, 0) as bigint)
        end as negative_tickets_90d,
        case
            when present.has_tickets
                then coalesce(ticket_facts.has_open_urgent_ticket, false)
        end as has_open_urgent_ticket,
        case
            when present.has_reviews then coalesce(review_facts.reviews_count, 0)
        end as reviews_count,
        case
            when present.has_reviews
                then cast(coalesce(review_facts.positive_reviews_count, 0) as bigint)
        end as positive_reviews_count,
        case
            when present.has_reviews then coalesce(review_facts.reviews_count, 0) > 0
        end as has_reviewed
    from customers
    cross join present
    left join last_ticket
        on customers.email = last_ticket.email
    left join ticket_facts
        on customers.email = ticket_facts.email
    left join review_facts
        on customers.email = review_facts.email
)

select * from final
