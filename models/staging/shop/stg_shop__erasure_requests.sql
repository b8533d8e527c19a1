with base as (
    select * from {{ ref('base_shop__erasure_requests') }}
    where row_status = 'staged'
),

final as (
    select
        -- strings
        email,

        -- timestamps (UTC): null when the export's date was unusable
        case when is_requested_at_valid then requested_at end as requested_at
    from base
)

select * from final
