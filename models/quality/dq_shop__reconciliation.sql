-- One row per raw-export table: where every raw row went.
-- raw_rows (landed + unreadable lines) = staged + quarantined + exact_duplicates
-- + superseded, or is_balanced is false and the data test fails.
with unreadable_lines as (
    select * from {{ source('landing', '_unreadable_lines') }}
),

counted as (
    {% for table in shop_tables() %}
        select
            '{{ table }}' as source_table,
            (
                select count(*) from {{ source('shop', table) }}
            ) as landed_rows,
            (
                select count(*) from unreadable_lines
                where unreadable_lines.source_table = '{{ table }}'
            ) as unreadable_lines,
            count(case when row_status = 'staged' then 1 end) as staged_rows,
            count(case when row_status = 'quarantined' then 1 end) as quarantined_rows,
            count(
                case when row_status = 'exact_duplicate' then 1 end
            ) as exact_duplicates,
            count(case when row_status = 'superseded' then 1 end) as superseded
        from {{ ref('base_shop__' ~ table) }}
        {{ 'union all' if not loop.last }}
    {% endfor %}
),

final as (
    select
        source_table,
        landed_rows + unreadable_lines as raw_rows,
        landed_rows,
        unreadable_lines,
        staged_rows as staged,
        quarantined_rows + unreadable_lines as quarantined,
        exact_duplicates,
        superseded,
        landed_rows + unreadable_lines
        = staged_rows + quarantined_rows + unreadable_lines + exact_duplicates
        + superseded as is_balanced
    from counted
)

select * from final
