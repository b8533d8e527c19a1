{#- Generic data tests (the project uses no dbt packages). -#}

{#- No two rows share the values of `columns`. -#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as n_rows
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{#- Every non-null value lies in [min_value, max_value] (either bound optional). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
    select {{ column_name }}
    from {{ model }}
    where
        {{ column_name }} is not null
        and (
            false
            {%- if min_value is not none %}
            or {{ column_name }} < {{ min_value }}
            {%- endif %}
            {%- if max_value is not none %}
            or {{ column_name }} > {{ max_value }}
            {%- endif %}
        )
{% endtest %}

{#- An expression holds on every row (`where` narrows the rows checked). -#}
{% test expression_is_true(model, expression, where_clause='true') %}
    select *
    from {{ model }}
    where ({{ where_clause }}) and not coalesce(({{ expression }}), false)
{% endtest %}

{#- Every value of column_name is a value of `field` in `to` (reported, not fatal,
    when severity is warn: referential gaps are counted, not quarantined).
    when_parent_has_rows: check only when `to` has rows (an optional export that
    is absent does not make every reference unknown). -#}
{% test relationships_where(
    model, column_name, to, field, where_clause='true', when_parent_has_rows=false
) %}
    select child.{{ column_name }}
    from {{ model }} as child
    left join {{ to }} as parent
        on child.{{ column_name }} = parent.{{ field }}
    where
        child.{{ column_name }} is not null
        and parent.{{ field }} is null
        and ({{ where_clause }})
        {%- if when_parent_has_rows %}
        and exists (select 1 from {{ to }})
        {%- endif %}
{% endtest %}

{#- For each `key`, the sum of column_name over the model's rows is at most the
    parent's `to_column` (e.g. refunds never add up to more than their order's
    total). Keys with no parent are left to relationships_where. -#}
{% test sum_within_parent(model, column_name, key, to, to_key, to_column) %}
    select
        child.{{ key }},
        sum(child.{{ column_name }}) as child_sum,
        max(parent.{{ to_column }}) as parent_value
    from {{ model }} as child
    inner join {{ to }} as parent
        on child.{{ key }} = parent.{{ to_key }}
    group by child.{{ key }}
    having sum(child.{{ column_name }}) > max(parent.{{ to_column }})
{% endtest %}

{#- A primary key: no null and no repeated value. One query for what dbt's
    `unique` and `not_null` check in two (a build runs each test as a node, and
    a node's fixed cost is most of a small shop's build: issue #20). -#}
{% test primary_key(model, column_name) %}
    select
        {{ column_name }},
        count(*) as n_rows
    from {{ model }}
    group by {{ column_name }}
    having {{ column_name }} is null or count(*) > 1
{% endtest %}

{#- None of `column_names` holds a null: one scan for a model's not-null
    columns. A failing row names the column and how many rows are null in it. -#}
{% test not_null_columns(model, column_names) %}
    with null_counts as (
        select
            {%- for column in column_names %}
            sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}
            {{- "," if not loop.last }}
            {%- endfor %}
        from {{ model }}
    )

    {% for column in column_names -%}
        select
            '{{ column }}' as null_column,
            {{ column }} as null_rows
        from null_counts
        where {{ column }} > 0
        {{ "union all" if not loop.last }}
    {% endfor %}
{% endtest %}
