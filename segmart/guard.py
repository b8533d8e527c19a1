"""Nothing leaves after a bad build, and one build at a time.

- :func:`require_passed_build`: ``segmart export`` and ``segmart publish`` read a
  database only when its newest build record (``segmart_meta.build_runs``,
  written by dbt's on-run-start and on-run-end hooks, macros/build_record.sql)
  says the build passed. A failed build, one that never finished (killed, or
  its landing failed) or a database with no record is a UserError naming it.
- :func:`build_lock`: ``segmart run``, ``build``, ``backfill`` and
  ``publish --build`` hold an exclusive lock on ``<database>.lock`` for the whole
  job; export and publish hold a shared one while they read. A second job on the
  same database stops at once with a message instead of waiting on, or
  interleaving with, the first (DuckDB's own file lock would only stop its dbt
  half-way through).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb

from segmart.errors import UserError

BUILD_RUNS = "segmart_meta.build_runs"


def last_build(db: Path) -> tuple[str, str, str | None] | None:
    """(status, started_at, failed nodes) of the newest build of `db`, or None
    when the database has no build record."""
    if not Path(db).exists():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        try:
            row = con.execute(
                f"select status, cast(started_at as varchar), failed_nodes "
                f"from {BUILD_RUNS} order by started_at desc limit 1"
            ).fetchone()
        except duckdb.CatalogException:
            return None
    return row


def require_passed_build(db: Path, what: str) -> None:
    """A UserError, saying why, unless the newest build of `db` passed; `what`
    names the refused action ("export", "publish")."""
    if not Path(db).exists():
        raise UserError(
            f"no database at {db}: run `segmart build` (or `segmart run`) first"
        )
    record = last_build(db)
    if record is None:
        raise UserError(
            f"{db} has no record of a dbt build: run `segmart build` first "
            f"(nothing to {what})"
        )
    status, started, failed = record
    if status == "failed":
        raise UserError(
            f"the last build of {db} (started {started}) failed in: {failed}. "
            f"Fix it and build again; nothing to {what} until a build passes"
        )
    if status != "passed":
        raise UserError(
            f"the last build of {db} (started {started}) did not finish. "
            f"Build again; nothing to {what} until a build passes"
        )


@contextlib.contextmanager
def build_lock(db: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold the lock of `db` (exclusive for a build, shared for a reader); a
    UserError at once when another job holds it the other way."""
    path = Path(f"{db}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            doing = "building" if shared else "building or reading"
            raise UserError(
                f"another segmart job is {doing} {db} (lock {path}): wait for it "
                "to finish, then run this again"
            ) from None
        yield
    finally:
        os.close(fd)
