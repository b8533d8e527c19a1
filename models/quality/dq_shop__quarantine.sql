-- Every raw row that was not staged because it could not be: the rows a base
-- model labelled `quarantined` (with their first reason and all reasons), and the
-- lines the CSV reader could not read at all (reason unreadable_line).
with quarantined_rows as (
    {% for table in shop_tables() %}
        select
            '{{ table }}' as source_table,
            _source_file as source_file,
            _raw_row as raw_row,
            quarantine_reason as reason,
            quarantine_reasons as reasons,
            raw_values
        from {{ ref('base_shop__' ~ table) }}
        where row_status = 'quarantined'
        {{ 'union all' if not loop.last }}
    {% endfor %}
),

unreadable_lines as (
    select
        source_table,
        source_file,
        line as raw_row,
        'unreadable_line' as reason,
        'unreadable_line' as reasons,
        {{ raw_values_json(['error_type', 'csv_line']) }} as raw_values
    from {{ source('landing', '_unreadable_lines') }}
),

final as (
    select * from quarantined_rows
    union all
    select * from unreadable_lines
)

select * from final
