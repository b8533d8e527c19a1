-- Every raw product row, parsed, with its quarantine reason and row_status.
-- Key sku; the version with the newest updated_at wins, then the last in the file.
{%- set contract = shop_contract('products') %}

with source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'products') }}
),

parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('sku') }} as sku,

        -- strings
        {{ clean_text('product_name') }} as product_name,
        {{ snake_case('category') }} as category,

        -- numerics
        {{ parse_money('unit_cost') }} as unit_cost,
        {{ parse_money('price') }} as price,
        {{ parse_integer('inventory_quantity') }} as inventory_quantity,

        -- timestamps
        {{ parse_timestamp('updated_at') }} as updated_at,

        -- raw text, for the checks and the quarantine
        unit_cost as unit_cost_text,
        price as price_text,
        inventory_quantity as inventory_quantity_text,
        updated_at as updated_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from source
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when sku is null then 'missing_sku' end",
        value_problem('unit_cost_text', 'unit_cost', allow_negative=false),
        value_problem('price_text', 'price', allow_negative=false),
        value_problem('inventory_quantity_text', 'inventory_quantity'),
        timestamp_problem('updated_at_text', 'updated_at', required=false),
    ] %}
    {%- set warnings = [
        "case when unit_cost is null then 'missing_unit_cost' end",
    ] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        {{ all_problems(warnings) }} as warnings
    from parsed
),

labelled as (
    {{ label_rows('checked', 'sku', 'updated_at desc nulls last, _raw_row desc') }}
)

select * from labelled
