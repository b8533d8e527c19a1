{#-
    Checks of the segment specs that need the database, and the SQL helpers they
    share with the segment models.

    segment_validate_against_profile(specs, relation) runs when a segment model is
    compiled (dbt compiles a model just before it runs it, after customer_profile
    is built). It fails the build, naming each spec, when
      - a rule or exclusion does not compile (DuckDB: parsed and bound against
        customer_profile by json_serialize_plan / json_serialize_sql, which
        return the error instead of raising it; other engines skip this check
        and fail on the statement itself);
      - a rule or exclusion uses a column customer_profile does not have;
    and warns, naming the spec, when its review_by date has passed.
    It returns the profile's column types by lower-cased name ({} when the
    relation does not exist yet, e.g. in a unit test or a lint run).
-#}

{% macro segment_validate_against_profile(specs, relation, warn=true) %}
    {%- if not execute -%}{{ return({}) }}{%- endif -%}
    {%- set types = {} -%}
    {#- In a unit test the ref is a CTE (no schema): nothing to look up. -#}
    {%- set found = none -%}
    {%- if relation is not string and relation.schema and relation.identifier -%}
        {%- set found = load_relation(relation) -%}
    {%- endif -%}
    {%- if found is not none -%}
        {%- for column in adapter.get_columns_in_relation(found) -%}
            {%- do types.update({column.name | lower: column.dtype | lower}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- set checks = [] -%}
    {%- for spec in specs -%}
        {%- for field, columns in [
            ('rule', spec.rule_columns), ('exclusions', spec.exclusion_columns)
        ] if spec[field] -%}
            {%- set unknown = [] -%}
            {%- if types -%}
                {%- for column in columns if column | lower not in types -%}
                    {%- do unknown.append(column) -%}
                {%- endfor -%}
            {%- endif -%}
            {%- for column in unknown -%}
                {%- do problems.append(
                    "segment '" ~ spec.name ~ "' (" ~ spec.file ~ "): unknown column '"
                    ~ column ~ "' in the " ~ field ~ ": customer_profile has no such "
                    ~ "column"
                ) -%}
            {%- endfor -%}
            {%- if unknown | length == 0 -%}
                {%- do checks.append({
                    'spec': spec, 'field': field, 'sql': spec[field]
                }) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set compiled = segment_compile_errors(checks, found) -%}
    {%- for error in compiled -%}
        {%- do problems.append(
            "segment '" ~ error.spec.name ~ "' (" ~ error.spec.file ~ "): the "
            ~ error.field ~ (" do" if error.field == 'exclusions' else " does")
            ~ " not compile: " ~ error.message
        ) -%}
    {%- endfor -%}
    {%- if problems | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "segmart: " ~ problems | length ~ " problem(s) in the segment specs:\n  - "
            ~ problems | join("\n  - ")
        ) }}
    {%- endif -%}
    {#- Once per build: not again for each unit test of the model. -#}
    {%- if warn and model.resource_type == 'model' -%}
        {%- set today = run_started_at.strftime('%Y-%m-%d') -%}
        {%- for spec in specs if spec.review_by < today -%}
            {%- do exceptions.warn(
                "segmart: segment '" ~ spec.name ~ "' (" ~ spec.file ~ "): review_by "
                ~ spec.review_by ~ " has passed: review the spec with its owner ("
                ~ spec.owner ~ "), keep, change or retire it, and move review_by"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(types) }}
{% endmacro %}


{#- The compile errors of SQL boolean expressions over `relation`: a list of
    {spec, field, message}. `checks`: a list of {spec, field, sql}. -#}
{% macro segment_compile_errors(checks, relation) %}
    {{ return(
        adapter.dispatch('segment_compile_errors', 'segmart')(checks, relation)
    ) }}
{% endmacro %}

{% macro default__segment_compile_errors(checks, relation) %}
    {{ return([]) }}
{% endmacro %}

{% macro duckdb__segment_compile_errors(checks, relation) %}
    {%- if checks | length == 0 -%}{{ return([]) }}{%- endif -%}
    {#- Bound against the relation when it exists (unknown functions, types), else
        parsed only (syntax). -#}
    {%- set serialize = 'json_serialize_plan' if relation else 'json_serialize_sql' -%}
    {%- set source = relation if relation else '(select 1 as dummy) as dummy' -%}
    {%- set query -%}
        {%- for check in checks %}
        select
            {{ loop.index0 }} as check_index,
            cast({{ serialize }}({{ segment_sql_string(
                'select 1 from ' ~ source ~ ' where (\n' ~ check.sql ~ '\n)'
            ) }}) as varchar) as result
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    {%- endset -%}
    {%- set errors = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- set result = fromjson(row[1]) -%}
        {%- set check = checks[row[0]] -%}
        {%- if result.get('error') -%}
            {%- do errors.append({
                'spec': check.spec, 'field': check.field,
                'message': result.get('error_message', row[1]) | replace('\n', ' '),
            }) -%}
        {%- elif (result.get('statements') or result.get('plans') or [])
            | length != 1 -%}
            {%- do errors.append({
                'spec': check.spec, 'field': check.field,
                'message': 'it is not a single boolean expression',
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(errors) }}
{% endmacro %}


{#- A SQL string literal holding `text`. -#}
{% macro segment_sql_string(text) -%}
    '{{ text | string | replace("'", "''") }}'
{%- endmacro %}


{#- `sql` with string literals and comments blanked out. -#}
{% macro segment_sql_without_literals(sql) %}
    {{ return(modules.re.sub(
        "'(?:[^']|'')*'|--[^\\n]*|/\\*[\\s\\S]*?\\*/", " ", sql or ''
    )) }}
{% endmacro %}


{#- The column names a SQL expression uses, in order of first use, lower-cased:
    identifiers outside string literals and comments, not followed by `(`
    (functions) or `.` (qualifiers), not after `::` (types), and not SQL
    keywords, type names or interval units. -#}
{% macro segment_sql_identifiers(sql) %}
    {%- set code = segment_sql_without_literals(sql) -%}
    {%- set keywords = segment_sql_keywords() -%}
    {%- set names = [] -%}
    {%- for match in modules.re.finditer(
        '(?<![\\w$])(?<!::)'
        ~ '(?:"((?:[^"]|"")+)"|([A-Za-z_][\\w$]*)(?![\\w$]))'
        ~ '(?!\\s*[(.])',
        code
    ) -%}
        {%- set quoted = match.group(1) -%}
        {%- set name = (quoted | replace('""', '"')) if quoted
            else match.group(2) | lower -%}
        {%- if (quoted or name not in keywords) and name not in names -%}
            {%- do names.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}


{% macro segment_sql_keywords() %}
    {{ return((
        'all and any array as asc at between both by case cast collate desc '
        ~ 'distinct else end escape except exists extract false filter first for '
        ~ 'from glob group having ilike in intersect is isnull last like limit '
        ~ 'not notnull null nulls on or order over partition select similar some '
        ~ 'symmetric then to true try_cast union unknown using when where with '
        ~ 'bigint bit blob bool boolean char date datetime dec decimal double '
        ~ 'float float4 float8 hugeint int int2 int4 int8 integer interval json '
        ~ 'list map numeric real row smallint string struct text time timestamp '
        ~ 'timestamptz tinyint ubigint uinteger usmallint utinyint uuid varchar '
        ~ 'century centuries day days decade decades hour hours microsecond '
        ~ 'microseconds millennium millisecond milliseconds minute minutes month '
        ~ 'months quarter quarters second seconds week weeks year years'
    ).split()) }}
{% endmacro %}
