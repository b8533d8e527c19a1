"""The project's own generic data tests (macros/tests/generic_tests.sql), run on
planted tables: each returns the failing rows a person would count by hand, and
nothing on clean data. The macros are rendered with plain Jinja (a dbt test
block is a macro with a `test_` prefix), independently of a dbt build."""

from __future__ import annotations

import duckdb
import jinja2
import pytest

from segmart.contract import PROJECT_DIR

SOURCE = (PROJECT_DIR / "macros" / "tests" / "generic_tests.sql").read_text()


def rendered(test: str, **kwargs) -> str:
    """The SQL of generic test `test` with its arguments, as dbt would run it."""
    as_macros = SOURCE.replace("{% test ", "{% macro test_").replace(
        "{% endtest %}", "{% endmacro %}"
    )
    module = jinja2.Environment().from_string(as_macros).module
    return str(getattr(module, f"test_{test}")(**kwargs))


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield connection


def test_not_null_columns_names_each_null_column_and_its_count(con):
    con.execute(
        "create table t as select * from (values "
        "(1, 'x', null), (null, 'y', 3), (null, 'z', 4), (4, 'w', 5)) v(a, b, c)"
    )
    sql = rendered("not_null_columns", model="t", column_names=["a", "b", "c"])
    # by hand: a is null on 2 rows, b on none, c on 1
    assert sorted(con.execute(sql).fetchall()) == [("a", 2), ("c", 1)]


def test_not_null_columns_passes_clean_and_empty_tables(con):
    con.execute("create table t as select * from (values (1, 'x'), (2, 'y')) v(a, b)")
    con.execute("create table e (a integer, b varchar)")
    for table in ("t", "e"):
        sql = rendered("not_null_columns", model=table, column_names=["a", "b"])
        assert con.execute(sql).fetchall() == []


def test_primary_key_fails_on_a_repeat_and_on_a_null(con):
    con.execute("create table t as select * from (values (1), (2), (2), (null)) v(id)")
    sql = rendered("primary_key", model="t", column_name="id")
    # by hand: 2 is repeated (2 rows), and one id is null
    assert sorted(con.execute(sql).fetchall(), key=str) == [(2, 2), (None, 1)]
    con.execute("create table k as select * from (values (1), (2), (3)) v(id)")
    sql = rendered("primary_key", model="k", column_name="id")
    assert con.execute(sql).fetchall() == []
