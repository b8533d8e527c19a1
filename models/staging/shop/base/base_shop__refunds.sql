-- Every raw refund row, parsed, with its quarantine reason and row_status.
-- Key refund_id; the newest refunded_at wins.
{%- set contract = shop_contract('refunds') %}

with source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'refunds') }}
),

parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('refund_id') }} as refund_id,
        {{ clean_text('order_id') }} as order_id,

        -- strings
        {{ clean_text('reason') }} as reason,

        -- numerics
        {{ parse_money('amount') }} as amount,

        -- booleans
        {{ parse_boolean('is_return') }} as is_return,

        -- timestamps
        {{ parse_timestamp('refunded_at') }} as refunded_at,

        -- raw text, for the checks and the quarantine
        amount as amount_text,
        is_return as is_return_text,
        refunded_at as refunded_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from source
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when refund_id is null then 'missing_refund_id' end",
        "case when order_id is null then 'missing_order_id' end",
        timestamp_problem('refunded_at_text', 'refunded_at'),
        value_problem(
            'amount_text', 'amount',
            required=true, allow_negative=false, allow_zero=false
        ),
        value_problem('is_return_text', 'is_return'),
    ] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        cast(null as {{ dbt.type_string() }}) as warnings
    from parsed
),

labelled as (
    {{ label_rows('checked', 'refund_id', 'refunded_at desc nulls last') }}
)

select * from labelled
