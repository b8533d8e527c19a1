-- Every customer whose profile matches a segment's rule, before exclusions: one row
-- per customer x segment, with whether the segment's exclusions remove them and why.
-- Each spec's rule is inlined from segments/<name>.sql (segment_specs()), so this
-- model reads the profile only and the DAG stays honest. Every spec's rule is
-- evaluated here, once; the match reason is decided here too.
{%- set specs = segment_specs() %}
{%- set types = segment_validate_against_profile(specs, ref('int_customer_profile')) %}

with customer_profile as (
    select * from {{ ref('int_customer_profile') }}
),

matches as (
    {{- segment_matches_sql(specs, types) }}
),

final as (
    select
        cast(customer_key as {{ dbt.type_string() }}) as customer_key,
        cast(segment_name as {{ dbt.type_string() }}) as segment_name,
        cast(priority as integer) as priority,
        cast(is_excluded as boolean) as is_excluded,
        cast(match_reason as {{ dbt.type_string() }}) as match_reason,
        cast(case when is_excluded then exclusion_values end as {{ dbt.type_string() }})
            as exclusion_reason
    from matches
)

select * from final
