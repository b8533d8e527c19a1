-- Every raw order line, parsed, with its quarantine reason and row_status.
-- Key (order_id, line_id); when a line appears in several versions, the one
-- further down the file wins (exports append changes).
{%- set contract = shop_contract('order_lines') %}

{{ config(
    pre_hook="{{ forget_outdated_lines(source('shop', 'order_lines'), shop_contract('order_lines')) }}",
    post_hook="{{ record_parsing_fingerprint(source('shop', 'order_lines')) }}",
    **base_model_config()
) }}

with source as {{ materialized_cte() if is_incremental() else inlined_cte() }} (
    {{ incremental_source(
        source('shop', 'order_lines'), contract, ['order_id', 'line_id'], none,
        is_incremental()
    ) | indent(4) }}
),

-- parsing: from here on, the SQL is part of the parsing fingerprint
-- (macros/incremental.sql): an edit re-parses every line once
parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('line_id') }} as line_id,
        {{ clean_text('sku') }} as sku,

        -- numerics
        {{ parse_integer('quantity') }} as quantity,
        {{ parse_money('unit_price') }} as unit_price,
        {{ parse_money('line_discount') }} as line_discount,

        -- raw text, for the checks and the quarantine
        quantity as quantity_text,
        unit_price as unit_price_text,
        line_discount as line_discount_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from source
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when order_id is null then 'missing_order_id' end",
        "case when line_id is null then 'missing_line_id' end",
        "case when sku is null then 'missing_sku' end",
        value_problem(
            'quantity_text', 'quantity',
            required=true, allow_negative=false, allow_zero=false
        ),
        value_problem(
            'unit_price_text', 'unit_price', required=true, allow_negative=false
        ),
        value_problem('line_discount_text', 'line_discount'),
    ] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        cast(null as {{ dbt.type_string() }}) as warnings
    from parsed
),

labelled as (
    {{ label_rows('checked', ['order_id', 'line_id'], '_raw_row desc') }}
)

select * from labelled
