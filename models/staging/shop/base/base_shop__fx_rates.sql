-- Every raw FX rate row, parsed, with its quarantine reason and row_status.
-- Key (currency, rate_date); the last row in the file wins.
{%- set contract = shop_contract('fx_rates') %}

with source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'fx_rates') }}
),

parsed as {{ inlined_cte() }} (
    select
        -- strings
        upper({{ clean_text('currency') }}) as currency,

        -- numerics
        {{ parse_decimal('rate_to_base', 8) }} as rate_to_base,

        -- dates
        {{ parse_date('rate_date') }} as rate_date,

        -- raw text, for the checks and the quarantine
        rate_to_base as rate_to_base_text,
        rate_date as rate_date_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from source
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when currency is null then 'missing_currency' end",
        "case when not " ~ regex_full_match('currency', '[A-Z]{3}')
            ~ " then 'invalid_currency' end",
        timestamp_problem('rate_date_text', 'rate_date'),
        value_problem(
            'rate_to_base_text', 'rate_to_base',
            required=true, allow_negative=false, allow_zero=false
        ),
    ] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        cast(null as {{ dbt.type_string() }}) as warnings
    from parsed
),

labelled as (
    {{ label_rows('checked', ['currency', 'rate_date'], '_raw_row desc') }}
)

select * from labelled
