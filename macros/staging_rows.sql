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
    Versions are ordered by `latest_first`, then by the raw values (deterministic).

    Each base model also sets `warnings`: all_problems(...) of the codes that do not
    stop a row (missing_email, unknown_<column>, ...), counted for staged rows in
    stg_shop__data_quality. -#}

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

{% macro label_rows(relation, key, latest_first) -%}
    with copies as (
        select
            *,
            row_number() over (
                partition by raw_values order by _raw_row
            ) as exact_copy_number
        from {{ relation }}
    ),

    versions as (
        select
            *,
            row_number() over (
                partition by
                    {{ key | join(', ') if key is not string else key }},
                    (exact_copy_number = 1 and quarantine_reason is null)
                order by {{ latest_first }}, raw_values desc
            ) as version_number
        from copies
    )

    select
        *,
        case
            when exact_copy_number > 1 then 'exact_duplicate'
            when quarantine_reason is not null then 'quarantined'
            when version_number > 1 then 'superseded'
            else 'staged'
        end as row_status
    from versions
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
