{#-
    Land the raw exports in schema `raw`, every column as text, before anything runs.

    For every table of source `shop` (the raw-export contract, declared once in
    models/staging/shop/_shop__sources.yml) it looks in var('raw_dir') (else SEGMART_RAW_DIR) for
    <name>.parquet, <name>.csv or <name>.csv.gz and writes raw.<name> with:
      - exactly the contract columns, as varchar; a column missing from the file is a
        typed null, an extra column is ignored, header names match case-insensitively;
      - _source_file, _raw_row (1-based position in the file) and _loaded_at (the
        file's modification time when the line was landed, for source freshness);
    and raw._unreadable_lines with the lines the CSV reader could not read (invalid
    UTF-8, more fields than the header, ...), so reconciliation can count them
    instead of losing them. NUL bytes are removed from every value (a file
    written as UTF-16 or padded by a broken exporter); a line may be up to
    segmart_max_line_bytes() long (a ticket body of megabytes lands whole).
    The build stops, naming the file, on what no line-by-line rule can mend
    (segmart_check_header): a file that reads as one column holding another
    delimiter, a contract column named twice in the header (in any case), a
    zero-byte required file, a corrupt gzip or a quote never closed (DuckDB's
    own error names the file).
    An absent optional file lands as an empty table; an absent required file stops
    the build with a message that names it.
    A build after the first lands only what changed: the file is read again and
    its new, edited and vanished lines are added, replaced and deleted by
    _raw_row (segmart_land_changes), so raw.<name> is line for line what a full
    land gives. `dbt build --full-refresh`, another file or contract, or a file
    more than a tenth changed land the whole file anew.

    DuckDB only: on PostgreSQL and Spark `segmart load` writes the same raw tables.
-#}
{% macro land_raw_files() %}
    {{ return(adapter.dispatch('land_raw_files', 'segmart')()) }}
{% endmacro %}

{#- Other engines cannot read the files: `segmart load` writes the raw tables first.
    Check that it did, naming what is missing. -#}
{% macro default__land_raw_files() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set raw_schema = var('raw_schema') -%}
    {%- set missing = [] -%}
    {%- for node in graph.sources.values()
        if node.source_name == 'shop' and node.package_name == 'segmart' -%}
        {%- if adapter.get_relation(
            database=target.database, schema=raw_schema, identifier=node.name
        ) is none -%}
            {%- do missing.append(raw_schema ~ '.' ~ node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "segmart: the raw tables " ~ missing | join(', ') ~ " are missing on "
            ~ "target '" ~ target.name ~ "' (" ~ target.type ~ "): run `segmart load` "
            ~ "first; it writes every raw export (orders is required) into schema '"
            ~ raw_schema ~ "'."
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__land_raw_files() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- if not segmart_selection_reads_raw() -%}
        {%- do log('segmart: no selected node reads the raw exports: landing skipped', info=true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set raw_dir = (var('raw_dir', env_var('SEGMART_RAW_DIR', 'data/raw')) | string).rstrip('/') -%}
    {%- set raw_schema = var('raw_schema') -%}
    {%- do run_query('create schema if not exists ' ~ raw_schema) -%}
    {%- set found = run_query(
        "select file from glob(" ~ segmart_literal(raw_dir ~ '/*') ~ ")"
    ).columns[0].values() -%}
    {%- do run_query(
        'create or replace table ' ~ raw_schema ~ '._unreadable_lines_pending '
        ~ '(source_table varchar, source_file varchar, line bigint, '
        ~ 'error_type varchar, csv_line varchar)'
    ) -%}
    {%- for node in graph.sources.values()
        if node.source_name == 'shop' and node.package_name == 'segmart' -%}
        {%- set candidates = [] -%}
        {%- for ext in ['parquet', 'csv', 'csv.gz'] -%}
            {%- set path = raw_dir ~ '/' ~ node.name ~ '.' ~ ext -%}
            {%- if path in found -%}{%- do candidates.append(path) -%}{%- endif -%}
        {%- endfor -%}
        {%- set contract = node.columns.keys() | list -%}
        {%- set target_table = raw_schema ~ '.' ~ node.name -%}
        {%- if candidates | length == 0 -%}
            {%- if node.meta.get('required', false) -%}
                {{ exceptions.raise_compiler_error(
                    "segmart: the required raw export '" ~ node.name ~ "' is missing: "
                    ~ "no " ~ node.name ~ ".csv, .csv.gz or .parquet in '" ~ raw_dir
                    ~ "'. Point SEGMART_RAW_DIR at your exports or run "
                    ~ "`segmart generate` for demo data."
                ) }}
            {%- endif -%}
            {%- do run_query(segmart_empty_raw_table(target_table, contract)) -%}
        {%- else -%}
            {%- set path = candidates[0] -%}
            {%- set meta = run_query(
                "select size, last_modified::timestamp from read_blob("
                ~ segmart_literal(path) ~ ")"
            ) -%}
            {%- if meta.rows[0][0] == 0 -%}
                {#- A zero-byte file is not a header-only file: likely an export
                    that failed. Optional: an empty table and a warning; the
                    required orders: an error. -#}
                {%- if node.meta.get('required', false) -%}
                    {{ exceptions.raise_compiler_error(
                        "segmart: the required raw export '" ~ path ~ "' is empty "
                        ~ "(0 bytes, not even a header): the export probably failed. "
                        ~ "Export it again."
                    ) }}
                {%- endif -%}
                {%- do log(
                    "segmart: warning: '" ~ path ~ "' is empty (0 bytes, not even a "
                    ~ "header): " ~ node.name ~ " landed as an empty table.", info=true
                ) -%}
                {%- do run_query(segmart_empty_raw_table(target_table, contract)) -%}
            {%- else -%}
                {%- set loaded_at = meta.rows[0][1] -%}
                {%- if path.endswith('.parquet') -%}
                    {%- set reader = "read_parquet(" ~ segmart_literal(path) ~ ")" -%}
                    {%- set rejects = none -%}
                {%- else -%}
                    {%- set rejects = 'segmart_rejects_' ~ node.name -%}
                    {%- set reader -%}
                        read_csv({{ segmart_literal(path) }}, header = true,
                            all_varchar = true,
                            delim = {{ segmart_literal(var('csv_delimiter')) }}, quote = '"',
                            escape = '"', null_padding = true, parallel = false,
                            max_line_size = {{ segmart_max_line_bytes() }},
                            store_rejects = true, rejects_table = '{{ rejects }}',
                            rejects_scan = '{{ rejects }}_scan')
                    {%- endset -%}
                {%- endif -%}
                {%- set header = run_query(
                    'describe select * from ' ~ reader
                ).columns[0].values() -%}
                {%- do segmart_check_header(path, header, contract) -%}
                {%- set by_lower = {} -%}
                {%- for col in header -%}
                    {%- do by_lower.update({(col | lower | trim): col}) -%}
                {%- endfor -%}
                {#- Fields past the header that the sniffer saw (it names them
                    column<N>): the lines holding them are unreadable, as the
                    reader itself rejects such lines further down the file. -#}
                {%- set extra = [] -%}
                {%- for col in header -%}
                    {%- if rejects and col == 'column' ~ loop.index0 -%}
                        {%- do extra.append(segmart_identifier(col) ~ ' is null') -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- set fits = extra | join(' and ') if extra else 'true' -%}
                {%- set all_fields = [] -%}
                {%- for col in header -%}
                    {%- do all_fields.append(
                        'coalesce(' ~ segmart_identifier(col) ~ ", '')"
                    ) -%}
                {%- endfor -%}
                {%- set numbered -%}
                    (select *, cast(row_number() over () as bigint) as _segmart_row
                    from {{ reader }}) as numbered
                {%- endset -%}
                {%- set file_lines -%}
                    select
                        {%- for col in contract %}
                        {% if col in by_lower -%}
                            {%- set value = 'cast(' ~ segmart_identifier(by_lower[col])
                                ~ ' as varchar)' -%}
                            {#- contains() first: a copy only for a value with a NUL -#}
                            case
                                when contains({{ value }}, chr(0))
                                    then replace({{ value }}, chr(0), '')
                                else {{ value }}
                            end
                        {%- else -%}
                            cast(null as varchar)
                        {%- endif %} as {{ col }},
                        {%- endfor %}
                        {{ segmart_literal(path) }} as _source_file,
                        _segmart_row as _raw_row,
                        cast('{{ loaded_at }}' as timestamp) as _loaded_at
                    from {{ numbered }}
                    where {{ fits }}
                {%- endset -%}
                {%- set changes_landed = segmart_can_land_changes(
                    target_table, contract, path
                ) and segmart_land_changes(target_table, contract, file_lines) -%}
                {%- if not changes_landed -%}
                    {%- if rejects -%}
                        {#- a reader keeps adding to its rejects table: start anew -#}
                        {%- do run_query(
                            'drop table if exists ' ~ rejects ~ '; '
                            ~ 'drop table if exists ' ~ rejects ~ '_scan'
                        ) -%}
                    {%- endif -%}
                    {%- do run_query(
                        'create or replace table ' ~ target_table ~ ' as ' ~ file_lines
                    ) -%}
                {%- endif -%}
                {%- if rejects -%}
                    {%- do run_query(
                        'insert into ' ~ raw_schema ~ '._unreadable_lines_pending '
                        ~ "select '" ~ node.name ~ "', " ~ segmart_literal(path) ~ ", line, "
                        ~ 'error_type, csv_line from ' ~ rejects
                    ) -%}
                {%- endif -%}
                {%- if extra -%}
                    {%- do run_query(
                        'insert into ' ~ raw_schema ~ '._unreadable_lines_pending '
                        ~ "select '" ~ node.name ~ "', " ~ segmart_literal(path)
                        ~ ", _segmart_row + 1, 'TOO MANY COLUMNS', concat_ws("
                        ~ segmart_literal(var('csv_delimiter')) ~ ', '
                        ~ all_fields | join(', ') ~ ') from ' ~ numbered.replace(rejects, rejects ~ '_extra')
                        ~ ' where not (' ~ fits ~ '); drop table if exists '
                        ~ rejects ~ '_extra; drop table if exists ' ~ rejects ~ '_extra_scan'
                    ) -%}
                {%- endif -%}
                {%- if rejects -%}
                    {%- do segmart_check_every_line_read(
                        path, target_table, numbered, header, rejects
                    ) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {#- Keep this build's unreadable lines only. -#}
    {%- do run_query(
        'create or replace table ' ~ raw_schema ~ '._unreadable_lines as '
        ~ 'select * from ' ~ raw_schema ~ '._unreadable_lines_pending; '
        ~ 'drop table ' ~ raw_schema ~ '._unreadable_lines_pending'
    ) -%}
    {{ return('') }}
{% endmacro %}

{% macro segmart_empty_raw_table(target_table, contract) %}
    create or replace table {{ target_table }} as
    select
        {%- for col in contract %}
        cast(null as varchar) as {{ col }},
        {%- endfor %}
        cast(null as varchar) as _source_file,
        cast(null as bigint) as _raw_row,
        cast(null as timestamp) as _loaded_at
    where false
{% endmacro %}

{#- Whether raw.<name> can take just the changes of its file: not a full refresh,
    and the table has the contract's columns and only lines of this very file. -#}
{% macro segmart_can_land_changes(target_table, contract, path) %}
    {%- if flags.FULL_REFRESH -%}{{ return(false) }}{%- endif -%}
    {%- set schema, name = target_table.split('.') -%}
    {%- set columns = run_query(
        "select column_name from information_schema.columns "
        ~ "where table_catalog = current_database() and table_schema = '" ~ schema
        ~ "' and table_name = '" ~ name ~ "' order by ordinal_position"
    ).columns[0].values() | list -%}
    {%- if columns != contract + ['_source_file', '_raw_row', '_loaded_at'] -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set lines = run_query(
        "select count(*), count(*) filter (where _source_file is distinct from "
        ~ segmart_literal(path) ~ ") from " ~ target_table
    ).rows[0] -%}
    {{ return(lines[0] > 0 and lines[1] == 0) }}
{% endmacro %}

{#- Land only what changed in the file since the last build: its lines are read
    again (the file is the truth), and those whose contract values differ from
    the landed line of the same _raw_row, the new lines and the lines gone from
    the file are replaced, added and deleted. Unchanged lines keep their
    _loaded_at. Returns false, having changed nothing, when more than a tenth of
    the lines changed (a rewritten file): a full land is quicker then.
    On 5.5M events with a day appended, 2.7 s instead of 9.4 s for a full land:
    reading the file is cheap, writing every line again is not. -#}
{% macro segmart_land_changes(target_table, contract, file_lines) %}
    {%- set values = contract | join(', ') -%}
    {%- set file_values = 'file_lines.' ~ contract | join(', file_lines.') -%}
    {%- set compare -%}
        create or replace temp table segmart_landing_changes as
        with file_lines as (
            {{ file_lines }}
        ),

        landed as (
            select
                _raw_row,
                hash({{ values }}) as _line_hash
            from {{ target_table }}
        )

        select
            file_lines.*,
            landed._raw_row as _replaced_row
        from file_lines
        full outer join landed
            on file_lines._raw_row = landed._raw_row
        where
            file_lines._raw_row is null
            or landed._raw_row is null
            or landed._line_hash <> hash({{ file_values }})
    {%- endset -%}
    {%- do run_query(compare) -%}
    {%- do segmart_list_relanded_lines(target_table) -%}
    {%- set counts = run_query(
        'select (select count(*) from segmart_landing_changes), '
        ~ '(select count(*) from ' ~ target_table ~ ')'
    ).rows[0] -%}
    {%- if counts[0] * 10 > counts[1] -%}
        {%- do run_query('drop table segmart_landing_changes') -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set apply -%}
        delete from {{ target_table }}
        where _raw_row in (
            select _replaced_row from segmart_landing_changes
            where _replaced_row is not null
        );
        insert into {{ target_table }} by name
        select * exclude (_replaced_row) from segmart_landing_changes
        where _raw_row is not null;
        drop table segmart_landing_changes
    {%- endset -%}
    {%- do run_query(apply) -%}
    {{ return(true) }}
{% endmacro %}


{#- Lines edited in place (another value at the same _raw_row) are listed in
    <raw_schema>._relanded_lines for the export's incremental base model, which
    parses them again whatever their date and then forgets them
    (incremental_source, record_parsing_fingerprint). Listed whether the changes
    or the whole file are landed; kept until the base model runs. -#}
{% macro segmart_list_relanded_lines(target_table) %}
    {%- set schema, name = target_table.split('.') -%}
    {%- set base = graph.nodes.get('model.segmart.base_shop__' ~ name) -%}
    {%- if base is none or base.config.materialized != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- do run_query(
        'create table if not exists ' ~ schema ~ '._relanded_lines '
        ~ '(source_table varchar, _source_file varchar, _raw_row bigint); '
        ~ 'insert into ' ~ schema ~ '._relanded_lines '
        ~ 'select ' ~ segmart_literal(name) ~ ', _source_file, _raw_row '
        ~ 'from segmart_landing_changes '
        ~ 'where _raw_row is not null and _replaced_row is not null'
    ) -%}
{% endmacro %}

{#- Stop the build, naming the file, when the CSV reader silently read less
    than the whole file: a quote opened and never closed past the sniffer's
    sample makes DuckDB take the rest of the file for one value and return the
    lines before it, with no error and no rejected line. The file's lines are
    counted without quoting (a cheap one-column read): with the header, every
    landed and every unreadable line, they must all be there. Only when they are
    not (values holding line breaks span several lines) is the file read again
    to count each row's lines exactly. -#}
{% macro segmart_check_every_line_read(path, target_table, numbered, header, rejects) %}
    {%- set raw_schema = target_table.split('.')[0] -%}
    {%- set counts = run_query(
        "select (select count(*) from read_csv(" ~ segmart_literal(path)
        ~ ", header = false, columns = {'line': 'varchar'}, delim = chr(31), "
        ~ "quote = '', escape = '', auto_detect = false, ignore_errors = true, "
        ~ "max_line_size = " ~ segmart_max_line_bytes() ~ ") "
        ~ "where line is not null and line <> ''), "
        ~ "(select count(*) from " ~ target_table ~ "), "
        ~ "(select count(*) from " ~ raw_schema ~ "._unreadable_lines_pending "
        ~ "where source_file = " ~ segmart_literal(path) ~ ")"
    ).rows[0] -%}
    {%- if counts[0] <= 1 + counts[1] + counts[2] -%}{{ return('') }}{%- endif -%}
    {%- set fields = [] -%}
    {%- for col in header -%}
        {%- do fields.append('coalesce(' ~ segmart_identifier(col) ~ ", '')") -%}
    {%- endfor -%}
    {%- set text = 'concat(' ~ fields | join(', ') ~ ')' -%}
    {%- set rejected = run_query(
        "select count(distinct line) + coalesce(sum(length(csv_line) "
        ~ "- length(replace(csv_line, chr(10), ''))), 0) from " ~ rejects
    ).rows[0][0] -%}
    {%- set read = run_query(
        'select count(*) + coalesce(sum(length(' ~ text ~ ') - length(replace('
        ~ text ~ ", chr(10), ''))), 0), max(_segmart_row), arg_max("
        ~ segmart_identifier(header[0]) ~ ', _segmart_row) from '
        ~ numbered.replace(rejects, rejects ~ '_count')
    ).rows[0] -%}
    {%- do run_query(
        'drop table if exists ' ~ rejects ~ '_count; drop table if exists '
        ~ rejects ~ '_count_scan'
    ) -%}
    {%- set lost = counts[0] - 1 - read[0] - rejected -%}
    {%- if lost > 0 -%}
        {{ exceptions.raise_compiler_error(
            "segmart: '" ~ path ~ "': " ~ lost ~ " of its lines were not read after "
            ~ "data row " ~ read[1] ~ " ('" ~ (read[2] | string)[:40] ~ "'): a quote "
            ~ "opened there and never closed makes the CSV reader take the rest of "
            ~ "the file for one value. Close or remove that quote and export again."
        ) }}
    {%- endif -%}
{% endmacro %}

{#- Whether this invocation needs the raw tables: some selected node reads a
    source (the base models and the quality reports), or is not a model, seed,
    data test or exposure of the graph (a unit test reads the landed columns;
    anything unknown lands, to be safe). `dbt build --select int_segment_candidates+`, the analyst's
    loop, then skips reading every export again. -#}
{% macro segmart_selection_reads_raw() %}
    {%- for uid in selected_resources if not uid.startswith('exposure.') -%}
        {%- set node = graph.nodes.get(uid) -%}
        {%- if node is none -%}
            {{ return(true) }}
        {%- endif -%}
        {%- for parent in node.depends_on.nodes if parent.startswith('source.') -%}
            {{ return(true) }}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(selected_resources | length == 0) }}
{% endmacro %}


{#- `text` as a SQL string literal (a quote doubled): paths, file names and the
    delimiter go into landing's SQL only this way, so a folder named
    "shop's exports" lands like any other. -#}
{% macro segmart_literal(text) -%}
    {{ return("'" ~ (text | string).replace("'", "''") ~ "'") }}
{%- endmacro %}

{#- `name` as a quoted SQL identifier (a double quote doubled): a header of the
    file, whatever characters it holds. -#}
{% macro segmart_identifier(name) -%}
    {{ return('"' ~ (name | string).replace('"', '""') ~ '"') }}
{%- endmacro %}



{#- The longest line the CSV reader takes: 64 MB (DuckDB's default, 2 MB, stops
    the build on a long ticket body and prints the whole line). -#}
{% macro segmart_max_line_bytes() -%}
    {{ return(67108864) }}
{%- endmacro %}

{#- Stop the build, naming the file, when its header cannot be mapped to the
    contract without guessing:
      - the file reads as one column whose name holds another delimiter (a ';'
        export read with the default ','): every line would land in one column
        and be quarantined, so say which var to set instead;
      - a contract column appears twice (Email and email, or email twice): which
        one is meant cannot be told. DuckDB renames a repeated header to
        <name>_<n>, so the header as written is read again only then. -#}
{% macro segmart_check_header(path, header, contract) %}
    {%- set delimiter = var('csv_delimiter') -%}
    {%- if contract | length > 1 and header | length == 1 -%}
        {%- for other in [';', ',', '\t', '|'] if other != delimiter and other in header[0] -%}
            {{ exceptions.raise_compiler_error(
                "segmart: '" ~ path ~ "' reads as a single column ('" ~ header[0][:60]
                ~ "') with the delimiter '" ~ delimiter ~ "', but its header holds '"
                ~ (other | replace('\t', '\\t')) ~ "': it looks '"
                ~ (other | replace('\t', '\\t')) ~ "'-delimited. Set the csv_delimiter var, "
                ~ "e.g. --vars '{csv_delimiter: \"" ~ (other | replace('\t', '\\t'))
                ~ "\"}' (all CSV exports of a shop share one delimiter)."
            ) }}
        {%- endfor -%}
    {%- endif -%}
    {%- set renamed = [] -%}
    {%- for col in header if modules.re.search('_[0-9]+$', col) -%}
        {%- do renamed.append(col) -%}
    {%- endfor -%}
    {%- if renamed -%}
        {%- if path.endswith('.parquet') -%}
            {%- set written = run_query(
                "select name from parquet_schema(" ~ segmart_literal(path)
                ~ ") where num_children is null"
            ).columns[0].values() -%}
        {%- else -%}
            {%- set first = run_query(
                "select * from read_csv(" ~ segmart_literal(path) ~ ", header = false, "
                ~ "all_varchar = true, delim = " ~ segmart_literal(delimiter)
                ~ ", quote = '\"', escape = '\"', null_padding = true, "
                ~ "parallel = false, ignore_errors = true, max_line_size = "
                ~ segmart_max_line_bytes() ~ ") limit 1"
            ) -%}
            {%- set written = first.rows[0].values() if first.rows else [] -%}
        {%- endif -%}
        {%- set seen = {} -%}
        {%- for col in written if col is not none -%}
            {%- set key = col | lower | trim -%}
            {%- do seen.update({key: seen.get(key, []) + [col]}) -%}
        {%- endfor -%}
        {%- for col in contract if seen.get(col, []) | length > 1 -%}
            {{ exceptions.raise_compiler_error(
                "segmart: '" ~ path ~ "' has the column '" ~ col ~ "' "
                ~ seen[col] | length ~ " times in its header (" ~ seen[col] | join(', ')
                ~ "; names match whatever their case): which one holds the "
                ~ col ~ " cannot be told. Remove or rename the other."
            ) }}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}
