-- Every raw order row, parsed, with its quarantine reason and row_status.
{%- set contract = shop_contract('orders') %}
{%- set money = [
    'subtotal', 'discount_total', 'shipping_charged', 'tax_total', 'total',
    'shipping_cost'
] %}

{{ config(
    pre_hook="{{ forget_outdated_lines(source('shop', 'orders'), shop_contract('orders')) }}",
    post_hook="{{ record_parsing_fingerprint(source('shop', 'orders')) }}",
    **base_model_config()
) }}

-- the known values of the enumerated columns (macro join_enums joins them)
with enum_values as (
    select * from {{ ref('enum_values') }}
),

source as {{ materialized_cte() if is_incremental() else inlined_cte() }} (
    {{ incremental_source(
        source('shop', 'orders'), contract, 'order_id', 'coalesce(updated_at, ordered_at)',
        is_incremental()
    ) | indent(4) }}
),

-- parsing: from here on, the SQL is part of the parsing fingerprint
-- (macros/incremental.sql): an edit re-parses every line once
enums as {{ inlined_cte() }} (
    {{ join_enums('source', {'status': 'order_status', 'channel': 'order_channel'}) }}
),

parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('order_id') }} as order_id,
        {{ clean_text('customer_id') }} as customer_id,

        -- strings
        {{ parse_email('email') }} as email,
        upper({{ clean_text('currency') }}) as currency,
        {{ map_enum('status') }} as status,
        {{ map_enum('channel') }} as channel,
        {{ clean_text('discount_codes') }} as discount_codes,

        -- numerics
        {% for col in money %}
            {{ parse_money(col) }} as {{ col }},
        {% endfor %}

        -- timestamps
        {{ parse_timestamp('ordered_at') }} as ordered_at,
        {{ parse_timestamp('updated_at') }} as updated_at,

        -- raw text, for the checks and the quarantine
        {{ clean_text('email') }} as email_text,
        status as status_text,
        channel as channel_text,
        ordered_at as ordered_at_text,
        updated_at as updated_at_text,
        {% for col in money %}
            {{ col }} as {{ col }}_text,
        {% endfor %}
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from enums
),

fx_currencies as (
    select distinct upper(trim(currency)) as currency
    from {{ source('shop', 'fx_rates') }}
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when order_id is null then 'missing_order_id' end",
        timestamp_problem('ordered_at_text', 'ordered_at'),
        timestamp_problem('updated_at_text', 'updated_at', required=false),
        "case when currency is null then 'missing_currency' end",
        "case when not " ~ regex_full_match('currency', '[A-Z]{3}')
            ~ " then 'invalid_currency' end",
        "case when (select count(*) from fx_currencies) > 0
            and currency <> '" ~ (var('base_currency') or 'USD') ~ "'
            and currency not in (select fx_currencies.currency from fx_currencies)
            then 'unknown_currency' end",
    ] %}
    {%- for col in money %}
        {#- Some exports sign discounts negative: staging keeps the magnitude. -#}
        {%- do checks.append(money_problem(
            col ~ '_text', col, allow_negative=(col == 'discount_total')
        )) %}
    {%- endfor %}
    {%- set warnings = [
        email_problem('email_text'),
        enum_problem('status_text', 'status'),
        enum_problem('channel_text', 'channel'),
    ] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        {{ all_problems(warnings) }} as warnings,
        email is null as is_email_missing,
        email is null and email_text is not null as is_email_invalid
    from parsed
),

labelled as (
    {{ label_rows(
        'checked', 'order_id',
        'coalesce(updated_at, ordered_at) desc, ordered_at desc'
    ) }}
)

select * from labelled
