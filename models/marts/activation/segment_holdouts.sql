{{ config(
    materialized='incremental',
    unique_key=['customer_key', 'segment_name', 'experiment'],
) }}
-- Every customer x segment ever matched, with its holdout group for the current
-- experiment (var holdout_experiment). Assignment is a hash (macro holdout_group),
-- so it is the same on every build; rows are only ever added, never changed.
-- the build's as_of date and base currency (macros as_of_date, base_currency)
with build_context as (
    select * from {{ ref('int_build_context') }}
),

membership as (
    select * from {{ ref('int_segment_memberships') }}
    where not is_fallback
),

assigned as (
    select
        customer_key,
        segment_name,
        '{{ var("holdout_experiment") }}' as experiment,
        {{ holdout_group(
            'customer_key', 'segment_name',
            "'" ~ var('holdout_experiment') ~ "'"
        ) }} as holdout_group,
        {{ as_of_date() }} as first_assigned_as_of
    from membership
),

final as (
    select assigned.*
    from assigned
    {% if is_incremental() %}
        left join {{ this }} as already_assigned
            on
                assigned.customer_key = already_assigned.customer_key
                and assigned.segment_name = already_assigned.segment_name
                and assigned.experiment = already_assigned.experiment
        where already_assigned.customer_key is null
    {% endif %}
)

select * from final
