"""Reading a built database for the report: the marts it reads (``SOURCES``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

#: The marts the report reads.
SOURCES = {
    "library": "main.segment_library",
    "history": "main.segment_history",
    "profile": "main.customer_profile",
    "transitions": "main.segment_transitions",
    "overlap": "main.segment_overlap",
    "quality": "quality.dq_shop__data_quality",
    "performance": "main.segment_performance",
}


class ReportError(Exception):
    """The report cannot be built (no database, or no segment library in it)."""


class _Reader:
    """Read-only queries against a built database, knowing which tables it has."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
        self.tables = {r[0] for r in rows}

    def has(self, key: str) -> bool:
        return SOURCES[key] in self.tables

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@contextmanager
def _open(db_path: Path) -> Iterator[_Reader]:
    if not db_path.exists():
        raise ReportError(f"no database at {db_path}: run `segmart build` first")
    try:
        con = duckdb.connect(str(db_path), read_only=True)
    except duckdb.Error as error:
        raise ReportError(f"cannot open {db_path}: {error}") from error
    try:
        reader = _Reader(con)
        if not reader.has("library"):
            raise ReportError(
                f"{db_path} has no {SOURCES['library']}: run `segmart build` first"
            )
        yield reader
    finally:
        con.close()


def _missing(key: str) -> str:
    return f"{SOURCES[key]} is not in this database: build it to see this chart."


def _num(value: Any) -> float | None:
    return None if value is None else float(value)
