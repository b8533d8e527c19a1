"""Erasure outside the database: the files segmart wrote before a request arrived.

The build forgets an erased customer in every table (int_erased_customers and the
pre-hook forget_erased_customers). What segmart wrote to disk on earlier builds is
handled here, after each build, from the same list of keys:

- change-feed files (``changes_<as_of>.jsonl``): an erased customer's lines are
  removed from every file, so `segmart notify` never sends them;
- published builds (``data/published/<build_id>/``): an older build whose Parquet
  files hold an erased key is deleted (the newest is written from the cleaned
  database, so it holds none);
- audience files are rewritten in full by every export, so they need nothing more.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

ERASED_TABLE = "intermediate.int_erased_customers"


def erased_keys(db_path: Path) -> set[str]:
    """The customer_key of every erased email in the built database (empty when
    the database or the table is absent)."""
    if not Path(db_path).exists():
        return set()
    with duckdb.connect(str(db_path), read_only=True) as con:
        try:
            rows = con.execute(f"select customer_key from {ERASED_TABLE}").fetchall()
        except duckdb.CatalogException:
            return set()
    return {key for (key,) in rows}


def forget_in_change_feeds(changes_dir: Path, keys: set[str]) -> int:
    """Remove the lines of `keys` from every change-feed file in `changes_dir`
    (each file replaced atomically); how many lines were removed."""
    removed = 0
    if not keys or not Path(changes_dir).is_dir():
        return 0
    for path in sorted(Path(changes_dir).glob("changes_*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not _is_erased(line, keys)]
        if len(kept) == len(lines):
            continue
        removed += len(lines) - len(kept)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text("".join(kept), encoding="utf-8")
        os.replace(tmp, path)
    return removed


def _is_erased(line: str, keys: set[str]) -> bool:
    try:
        return json.loads(line).get("customer_key") in keys
    except (ValueError, AttributeError):
        return False  # not a change line: `segmart notify` reports it


def forget_in_published(
    published_dir: Path, keys: set[str], keep: set[str] = frozenset()
) -> list[str]:
    """Delete the published builds (but those in `keep`) whose Parquet files hold
    one of `keys` in a ``customer_key`` column; their ids."""
    if not keys or not Path(published_dir).is_dir():
        return []
    deleted = []
    con = duckdb.connect()
    try:
        con.execute("create temp table erased (customer_key varchar)")
        con.executemany("insert into erased values (?)", [[k] for k in sorted(keys)])
        for build in sorted(Path(published_dir).iterdir()):
            if build.name in keep or build.is_symlink() or not build.is_dir():
                continue
            if any(_holds(con, part) for part in build.glob("*.parquet")):
                shutil.rmtree(build, ignore_errors=True)
                deleted.append(build.name)
    finally:
        con.close()
    return deleted


def _holds(con: duckdb.DuckDBPyConnection, parquet: Path) -> bool:
    literal = "'" + str(parquet).replace("'", "''") + "'"
    columns = {
        name
        for (name,) in con.execute(
            f"select name from parquet_schema({literal})"
        ).fetchall()
    }
    if "customer_key" not in columns:
        return False
    return bool(
        con.execute(
            f"select count(*) from read_parquet({literal}) as p "
            "where p.customer_key in (select customer_key from erased)"
        ).fetchone()[0]
    )
