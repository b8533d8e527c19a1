with base as (
    select * from {{ ref('base_shop__fx_rates') }}
    where row_status = 'staged'
),

final as (
    select
        -- strings
        currency,

        -- numerics
        rate_to_base,

        -- dates
        rate_date
    from base
)

select * from final
