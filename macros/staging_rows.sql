{#- Shared by every staging base model.

    first_problem(checks): the first non-null reason code of a list of
    `case ... then 'reason' end` expressions (the row's quarantine reason), and
    all_problems(checks): every reason, comma separated.

    label_rows(relation, key, latest_first): labels each parsed row with
    row_status, so that raw rows = staged + quarantined + exact_duplicate
    + superseded:
      exact_duplicate  the same raw values as an earlier line of the file;
      quarantined      a reason code is set (kept, with the reason);
      superseded       an older version of a key that has a newer staged version;
      staged           everything else: one row per key.
    Versions are ordered by `latest_first`, then the line further down the file
    wins (deterministic). A line is identified by (_source_file, _raw_row), which
    landing always sets (unit tests that number copies or versions set both).

    Most lines are neither copies nor versions. Two narrow passes find the
    hashes of raw values (_values_hash) and of keys (_key_hash) that occur more
    than once; only the lines with such a hash (the suspects) reach the windows
    that number copies and versions, and the labels join back to the lines. A
    shared hash only makes a line a suspect: the windows compare the values
    themselves. The suspects are found from the two hashes alone, so only they
    are parsed a second time for the windows (on 1M orders the model took 7.0 s
    instead of 9.3 s when every line was parsed again to find them). Every wide
    CTE stays inlined (inlined_cte), so no pass holds the parsed lines in
    memory: on 55M events this is the difference between no spill and tens of
    GB of it (DECISIONLOG). The two hashes stay in the
    table: the incremental base models use them to find the lines a new line
    can affect (incremental_source).

    Each base model also sets `warnings`: all_problems(...) of the codes that do not
    stop a row (missing_email, unknown_<column>, ...), counted for staged rows in
    dq_shop__data_quality. -#}

{% macro first_problem(checks) -%}
    coalesce(
        {%- for check in checks %}
        {{ check }},
        {%- endfor %}
        null
    )
{%- endmacro %}

{% macro all_problems(checks) -%}
    nullif(concat_ws(
        ','
        {%- for check in checks %},
        {{ check }}
        {%- endfor %}
    ), '')
{%- endmacro %}

{#- The hash of a row's key columns (null when a part is null), from the parsed
    key columns or, with clean=true, from the raw text (the same value: keys are
    parsed with clean_text). -#}
{% macro key_hash(key, clean=false) -%}
    {%- set parts = [] -%}
    {%- for column in ([key] if key is string else key) -%}
        {%- do parts.append(clean_text(column) if clean else column) -%}
    {%- endfor -%}
    {{ text_hash(parts | join(" || '|' || ")) }}
{%- endmacro %}

{#- `materialized` for a CTE read more than once that must be computed once
    (DuckDB and PostgreSQL inline some CTEs; Spark has no such keyword). -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'segmart')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}

{#- `not materialized` for a CTE read more than once that must stay a view of
    its input: DuckDB materializes such a CTE by itself, which for 55M wide
    parsed rows means tens of GB of spill, while inlined each reader computes
    only the columns and rows it needs (PostgreSQL also takes the keyword;
    Spark always inlines). -#}
{% macro inlined_cte() -%}
    {{ return(adapter.dispatch('inlined_cte', 'segmart')()) }}
{%- endmacro %}

{% macro default__inlined_cte() -%}
    not materialized
{%- endmacro %}

{% macro spark__inlined_cte() -%}
{%- endmacro %}

{% macro label_rows(relation, key, latest_first) -%}
    {{ return(adapter.dispatch('label_rows', 'segmart')(relation, key, latest_first)) }}
{%- endmacro %}

{% macro default__label_rows(relation, key, latest_first) -%}
    {%- set keys = [key] if key is string else key %}
    with lines as {{ inlined_cte() }} (
        select
            *,
            {{ text_hash('raw_values') }} as _values_hash,
            {{ key_hash(keys) }} as _key_hash
        from {{ relation }}
    ),

    repeated_values as (
        select _values_hash
        from lines
        group by _values_hash
        having count(*) > 1
    ),

    repeated_keys as (
        select _key_hash
        from lines
        where _key_hash is not null
        group by _key_hash
        having count(*) > 1
    ),

    -- the few lines that can be a copy or a version: found from the two
    -- hashes alone, so the wide parse below runs for them only
    suspect_lines as {{ materialized_cte() }} (
        select
            _source_file,
            _raw_row,
            has_repeated_values,
            has_repeated_key
        from (
            select
                _source_file,
                _raw_row,
                _values_hash in (
                    select repeated_values._values_hash from repeated_values
                ) as has_repeated_values,
                _key_hash in (
                    select repeated_keys._key_hash from repeated_keys
                ) as has_repeated_key
            from lines
        ) as flagged
        where has_repeated_values or has_repeated_key
    ),

    suspects as {{ materialized_cte() }} (
        select
            lines.*,
            suspect_lines.has_repeated_values,
            suspect_lines.has_repeated_key
        from lines
        inner join suspect_lines
            on
                lines._source_file = suspect_lines._source_file
                and lines._raw_row = suspect_lines._raw_row
        -- implied by the join; a one-column IN is what DuckDB pushes down to
        -- the raw lines, before they are parsed
        where lines._raw_row in (select suspect_lines._raw_row from suspect_lines)
    ),

    copies as (
        select
            _source_file,
            _raw_row,
            row_number() over (
                partition by raw_values order by _raw_row
            ) as exact_copy_number
        from suspects
        where has_repeated_values
    ),

    candidates as (
        select suspects.*
        from suspects
        left join copies
            on
                suspects._source_file = copies._source_file
                and suspects._raw_row = copies._raw_row
        where
            suspects.has_repeated_key
            and suspects.quarantine_reason is null
            and coalesce(copies.exact_copy_number, 1) = 1
    ),

    versions as (
        select
            _source_file,
            _raw_row,
            row_number() over (
                partition by {{ keys | join(', ') }}
                order by {{ latest_first }}, _raw_row desc
            ) as version_number
        from candidates
    ),

    labels as (
        select
            suspects._source_file,
            suspects._raw_row,
            copies.exact_copy_number,
            versions.version_number
        from suspects
        left join copies
            on
                suspects._source_file = copies._source_file
                and suspects._raw_row = copies._raw_row
        left join versions
            on
                suspects._source_file = versions._source_file
                and suspects._raw_row = versions._raw_row
    ),

    labelled_lines as (
        select
            lines.*,
            coalesce(labels.exact_copy_number, 1) as exact_copy_number,
            coalesce(labels.version_number, 1) as version_number,
            case
                when labels.exact_copy_number > 1 then 'exact_duplicate'
                when lines.quarantine_reason is not null then 'quarantined'
                when labels.version_number > 1 then 'superseded'
                else 'staged'
            end as row_status
        from lines
        left join labels
            on
                lines._source_file = labels._source_file
                and lines._raw_row = labels._raw_row
    )

    select {{ raw_values_of_unstaged_lines() }}
    from labelled_lines
{%- endmacro %}

{#- The select list that ends label_rows: every column, with raw_values kept
    only for the lines that were not staged (quarantined, copies, superseded
    versions: the quarantine and an audit need them). A staged line's values
    are its parsed columns, and its raw line stays in raw.<table>. Not writing
    the JSON of every staged line (an email among it) took the events model
    from 16.2 s to 11.3 s at 5.5M lines, and leaves one copy of the PII fewer. PostgreSQL has no `* replace` or `* except`: there the base model's
    post-hook nulls it (forget_staged_raw_values). -#}
{% macro raw_values_of_unstaged_lines() -%}
    {{ return(adapter.dispatch('raw_values_of_unstaged_lines', 'segmart')()) }}
{%- endmacro %}

{% macro default__raw_values_of_unstaged_lines() -%}
    *
{%- endmacro %}

{% macro duckdb__raw_values_of_unstaged_lines() -%}
    * replace (
        case when row_status <> 'staged' then raw_values end as raw_values
    )
{%- endmacro %}

{% macro spark__raw_values_of_unstaged_lines() -%}
    * except (raw_values),
    case when row_status <> 'staged' then raw_values end as raw_values
{%- endmacro %}

{#- Post-hook of every staging base model (dbt_project.yml): on PostgreSQL, where
    label_rows cannot replace a column of `*`, null the raw_values of staged
    lines after the build; nothing elsewhere. -#}
{% macro forget_staged_raw_values() -%}
    {{ return(adapter.dispatch('forget_staged_raw_values', 'segmart')()) }}
{%- endmacro %}

{% macro default__forget_staged_raw_values() -%}
{%- endmacro %}

{% macro postgres__forget_staged_raw_values() -%}
    update {{ this }} set raw_values = null
    where row_status = 'staged' and raw_values is not null
{%- endmacro %}

{#- The tables of source `shop` that have a base model, in contract order: the
    list the quarantine, reconciliation and data-quality unions loop over. A
    static list (not the graph) so that dbt sees every ref at parse time. -#}
{% macro shop_tables() -%}
    {{ return([
        'orders', 'order_lines', 'products', 'refunds', 'customers',
        'engagement_events', 'tickets', 'reviews', 'campaigns', 'suppressions',
        'erasure_requests', 'fx_rates'
    ]) }}
{%- endmacro %}

{#- One output row per item of a comma-separated text (a select-list expression),
    e.g. a row's warning codes. -#}
{% macro split_to_rows(column) -%}
    {{ return(adapter.dispatch('split_to_rows', 'segmart')(column)) }}
{%- endmacro %}

{% macro default__split_to_rows(column) -%}
    unnest(string_to_array({{ column }}, ','))
{%- endmacro %}

{% macro duckdb__split_to_rows(column) -%}
    unnest(string_split({{ column }}, ','))
{%- endmacro %}
