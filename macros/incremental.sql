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
    {%- set relanded = relanded_lines_relation() %}
    {#- built lines compared with their raw line again: within the lookback, and
        those landing replaced -#}
    {%- set compare = time_column or relanded is not none %}
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

    {%- if compare %}

    recent as (
        {%- if time_column %}
        select built.*
        from built
        where built._changed_at >= (
            select {{ dbt.dateadd('day', -lookback, 'max(_changed_at)') }}
            from built
            where quarantine_reason is null
        )
        {%- endif %}
        {%- if time_column and relanded is not none %}
        union
        {%- endif %}
        {%- if relanded is not none %}
        -- edited in place whatever their date: landing listed them
        select built.*
        from built
        inner join (
            select distinct
                _source_file,
                _raw_row
            from {{ relanded }}
            where source_table = {{ segmart_literal(relation.identifier) }}
        ) as relanded
            on
                built._source_file = relanded._source_file
                and built._raw_row = relanded._raw_row
        {%- endif %}
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
        {%- if compare %}
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
        {%- if compare %}
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

{#- Parsing fingerprint. A line is parsed once; an incremental run parses only
    the lines in scope (above). What parsing depends on besides the line is
    fingerprinted by each incremental base model after its build (post-hook
    record_parsing_fingerprint), in table <raw_schema>._parsing_fingerprints, one
    row per (model_name, part):
      - `var <name>` for each of parsing_vars(): the vars the parsing reads;
      - `max_valid_date`: the newest valid timestamp as this build judged it;
      - `enum_values`: a hash of the seed table's content, when the model reads it;
      - `fx_currencies`: a hash of the currencies of fx_rates (orders: a staged
        order's currency that loses its rates becomes unknown_currency);
      - `code`: a hash of the model's compiled SQL from its `-- parsing:` line on,
        which holds every parsing macro as rendered, the vars included.
    The pre-hook (forget_outdated_lines) compares them with what this run sees;
    when one differs, or none was stored, it empties the table, so the run parses
    every line (as --full-refresh would, through the same incremental SQL), and
    logs which part changed. A later max_valid_date changes nothing: the lines it
    makes valid are quarantined ones, which every run parses again.
    Spark builds these models as tables: nothing to compare. -#}

{#- The vars the parsing macros read (parse_timestamp, parse_money,
    parse_date; orders: base_currency). max_valid_date is a part of its own. -#}
{% macro parsing_vars() -%}
    {{ return(['source_timezone', 'local_timestamp_format', 'decimal_comma', 'base_currency']) }}
{%- endmacro %}

{% macro parsing_fingerprints_relation() -%}
    {{ return(api.Relation.create(
        database=this.database, schema=var('raw_schema'),
        identifier='_parsing_fingerprints'
    )) }}
{%- endmacro %}

{#- The parts (an ordered list of [part, value]) of this model's fingerprint now.
    Runs in a hook: `model.compiled_code` is the model as compiled for this run. -#}
{% macro parsing_fingerprint() -%}
    {%- set parts = [] -%}
    {%- for name in parsing_vars() -%}
        {%- do parts.append(['var ' ~ name, var(name) | string]) -%}
    {%- endfor -%}
    {%- set newest = run_query('select ' ~ max_valid_timestamp()).rows[0][0] -%}
    {%- do parts.append(['max_valid_date', newest | string]) -%}
    {%- set parents = model.depends_on.nodes -%}
    {%- if 'seed.segmart.enum_values' in parents -%}
        {%- set seed = run_query(
            'select domain, variant, value from '
            ~ parent_relation('seed.segmart.enum_values')
            ~ ' order by domain, variant, value'
        ) -%}
        {%- set text = [] -%}
        {%- for row in seed.rows -%}
            {%- do text.append(row.values() | list | tojson) -%}
        {%- endfor -%}
        {%- do parts.append(['enum_values', local_md5(text | join('\n'))]) -%}
    {%- endif -%}
    {%- if 'source.segmart.shop.fx_rates' in parents -%}
        {%- set currencies = run_query(
            'select distinct upper(trim(currency)) as currency from '
            ~ parent_relation('source.segmart.shop.fx_rates') ~ ' order by 1'
        ).columns[0].values() -%}
        {%- do parts.append(['fx_currencies', local_md5(currencies | join(','))]) -%}
    {%- endif -%}
    {%- set code = model.compiled_code or '' -%}
    {%- set marker = '-- parsing:' -%}
    {%- if marker not in code -%}
        {{ exceptions.raise_compiler_error(
            "segmart: " ~ model.name ~ " has no '" ~ marker ~ "' line (or its compiled "
            ~ "code is not available to the hook): the parsing fingerprint hashes "
            ~ "the compiled SQL from that line on (macros/incremental.sql)."
        ) }}
    {%- endif -%}
    {#- The database name (a DuckDB file's name) and the moving default of
        max_valid_date are not parsing: left out. -#}
    {%- set parsing = code.split(marker, 1)[1]
        .replace(max_valid_timestamp() | trim, 'max_valid_timestamp()')
        .replace('"' ~ this.database ~ '".', '')
        .replace(this.database ~ '.', '') -%}
    {%- do parts.append(['code', local_md5(parsing)]) -%}
    {{ return(parts) }}
{%- endmacro %}

{#- The relation of one of this model's parents (a seed or a source) by its
    unique id, from the graph: the model's own ref()/source() made the edge. -#}
{% macro parent_relation(unique_id) -%}
    {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
    {{ return(api.Relation.create(
        database=node.database, schema=node.schema,
        identifier=node.get('alias') or node.get('identifier') or node.name
    )) }}
{%- endmacro %}

{#- Why this model must parse every line again, as a list of sentences (empty:
    it need not): the stored fingerprint against parsing_fingerprint(). -#}
{% macro parsing_changes() -%}
    {%- set stored_relation = adapter.get_relation(
        database=this.database, schema=var('raw_schema'),
        identifier='_parsing_fingerprints'
    ) -%}
    {%- set stored = {} -%}
    {%- if stored_relation is not none -%}
        {%- for row in run_query(
            'select part, value from ' ~ stored_relation
            ~ ' where model_name = ' ~ segmart_literal(model.name)
        ).rows -%}
            {%- do stored.update({row[0]: row[1]}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if not stored -%}
        {{ return(['no parsing fingerprint was stored by an earlier build']) }}
    {%- endif -%}
    {%- set now = parsing_fingerprint() -%}
    {%- set vars_changed = [] -%}
    {%- set reasons = [] -%}
    {%- for part, value in now -%}
        {%- set before = stored.get(part) -%}
        {%- if part.startswith('var ') and before != value -%}
            {%- do vars_changed.append(part[4:] ~ ' ' ~ (before | tojson) ~ ' -> ' ~ (value | tojson)) -%}
        {%- elif part == 'max_valid_date' and (before is none or value < before) -%}
            {%- do reasons.append(
                'max_valid_date moved earlier (' ~ before ~ ' -> ' ~ value
                ~ '): staged lines may now be in the future'
            ) -%}
        {%- elif part == 'enum_values' and before != value -%}
            {%- do reasons.append('the enum_values seed changed') -%}
        {%- elif part == 'fx_currencies' and before != value -%}
            {%- do reasons.append('the currencies of fx_rates changed') -%}
        {%- elif part == 'code' and before != value and not vars_changed -%}
            {%- do reasons.append(
                'the parsing code changed (the model or a macro it calls)'
            ) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if vars_changed -%}
        {%- do reasons.insert(0, 'parsing vars changed: ' ~ vars_changed | join(', ')) -%}
    {%- endif -%}
    {{ return(reasons) }}
{%- endmacro %}

{#- Pre-hook of the incremental base models: on an incremental run, forget every
    built line when the parsing changed (parsing_changes), saying why; else only
    the lines of a rewritten file (forget_rewritten_lines). -#}
{% macro forget_outdated_lines(relation, contract) -%}
    {%- if execute and is_incremental() -%}
        {%- set reasons = parsing_changes() -%}
        {%- if reasons -%}
            {%- do log(
                'segmart: ' ~ model.name ~ ': ' ~ reasons | join('; ')
                ~ '; re-parsing every line', info=true
            ) -%}
            delete from {{ this }}
        {%- else -%}
            {{ forget_rewritten_lines(relation, contract) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of the incremental base models: store this build's parsing
    fingerprint, and forget the re-landed lines of the model's export (they were
    in scope: relanded_lines). -#}
{% macro record_parsing_fingerprint(relation) -%}
    {%- if execute and target.type != 'spark' -%}
        {%- set table = parsing_fingerprints_relation() -%}
        {%- set rows = [] -%}
        {%- for part, value in parsing_fingerprint() -%}
            {%- do rows.append(
                '(' ~ segmart_literal(model.name) ~ ', ' ~ segmart_literal(part)
                ~ ', ' ~ segmart_literal(value) ~ ')'
            ) -%}
        {%- endfor -%}
        create table if not exists {{ table }} (
            model_name {{ dbt.type_string() }},
            part {{ dbt.type_string() }},
            value {{ dbt.type_string() }}
        );
        delete from {{ table }} where model_name = {{ segmart_literal(model.name) }};
        insert into {{ table }} (model_name, part, value) values
            {{ rows | join(',\n            ') }};
        {%- set relanded = relanded_lines_relation() %}
        {%- if relanded is not none %}
        delete from {{ relanded }} where source_table = {{ segmart_literal(relation.identifier) }};
        {%- endif %}
    {%- endif -%}
{%- endmacro %}

{#- The table where landing lists the lines it replaced (edited in place) since
    the base model last ran: <raw_schema>._relanded_lines, or none. -#}
{% macro relanded_lines_relation() -%}
    {{ return(adapter.get_relation(
        database=this.database, schema=var('raw_schema'), identifier='_relanded_lines'
    )) }}
{%- endmacro %}
