with base as (
    select * from {{ ref('base_shop__suppressions') }}
    where row_status = 'staged'
),

final as (
    select
        -- strings
        email,
        channel,
        reason,

        -- timestamps (UTC): null when the export's date was unusable
        case when is_suppressed_at_valid then suppressed_at end as suppressed_at
    from base
)

select * from final
