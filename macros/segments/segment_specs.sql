{#-
    The segment library's spec loader.

    A segment spec is one file, segments/<name>.sql, holding one macro
    segment_spec__<name>() that returns a dict (see README, "Segments: add one in
    5 minutes"). segment_specs() finds every such macro in the Jinja context, so
    there is no second list to keep in sync, checks each spec's fields and returns
    the specs sorted by name, normalised:

        name, purpose, rule, exclusions ('' when none), rule_text and
        exclusions_text (the SQL laid out for people), priority, owner, refresh,
        channels (list), success_measure, offer_hint ('' when none),
        expected_share_min, expected_share_max, share_severity (warn|error,
        default warn), allow_empty (default false), review_by ('YYYY-MM-DD'),
        file, rule_columns and exclusion_columns (identifiers the SQL uses).

    It runs when dbt parses and again when it compiles each segment model, so a
    broken spec fails `dbt parse` / `dbt build` before any segment is built. Every
    problem of every spec is reported at once, each naming its spec. (dbt does not
    record the spec macros as dependencies of the models, so a partial parse after
    editing only a spec may skip the parse-time check; the compile-time check still
    fails `dbt build` before any segment model is built.) Checks that need the
    database (the rule compiles, its columns exist) are in
    segment_validate_against_profile() (segment_validation.sql).
-#}

{#- The specs the segment models build: none means all of them. dbt unit tests
    override it (`overrides: macros: {segment_scope: [champions]}`) so each spec is
    tested on its own and adding a spec never changes another spec's unit test. -#}
{% macro segment_scope() %}
    {{ return(none) }}
{% endmacro %}


{% macro segment_spec_fields() %}
    {{ return({
        'required': [
            'name', 'purpose', 'rule', 'priority', 'owner', 'refresh', 'channels',
            'success_measure', 'expected_share', 'review_by',
        ],
        'optional': ['exclusions', 'offer_hint', 'share_severity', 'allow_empty'],
        'refresh': ['real_time', 'daily', 'weekly', 'campaign'],
        'channels': ['email', 'sms', 'paid_social', 'sales', 'service', 'dashboard'],
        'share_severity': ['warn', 'error'],
    }) }}
{% endmacro %}


{% macro segment_specs() %}
    {%- set prefix = 'segment_spec__' -%}
    {%- set fields = segment_spec_fields() -%}
    {%- set specs = [] -%}
    {%- set problems = [] -%}
    {%- set priorities = {} -%}
    {%- for key in context.keys() | sort if key.startswith(prefix) -%}
        {%- set suffix = key[prefix | length:] -%}
        {%- set file = context[key].macro.original_file_path | replace('\\', '/') -%}
        {%- set spec = context[key]() -%}
        {%- set where = "segment '" ~ suffix ~ "' (" ~ file ~ "): " -%}
        {%- set found = segment_spec_problems(suffix, spec, file, fields) -%}
        {%- for problem in found -%}
            {%- do problems.append(where ~ problem) -%}
        {%- endfor -%}
        {%- set priority = spec.get('priority') if spec is mapping else none -%}
        {%- if priority is integer and priority is not boolean -%}
            {%- if priority in priorities -%}
                {%- do problems.append(
                    where ~ "priority " ~ priority ~ " is already used by segment '"
                    ~ priorities[priority] ~ "': priorities must be unique "
                    ~ "(lower wins when a customer matches several segments)"
                ) -%}
            {%- else -%}
                {%- do priorities.update({priority: suffix}) -%}
            {%- endif -%}
        {%- endif -%}
        {%- if found | length == 0 -%}
            {%- do specs.append(segment_normalise_spec(spec, file)) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- A macro in segments/ that is not a spec is a misnamed spec. -#}
    {%- for key, value in context.items() | sort
        if not key.startswith(prefix)
        and value.macro is defined and value.macro.original_file_path is defined
        and (value.macro.original_file_path | replace('\\', '/'))
            .startswith('segments/')
        and value.macro.package_name == project_name -%}
        {%- do problems.append(
            value.macro.original_file_path ~ " defines macro '" ~ key ~ "', which is "
            ~ "not a segment spec: name it " ~ prefix ~ "<segment name>"
        ) -%}
    {%- endfor -%}
    {%- set scope = segment_scope() -%}
    {%- if scope is not none -%}
        {%- set names = specs | map(attribute='name') | list -%}
        {%- for name in scope if name not in names -%}
            {%- do problems.append("segment_scope() names no spec '" ~ name ~ "'") -%}
        {%- endfor -%}
        {%- set specs = specs | selectattr('name', 'in', scope) | list -%}
    {%- endif -%}
    {%- if problems | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "segmart: " ~ problems | length ~ " problem(s) in the segment specs:\n  - "
            ~ problems | join("\n  - ")
        ) }}
    {%- endif -%}
    {{ return(specs) }}
{% endmacro %}


{#- Every problem of one spec (a list of messages, empty when it is valid). -#}
{% macro segment_spec_problems(suffix, spec, file, fields) %}
    {%- set problems = [] -%}
    {%- if spec is not mapping -%}
        {%- do problems.append(
            "the macro must return a dict of spec fields, got '"
            ~ (spec | string | trim)[:60] ~ "'"
        ) -%}
        {{ return(problems) }}
    {%- endif -%}
    {%- set re = modules.re -%}
    {%- for field in fields.required -%}
        {%- set value = spec.get(field) -%}
        {%- if value is none or (value is string and value | trim == '') -%}
            {%- do problems.append("required field '" ~ field ~ "' is missing") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for field in spec.keys() | sort
        if field not in fields.required and field not in fields.optional -%}
        {%- do problems.append(
            "unknown field '" ~ field ~ "' (fields: "
            ~ (fields.required + fields.optional) | join(', ') ~ ")"
        ) -%}
    {%- endfor -%}
    {%- set name = spec.get('name') -%}
    {%- if name is not none -%}
        {%- if name is not string or not re.match('^[a-z][a-z0-9_]*$', name) -%}
            {%- do problems.append(
                "name '" ~ name ~ "' is not snake_case (a-z, 0-9, _; starts "
                ~ "with a letter)"
            ) -%}
        {%- elif name != suffix -%}
            {%- do problems.append(
                "name '" ~ name ~ "' differs from the macro name segment_spec__"
                ~ suffix ~ ": they must be equal"
            ) -%}
        {%- endif -%}
        {%- if name == var('segment_fallback_name') -%}
            {%- do problems.append(
                "name '" ~ name ~ "' is the fallback segment of customers who match "
                ~ "nothing (var segment_fallback_name)"
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if file.split('/')[-1] != suffix ~ '.sql' -%}
        {%- do problems.append(
            "the spec lives in " ~ file ~ ": name the file " ~ suffix ~ ".sql"
        ) -%}
    {%- endif -%}
    {%- for field in [
        'purpose', 'owner', 'success_measure', 'rule', 'exclusions', 'offer_hint'
    ] -%}
        {%- set value = spec.get(field) -%}
        {%- if value is not none and value is not string -%}
            {%- do problems.append("'" ~ field ~ "' must be text, got " ~ value) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for field in ['rule', 'exclusions'] -%}
        {%- set value = spec.get(field) -%}
        {%- if value is string -%}
            {%- set code = segment_sql_without_literals(value) | lower -%}
            {%- set clock = re.search(
                '\\b(current_date|current_timestamp|localtimestamp|now|today|'
                ~ 'get_current_timestamp|getdate)\\b', code
            ) -%}
            {%- if clock -%}
                {%- do problems.append(
                    "the " ~ field ~ (" read" if field == 'exclusions' else " reads")
                    ~ " the wall clock (" ~ clock.group(1)
                    ~ "): compare with as_of_date or a days_since_* column instead"
                ) -%}
            {%- endif -%}
            {%- if '{{' in value or '{%' in value -%}
                {%- do problems.append(
                    "the " ~ field ~ (" hold" if field == 'exclusions' else " holds")
                    ~ " unrendered Jinja: write it inside a "
                    ~ "{% set " ~ field ~ " %}...{% endset %} block"
                ) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set priority = spec.get('priority') -%}
    {%- if priority is not none and (priority is boolean or priority is not integer) -%}
        {%- do problems.append("priority must be an integer, got " ~ priority) -%}
    {%- endif -%}
    {%- set refresh = spec.get('refresh') -%}
    {%- if refresh is not none and refresh not in fields.refresh -%}
        {%- do problems.append(
            "refresh '" ~ refresh ~ "' is not one of " ~ fields.refresh | join(', ')
        ) -%}
    {%- endif -%}
    {%- set channels = spec.get('channels') -%}
    {%- if channels is not none -%}
        {%- if channels is string or channels is not sequence
            or channels | length == 0 -%}
            {%- do problems.append(
                "channels must be a non-empty list, e.g. ['email', 'sms'], got "
                ~ channels
            ) -%}
        {%- else -%}
            {%- for channel in channels if channel not in fields.channels -%}
                {%- do problems.append(
                    "channel '" ~ channel ~ "' is not one of "
                    ~ fields.channels | join(', ')
                ) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- set share = spec.get('expected_share') -%}
    {%- if share is not none -%}
        {%- set numbers = share is sequence and share is not string
            and share | length == 2
            and share | reject('number') | list | length == 0
            and share | select('boolean') | list | length == 0 -%}
        {%- if not numbers or not (0 <= share[0] <= share[1] <= 1) -%}
            {%- do problems.append(
                "expected_share must be [min, max] with 0 <= min <= max <= 1 "
                ~ "(shares of all customers), got " ~ share
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {%- set severity = spec.get('share_severity', 'warn') -%}
    {%- if severity not in fields.share_severity -%}
        {%- do problems.append(
            "share_severity '" ~ severity ~ "' is not one of "
            ~ fields.share_severity | join(', ')
        ) -%}
    {%- endif -%}
    {%- set allow_empty = spec.get('allow_empty', false) -%}
    {%- if allow_empty is not boolean -%}
        {%- do problems.append(
            "allow_empty must be true or false, got " ~ allow_empty
        ) -%}
    {%- endif -%}
    {%- set review_by = spec.get('review_by') -%}
    {%- if review_by is not none and not segment_is_iso_date(review_by) -%}
        {%- do problems.append(
            "review_by must be a date written 'YYYY-MM-DD', got '" ~ review_by ~ "'"
        ) -%}
    {%- endif -%}
    {{ return(problems) }}
{% endmacro %}


{#- True when `value` is text 'YYYY-MM-DD' naming a real calendar day. -#}
{% macro segment_is_iso_date(value) %}
    {%- if value is not string -%}{{ return(false) }}{%- endif -%}
    {%- set parts = modules.re.match('^([0-9]{4})-([0-9]{2})-([0-9]{2})$', value) -%}
    {%- if not parts -%}{{ return(false) }}{%- endif -%}
    {%- set year = parts.group(1) | int -%}
    {%- set month = parts.group(2) | int -%}
    {%- set day = parts.group(3) | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{ return(1 <= month <= 12 and 1 <= day <= days[month - 1]) }}
{% endmacro %}


{% macro segment_normalise_spec(spec, file) %}
    {%- set exclusions = (spec.get('exclusions') or '') | trim -%}
    {%- set rule = spec['rule'] | trim -%}
    {{ return({
        'name': spec['name'],
        'purpose': spec['purpose'] | trim,
        'rule': rule,
        'rule_text': segment_sql_display(rule),
        'exclusions': exclusions,
        'exclusions_text': segment_sql_display(exclusions),
        'priority': spec['priority'],
        'owner': spec['owner'] | trim,
        'refresh': spec['refresh'],
        'channels': spec['channels'] | list,
        'success_measure': spec['success_measure'] | trim,
        'offer_hint': (spec.get('offer_hint') or '') | trim,
        'expected_share_min': spec['expected_share'][0],
        'expected_share_max': spec['expected_share'][1],
        'share_severity': spec.get('share_severity', 'warn'),
        'allow_empty': spec.get('allow_empty', false),
        'review_by': spec['review_by'],
        'file': file,
        'rule_columns': segment_sql_identifiers(rule),
        'exclusion_columns': segment_sql_identifiers(exclusions),
    }) }}
{% endmacro %}


{#- The SQL for people: blank lines dropped and the common indentation of the
    lines after the first removed (the first was trimmed by `{%- set -%}`). -#}
{% macro segment_sql_display(sql) %}
    {%- set lines = [] -%}
    {%- for line in sql.replace('\t', '    ').split('\n') if line | trim != '' -%}
        {%- do lines.append(line.rstrip()) -%}
    {%- endfor -%}
    {%- if lines | length == 0 -%}{{ return('') }}{%- endif -%}
    {%- set indents = [] -%}
    {%- for line in lines[1:] -%}
        {%- do indents.append((line | length) - (line.lstrip() | length)) -%}
    {%- endfor -%}
    {%- set cut = indents | min if indents else 0 -%}
    {%- set out = [lines[0] | trim] -%}
    {%- for line in lines[1:] -%}
        {%- do out.append(line[cut:]) -%}
    {%- endfor -%}
    {{ return(out | join('\n')) }}
{% endmacro %}
