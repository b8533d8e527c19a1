-- No member of a segment matches the segment's exclusions: each spec's exclusions
-- are evaluated again here, on customer_profile, independently of
-- int_segment_candidates.is_excluded.
{%- set specs = segment_specs() %}

with customer_profile as (
    select * from {{ ref('customer_profile') }}
),

membership as (
    select * from {{ ref('segment_membership') }}
),

violations as (
    {%- for spec in specs if spec.exclusions %}
        select
            customer_profile.customer_key,
            '{{ spec.name }}' as segment_name
        from customer_profile
        where
            customer_profile.customer_key in (
                select membership.customer_key
                from membership
                where membership.segment_name = '{{ spec.name }}'
            )
            and (
                {{ spec.exclusions }}
            )
        union all
    {%- endfor %}
    select
        cast(null as {{ dbt.type_string() }}) as customer_key,
        cast(null as {{ dbt.type_string() }}) as segment_name
    where false
)

select * from violations
