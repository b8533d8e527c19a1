-- The QA page of one segment, as rows (page_section, item_number, subject, detail,
-- amount): size against expected share, margin profile, the top 10 members and the
-- top 10 just-excluded customers by contribution margin (with why), and the overlap
-- with every other segment.
--   dbt compile --select segment_qa --vars '{segment: champions}'
-- then run target/compiled/segmart/analyses/segment_qa.sql (or call
-- segmart.segments.qa_page(db_path, segment) for the same page as text).
{%- set segment = var('segment', 'champions') %}
{%- set names = segment_specs() | map(attribute='name') | list %}
{%- if segment not in names %}
    {{- exceptions.raise_compiler_error(
        "segment_qa: no segment '" ~ segment ~ "'; segments: " ~ names | join(', ')
    ) }}
{%- endif %}

with segment_library as (
    select * from {{ ref('segment_library') }}
    where segment_name = '{{ segment }}'
),

candidates as (
    select * from {{ ref('int_segment_candidates') }}
    where segment_name = '{{ segment }}'
),

customer_profile as (
    select * from {{ ref('customer_profile') }}
),

overlap as (
    select * from {{ ref('segment_overlap') }}
    where segment_a = '{{ segment }}'
),

size as (
    select
        'size' as page_section,
        1 as item_number,
        segment_name as subject,
        cast(customers_count as {{ dbt.type_string() }}) || ' of '
        || cast(customers_total as {{ dbt.type_string() }})
        || ' customers; expected share '
        || cast(expected_share_min as {{ dbt.type_string() }}) || ' to '
        || cast(expected_share_max as {{ dbt.type_string() }})
        || case
            when is_share_within_expected then ' (within)'
            else ' (outside: ' || share_severity || ')'
        end
        || '; excluded ' || cast(excluded_count as {{ dbt.type_string() }})
        || '; previous build ' || coalesce(
            cast(previous_customers_count as {{ dbt.type_string() }}), 'none'
        ) as detail,
        share_of_customers as amount
    from segment_library
),

margin_profile as (
    select
        'margin profile' as page_section,
        1 as item_number,
        segment_name as subject,
        'average contribution margin; share with negative margin '
        || coalesce(
            cast(round(negative_margin_share, 3) as {{ dbt.type_string() }}), 'unknown'
        ) as detail,
        cast(average_contribution_margin as double) as amount
    from segment_library
),

ranked_candidates as (
    select
        candidates.is_excluded,
        candidates.customer_key,
        candidates.match_reason,
        candidates.exclusion_reason,
        customer_profile.contribution_margin,
        row_number() over (
            partition by candidates.is_excluded
            order by
                customer_profile.contribution_margin desc nulls last,
                candidates.customer_key asc
        ) as item_number
    from candidates
    inner join customer_profile
        on candidates.customer_key = customer_profile.customer_key
),

top_candidates as (
    select
        case
            when is_excluded then 'top just excluded'
            else 'top included'
        end as page_section,
        item_number,
        customer_key as subject,
        case
            when is_excluded then 'excluded: ' || exclusion_reason
            else 'matched: ' || match_reason
        end as detail,
        cast(contribution_margin as double) as amount
    from ranked_candidates
    where item_number <= 10
),

other_segments as (
    select
        'overlap' as page_section,
        row_number() over (
            order by shared_customers desc, segment_b asc
        ) as item_number,
        segment_b as subject,
        cast(shared_customers as {{ dbt.type_string() }})
        || ' shared customers; share of '
        || segment_b || ' ' || coalesce(
            cast(round(share_of_b, 3) as {{ dbt.type_string() }}), 'n/a'
        ) as detail,
        share_of_a as amount
    from overlap
),

final as (
    select * from size
    union all
    select * from margin_profile
    union all
    select * from top_candidates
    union all
    select * from other_segments
)

select * from final
order by
    case page_section
        when 'size' then 1
        when 'margin profile' then 2
        when 'top included' then 3
        when 'top just excluded' then 4
        else 5
    end,
    item_number
