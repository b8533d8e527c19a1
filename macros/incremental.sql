{#- Incremental base models: the staging base models where volume lives
    (orders, order lines, engagement events) are built incrementally. A run
    parses and labels only the raw lines a change can affect, and replaces those
    lines in the table (delete+insert on _source_file, _raw_row). A full refresh
    (`dbt build --full-refresh`) gives the same table; tests_py/test_incremental.py
    proves it on a fixture with late, updated and rewritten lines.

    The lines in scope are:
      - new lines: past the last line of their file already built (exports
        append; a late-arriving event is a new line whatever its timestamp);
      - lines changed in place within the lookback window: already built lines
        whose `time_column` is at most var('incremental_lookback_days') days
        before the newest, and whose raw values differ now;
      - quarantined lines (a future timestamp, an unknown currency can become
        valid on a later day);
      - and every line that shares a key or the raw values with one of those, so
        that duplicates and versions are labelled among all their lines. Built
        lines are matched by the hashes stored when they were built, so a run
        hashes only the new and the recent raw lines (on 55M events, hashing
        every raw line again took the model 98 s of a daily refresh; now 9 s).
    A file rewritten from scratch (its last built line differs, or the file is
    gone) is forgotten before the run (forget_rewritten_lines) and parsed anew.
    Files are known by their path (_source_file): exports moved to another folder
    are parsed anew once.

    Spark builds these models as tables (dbt-spark has no delete+insert on
    Parquet tables). -#}

{% macro base_model_config() -%}
    {%- if target.type == 'spark' -%}
        {{ return({'materialized': 'table'}) }}
    {%- endif -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': ['_source_file', '_raw_row'],
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{#- The raw lines of `relation` a run must (re)parse: the whole relation on a
    full build, else the lines in scope (above). Used as the model's `source` CTE:
    the relation's columns, for those lines.
    `incremental` is the model's is_incremental() (called in the model, so that
    unit tests can override it). -#}
{% macro incremental_source(relation, contract, key, time_column, incremental) -%}
    {%- if not incremental %}
    select * from {{ relation }}
    {%- else %}
    {%- set lookback = var('incremental_lookback_days') | int %}
    {%- set values_hash = text_hash(raw_values_json(contract)) %}
    {%- set line_key_hash = key_hash(key, clean=true) %}
    with built as {{ inlined_cte() }} (
        select
            _source_file,
            _raw_row,
            _values_hash,
            _key_hash,
            quarantine_reason
            {%- if time_column %},
            {{ time_column }} as _changed_at
            {%- endif %}
        from {{ this }}
    ),

    watermarks as (
        select
            _source_file,
            max(_raw_row) as last_row
        from built
        group by _source_file
    ),

    -- the hashes are computed after each join, so only for the lines it keeps
    new_lines as {{ materialized_cte() }} (
        select
            landed._source_file,
            landed._raw_row,
            {{ values_hash }} as _values_hash,
            {{ line_key_hash }} as _key_hash
        from {{ relation }} as landed
        left join watermarks
            on landed._source_file = watermarks._source_file
        where
            watermarks.last_row is null
            or landed._raw_row > watermarks.last_row
    ),

    {%- if time_column %}

    recent as (
        select built.*
        from built
        where built._changed_at >= (
            select {{ dbt.dateadd('day', -lookback, 'max(_changed_at)') }}
            from built
            where quarantine_reason is null
        )
    ),

    changed_lines as {{ materialized_cte() }} (
        -- a line's raw values now, and the key it had when it was built
        select
            recent._source_file,
            recent._raw_row,
            {{ values_hash }} as _values_hash,
            {{ line_key_hash }} as _key_hash,
            recent._key_hash as _built_key_hash
        from {{ relation }} as landed
        inner join recent
            on
                landed._source_file = recent._source_file
                and landed._raw_row = recent._raw_row
        where
            landed._raw_row in (select recent._raw_row from recent)
            and recent._values_hash <> {{ values_hash }}
    ),
    {%- endif %}

    quarantined_lines as (
        select
            _values_hash,
            _key_hash
        from built
        where quarantine_reason is not null
    ),

    in_scope as (
        select
            _values_hash,
            _key_hash
        from new_lines
        union all
        select
            _values_hash,
            _key_hash
        from quarantined_lines
        {%- if time_column %}
        union all
        select
            _values_hash,
            _key_hash
        from changed_lines
        union all
        select
            null as _values_hash,
            _built_key_hash as _key_hash
        from changed_lines
        {%- endif %}
    ),

    -- the lines to parse: the new (and changed) lines, and the built lines
    -- that share a hash with a line in scope, found by the hashes stored when
    -- they were built (the raw lines are not hashed again)
    lines_in_scope as {{ materialized_cte() }} (
        select
            _source_file,
            _raw_row
        from new_lines
        {%- if time_column %}
        union
        select
            _source_file,
            _raw_row
        from changed_lines
        {%- endif %}
        union
        select
            _source_file,
            _raw_row
        from built
        where
            _values_hash in (
                select in_scope._values_hash from in_scope
                where in_scope._values_hash is not null
            )
            or _key_hash in (
                select in_scope._key_hash from in_scope
                where in_scope._key_hash is not null
            )
    )

    select landed.*
    from {{ relation }} as landed
    inner join lines_in_scope
        on
            landed._source_file = lines_in_scope._source_file
            and landed._raw_row = lines_in_scope._raw_row
    -- implied by the join; a one-column IN is what DuckDB pushes down to the scan
    where landed._raw_row in (select lines_in_scope._raw_row from lines_in_scope)
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of the incremental base models: forget the built lines of a raw file
    that was rewritten rather than appended to (its last built line is missing or
    differs now) or that is gone, so the run parses that file anew. -#}
{% macro forget_rewritten_lines(relation, contract) -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where _source_file in (
        with watermarks as (
            select
                _source_file,
                max(_raw_row) as last_row
            from {{ this }}
            group by _source_file
        ),

        landed as (
            select
                _source_file,
                _raw_row,
                {{ text_hash(raw_values_json(contract)) }} as _values_hash
            from {{ relation }}
            where _raw_row in (select watermarks.last_row from watermarks)
        )

        select built._source_file
        from {{ this }} as built
        inner join watermarks
            on
                built._source_file = watermarks._source_file
                and built._raw_row = watermarks.last_row
        left join landed
            on
                built._source_file = landed._source_file
                and built._raw_row = landed._raw_row
        where
            landed._raw_row is null
            or built._values_hash <> landed._values_hash
    )
    {%- endif -%}
{%- endmacro %}
