-- Every raw product review, parsed, with its quarantine reason and row_status.
-- Key review_id; the newest created_at wins.
{%- set contract = shop_contract('reviews') %}

with source as {{ inlined_cte() }} (
    select * from {{ source('shop', 'reviews') }}
),

parsed as {{ inlined_cte() }} (
    select
        -- ids
        {{ clean_text('review_id') }} as review_id,
        {{ clean_text('sku') }} as sku,

        -- strings
        {{ parse_email('email') }} as email,
        {{ clean_text('body') }} as body,

        -- numerics
        {{ parse_integer('rating') }} as rating,

        -- timestamps
        {{ parse_timestamp('created_at') }} as created_at,

        -- raw text, for the checks and the quarantine
        {{ clean_text('email') }} as email_text,
        rating as rating_text,
        created_at as created_at_text,
        _source_file,
        _raw_row,
        {{ raw_values_json(contract) }} as raw_values
    from source
),

checked as {{ inlined_cte() }} (
    {%- set checks = [
        "case when review_id is null then 'missing_review_id' end",
        value_problem('rating_text', 'rating'),
        "case when rating not between 1 and 5 then 'rating_out_of_range' end",
        timestamp_problem('created_at_text', 'created_at'),
    ] %}
    {%- set warnings = [email_problem('email_text')] %}
    select
        *,
        {{ first_problem(checks) }} as quarantine_reason,
        {{ all_problems(checks) }} as quarantine_reasons,
        {{ all_problems(warnings) }} as warnings,
        email is null and email_text is not null as is_email_invalid
    from parsed
),

labelled as (
    {{ label_rows('checked', 'review_id', 'created_at desc') }}
)

select * from labelled
