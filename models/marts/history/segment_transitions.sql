-- Where customers moved between consecutive as_of dates of the history: primary
-- segment before -> after, counted. `(none)` before: not yet a customer; after:
-- no longer in the history (e.g. erased).
with history as (
    select * from {{ ref('segment_membership_history') }}
    where is_primary
),

dates as (
    select
        as_of_date,
        lag(as_of_date) over (order by as_of_date) as previous_as_of_date
    from (select distinct as_of_date from history) as distinct_dates
),

before_rows as (
    select
        dates.previous_as_of_date as from_as_of_date,
        dates.as_of_date as to_as_of_date,
        history.customer_key,
        history.segment_name
    from dates
    inner join history
        on dates.previous_as_of_date = history.as_of_date
),

after_rows as (
    select
        dates.previous_as_of_date as from_as_of_date,
        dates.as_of_date as to_as_of_date,
        history.customer_key,
        history.segment_name
    from dates
    inner join history
        on dates.as_of_date = history.as_of_date
    where dates.previous_as_of_date is not null
),

pairs as (
    select
        coalesce(before_rows.from_as_of_date, after_rows.from_as_of_date)
            as from_as_of_date,
        coalesce(before_rows.to_as_of_date, after_rows.to_as_of_date) as to_as_of_date,
        coalesce(before_rows.segment_name, '(none)') as from_segment,
        coalesce(after_rows.segment_name, '(none)') as to_segment
    from before_rows
    full outer join after_rows
        on
            before_rows.from_as_of_date = after_rows.from_as_of_date
            and before_rows.customer_key = after_rows.customer_key
),

final as (
    select
        from_as_of_date,
        to_as_of_date,
        from_segment,
        to_segment,
        from_segment <> to_segment as is_move,
        count(*) as customers_count
    from pairs
    group by from_as_of_date, to_as_of_date, from_segment, to_segment
)

select * from final
