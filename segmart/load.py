"""Land the raw exports in a PostgreSQL database: ``segmart load``.

On DuckDB the build lands the raw files itself (the on-run-start macro
``land_raw_files``). A server cannot read the files of the machine that runs dbt,
so on PostgreSQL ``segmart load`` writes the same tables first:

1. the DuckDB macro itself lands the files in a scratch DuckDB database
   (``dbt run-operation land_raw_files`` with the ``duckdb`` target): the same
   reader options, the same contract columns as text, ``_source_file``,
   ``_raw_row``, ``_loaded_at``, empty tables for absent optional files, the same
   error for an absent ``orders`` file, and ``raw._unreadable_lines``;
2. each of those tables is copied, with its column types, into schema ``raw`` of
   the PostgreSQL database (``COPY ... FROM STDIN``, in one transaction: a failed
   load leaves the previous raw tables in place).

So both engines stage exactly the same raw rows. The build then checks that the
tables exist (``default__land_raw_files``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb

from segmart.engines import LoadError, PgSettings, land_in_duckdb

__all__ = [
    "LoadError",
    "PgSettings",
    "copy_to_postgres",
    "land_in_duckdb",
    "load",
]

# DuckDB column types of the landed tables -> PostgreSQL.
_PG_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "TIMESTAMP": "timestamp",
    "DOUBLE": "double precision",
    "BOOLEAN": "boolean",
    "DATE": "date",
}
# How information_schema.columns.data_type spells those that differ.
_PG_INFORMATION_SCHEMA_TYPES = {"TIMESTAMP": "timestamp without time zone"}


def copy_to_postgres(
    db_path: Path, settings: PgSettings, schema: str = "raw"
) -> dict[str, int]:
    """Copy every table of `schema` in the DuckDB file into PostgreSQL.

    Returns the rows copied per table. One transaction: all tables or none.
    """
    counts: dict[str, int] = {}
    with (
        duckdb.connect(str(db_path), read_only=True) as source,
        tempfile.TemporaryDirectory(prefix="segmart-load-") as scratch,
    ):
        tables = [
            row[0]
            for row in source.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? order by table_name",
                [schema],
            ).fetchall()
        ]
        conn = settings.connect()
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(f'create schema if not exists "{schema}"')
                for table in tables:
                    counts[table] = _copy_table(
                        source, cursor, schema, table, Path(scratch)
                    )
        finally:
            conn.close()
    return counts


def _copy_table(
    source: duckdb.DuckDBPyConnection,
    cursor: Any,
    schema: str,
    table: str,
    scratch: Path,
) -> int:
    columns = source.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    definitions = []
    for name, data_type in columns:
        if data_type not in _PG_TYPES:
            raise LoadError(
                f"{schema}.{table}.{name}: no PostgreSQL type for {data_type}"
            )
        definitions.append(f'"{name}" {_PG_TYPES[data_type]}')
    qualified = f'"{schema}"."{table}"'
    cursor.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = %s and table_name = %s order by ordinal_position",
        [schema, table],
    )
    wanted = [
        (name, _PG_INFORMATION_SCHEMA_TYPES.get(t, _PG_TYPES[t])) for name, t in columns
    ]
    if cursor.fetchall() == wanted:
        # A reload (the daily refresh): empty the table in this transaction. The
        # staging views over it stay; dropping it would need CASCADE.
        cursor.execute(f"truncate table {qualified}")
    else:  # new, or other columns: the views over it are rebuilt by dbt build
        cursor.execute(f"drop table if exists {qualified} cascade")
        cursor.execute(f"create table {qualified} ({', '.join(definitions)})")
    # DuckDB writes a null as an empty field and an empty string as "", which is
    # exactly how PostgreSQL's CSV format tells them apart. PostgreSQL text cannot
    # hold NUL characters: they are dropped (DuckDB keeps them).
    csv_path = scratch / f"{table}.csv"
    select_list = ", ".join(
        f'replace("{name}", chr(0), \'\') as "{name}"'
        if data_type == "VARCHAR"
        else f'"{name}"'
        for name, data_type in columns
    )
    source.execute(
        f'copy (select {select_list} from "{schema}"."{table}") '
        f"to '{csv_path}' (format csv, header false)"
    )
    with csv_path.open("rb") as handle:
        cursor.copy_expert(f"copy {qualified} from stdin with (format csv)", handle)
    csv_path.unlink()
    cursor.execute(f"select count(*) from {qualified}")
    return int(cursor.fetchone()[0])


def load(
    raw_dir: Path,
    settings: PgSettings | None = None,
    *,
    dbt_vars: Mapping[str, object] | None = None,
    schema: str = "raw",
) -> dict[str, int]:
    """Land `raw_dir` in schema `raw` of the PostgreSQL database; rows per table."""
    settings = settings or PgSettings.from_env()
    with tempfile.TemporaryDirectory(prefix="segmart-land-") as scratch:
        db_path = Path(scratch) / "land.duckdb"
        land_in_duckdb(
            raw_dir.resolve(),
            db_path,
            dbt_vars={**dict(dbt_vars or {}), "raw_schema": schema},
            target_path=Path(scratch) / "target",
        )
        return copy_to_postgres(db_path, settings, schema=schema)
