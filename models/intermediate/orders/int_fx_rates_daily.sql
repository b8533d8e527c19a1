-- One rate to the base currency per currency and day, up to as_of. The base
-- currency has rate 1 on every day. A day with no published rate takes the
-- nearest earlier one; days before a currency's first rate have none, so their
-- amounts are missing (and counted), never converted at 1.0.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

rates as (
    select * from {{ ref('stg_shop__fx_rates') }}
    where currency <> {{ base_currency() }}
),

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

bounds as (
    select
        least(
            coalesce((select min(rates.rate_date) from rates), {{ as_of_date() }}),
            coalesce(
                (select cast(min(orders.ordered_at) as date) from orders),
                {{ as_of_date() }}
            )
        ) as first_date
),

-- every day from the first rate or order to as_of (a spine of 45,000 days from
-- 1990 covers 1990-2112 and needs no query at compile time)
days as (
    select {{ dbt.dateadd('day', 'series.generated_number - 1', "cast('1990-01-01' as date)") }}  -- noqa: LT05
        as rate_date
    from ({{ dbt.generate_series(45000) }}) as series
),

days_in_range as (
    select cast(days.rate_date as date) as rate_date
    from days
    where
        cast(days.rate_date as date) >= (select bounds.first_date from bounds)
        and cast(days.rate_date as date) <= {{ as_of_date() }}
),

currencies as (
    select distinct currency from rates
),

-- the newest rate day on or before each day: a running max over the days (a
-- correlated subquery here is planned per day x rate on PostgreSQL)
filled as (
    select
        currencies.currency,
        days_in_range.rate_date,
        max(rates.rate_date) over (
            partition by currencies.currency
            order by days_in_range.rate_date
            rows between unbounded preceding and current row
        ) as source_rate_date
    from currencies
    cross join days_in_range
    left join rates
        on
            currencies.currency = rates.currency
            and days_in_range.rate_date = rates.rate_date
),

converted as (
    select
        filled.currency,
        filled.rate_date,
        rates.rate_to_base,
        filled.source_rate_date < filled.rate_date as is_carried_forward
    from filled
    inner join rates
        on
            filled.currency = rates.currency
            and filled.source_rate_date = rates.rate_date
),

base as (
    select
        {{ base_currency() }} as currency,
        rate_date,
        cast(1 as decimal(18, 8)) as rate_to_base,
        false as is_carried_forward
    from days_in_range
),

final as (
    select * from converted
    union all
    select * from base
)

select * from final
