-- The customer_key of every erased email (erasure_requests), whatever the build's
-- as_of. The marts that keep rows between builds (segment_membership_history,
-- customer_segment_changes, segment_holdouts) delete these keys from all their
-- dates before each build (macro forget_erased_customers), so an erasure that
-- arrives after months of builds reaches their past rows too; segmart also drops
-- them from the change-feed files and older published builds (segmart/erasure.py).
with erasure_requests as (
    select email from {{ ref('stg_shop__erasure_requests') }}
),

final as (
    select distinct {{ customer_key('email') }} as customer_key
    from erasure_requests
    where email is not null
)

select * from final
