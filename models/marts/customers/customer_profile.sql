-- One row per customer with every fact a segment spec may use, as of as_of, for
-- BI tools: int_customer_profile published under its contract
-- (_customers__models.yml). No email, name, phone or postal code.
with profile as (
    select * from {{ ref('int_customer_profile') }}
),

final as (
    select * from profile
)

select * from final
