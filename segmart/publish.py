"""Publish a finished build for BI tools: whole, atomically, never locking the build.

dbt builds into the *working* database (``segmart.duckdb``, or SEGMART_DB_PATH):
raw text, staging, intermediate tables and the history that incremental models
keep between builds. BI tools never open it. After a successful build,
:func:`publish` copies the marts (schema ``main`` by default) into two published
forms under ``data/published/``. Personal data is never published: the schemas
that hold it (PERSONAL_SCHEMAS: ``activation``, ``raw``, ``staging``, ``quality``,
``intermediate``) are refused, and so is any schema with a table or view that has
a personal column, one named like PERSONAL_COLUMNS (email, phone, ...) or tagged
``pii`` in dbt's manifest.json (:func:`personal_columns`). Nothing is written then.

``segmart.duckdb``
    A self-contained DuckDB file with the marts as tables, their column comments
    and ``main.published_build`` (one row: build id, as_of date, when). It is
    written to a temporary file next to it, checkpointed, fsynced and then moved
    over the old one with ``os.replace`` (an atomic rename on POSIX). A reader that
    opened the old file keeps reading the old inode, complete and unchanged, until
    it closes its connection; a reader that opens the path afterwards gets the new
    file. Nobody ever writes to the published path, so a BI tool holding it open
    (read-only) cannot block a build, and a build cannot block the BI tool.

``<build_id>/`` with ``latest`` and ``LATEST``
    One Parquet file per mart (``customer_profile.parquet``; ``<schema>.<table>``
    for other schemas) and ``_manifest.json`` (build id, as_of, files and row
    counts), written into ``.<build_id>.partial/`` and renamed into place when
    complete. ``latest`` is a relative symlink to the newest complete build and
    ``LATEST`` a text file holding its id; both are replaced atomically, after the
    directory is complete, so they never point at a partial build. The newest
    ``keep`` builds are kept (default 3), so a reader that resolved ``latest`` a
    moment ago can finish.

Both forms are prepared completely before either is switched; a failure while
preparing removes the temporary files and leaves everything published as it was.
A lock file (``.publish.lock``) keeps two publishes into one folder from
interleaving: the second one stops with an error.
An erasure request reaches the published folder too: an older kept build that
holds an erased customer_key is deleted (segmart.erasure).
A failed build publishes nothing (``segmart publish --build`` runs ``dbt build``
first and publishes only when it succeeds).

POSIX only: on Windows a file that a reader holds open cannot be replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from segmart import erasure, guard
from segmart.errors import UserError

DEFAULT_PUBLISHED_DIR = Path("data/published")
PUBLISHED_DB = "segmart.duckdb"
DEFAULT_SCHEMAS = ("main",)
# Schemas that hold personal data or raw text: never published.
PERSONAL_SCHEMAS = ("activation", "raw", "staging", "quality", "intermediate")
NEVER_PUBLISHED = PERSONAL_SCHEMAS
# Column names that hold personal data wherever they occur (as in
# scripts/check_conventions.py and the PostgreSQL BI grants).
PERSONAL_COLUMNS = frozenset(
    {"email", "phone", "first_name", "last_name", "full_name", "postal_code"}
)
LATEST_LINK = "latest"
LATEST_FILE = "LATEST"
MANIFEST = "_manifest.json"
INFO_TABLE = "published_build"
LOCK_FILE = ".publish.lock"
DST = "segmart_published"  # catalog alias of the file being written


class PublishError(RuntimeError):
    """Nothing was published (the message says why); what was published stays."""


@dataclass
class Publication:
    """What one publish wrote."""

    build_id: str
    published_dir: Path
    as_of_date: str | None
    tables: dict[str, int] = field(default_factory=dict)  # "main.x" -> rows
    duckdb_path: Path | None = None
    parquet_dir: Path | None = None


def new_build_id(now: datetime | None = None) -> str:
    """A unique build id that sorts by time: UTC to the microsecond, a random tail."""
    now = now or datetime.now(UTC)
    return f"{now.strftime('%Y%m%dT%H%M%S.%fZ')}-{secrets.token_hex(3)}"


def latest_build_dir(published_dir: Path) -> Path | None:
    """The directory `latest` points to (resolve it once per read), or None."""
    link = Path(published_dir) / LATEST_LINK
    if link.is_symlink() or link.exists():
        return link.resolve()
    pointer = Path(published_dir) / LATEST_FILE
    if pointer.exists():
        return Path(published_dir) / pointer.read_text().strip()
    return None


def read_manifest(build_dir: Path) -> dict[str, Any]:
    return json.loads((Path(build_dir) / MANIFEST).read_text())


# ------------------------------------------------------------------------------------
# Publishing
# ------------------------------------------------------------------------------------


def publish(
    work_db: Path,
    published_dir: Path = DEFAULT_PUBLISHED_DIR,
    *,
    schemas: Sequence[str] = DEFAULT_SCHEMAS,
    to_duckdb: bool = True,
    to_parquet: bool = True,
    keep: int = 3,
    build_id: str | None = None,
    manifest: Path | None = None,
) -> Publication:
    """Publish the tables and views of `schemas` in `work_db` (see the module doc).

    `manifest` is dbt's manifest.json, read for columns tagged pii; by default the
    project's ``target/manifest.json`` when there is one.
    """
    work_db = Path(work_db)
    published_dir = Path(published_dir)
    if not work_db.exists():
        raise PublishError(f"no database at {work_db}: build first")
    try:
        guard.require_passed_build(work_db, "publish")
    except UserError as error:
        raise PublishError(str(error)) from None
    blocked = sorted({s for s in schemas if s.lower() in PERSONAL_SCHEMAS})
    if blocked:
        raise PublishError(
            f"schema(s) {', '.join(blocked)} hold personal or raw data: not"
            f" published (only the BI marts are; never {', '.join(PERSONAL_SCHEMAS)})"
        )
    tagged = _pii_tagged(manifest)
    with _source(work_db) as con:
        _refuse_personal_data(con, _tables(con, schemas), tagged)
    if keep < 1:
        raise PublishError("keep must be at least 1")
    build_id = build_id or new_build_id()
    published_dir.mkdir(parents=True, exist_ok=True)
    with _publish_lock(published_dir):
        return _publish(
            work_db,
            published_dir,
            schemas,
            to_duckdb,
            to_parquet,
            keep,
            build_id,
            manifest,
        )


@contextlib.contextmanager
def _publish_lock(published_dir: Path) -> Iterator[None]:
    """One publish at a time per folder (two cron runs must not interleave)."""
    with open(published_dir / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise PublishError(
                f"another publish into {published_dir} is running"
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _publish(
    work_db: Path,
    published_dir: Path,
    schemas: Sequence[str],
    to_duckdb: bool,
    to_parquet: bool,
    keep: int,
    build_id: str,
    manifest: Path | None = None,
) -> Publication:
    _remove_leftovers(published_dir)
    tmp_db = published_dir / f".{PUBLISHED_DB}.{build_id}.tmp"
    partial = published_dir / f".{build_id}.partial"
    final_dir = published_dir / build_id
    if final_dir.exists():
        raise PublishError(f"build {build_id} is already published")
    publication = Publication(build_id, published_dir, None)
    try:
        with _source(work_db) as con:
            tables = _tables(con, schemas)
            if not tables:
                raise PublishError(
                    f"no tables in schema(s) {list(schemas)} of {work_db}"
                )
            _refuse_personal_data(con, tables, _pii_tagged(manifest))
            publication.as_of_date, built_at = _build_context(con)
            publication.tables = {
                f"{schema}.{name}": con.execute(
                    f'select count(*) from "{schema}"."{name}"'
                ).fetchone()[0]
                for schema, name in tables
            }
            info = {
                "build_id": build_id,
                "as_of_date": publication.as_of_date,
                "built_at": built_at,
                "published_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "tables": publication.tables,
            }
            if to_duckdb:
                _write_duckdb(con, tables, tmp_db, info)
            if to_parquet:
                _write_parquet(con, tables, partial, info)
        # Everything is complete on disk: switch, each step atomic.
        if to_duckdb:
            target = published_dir / PUBLISHED_DB
            # A WAL next to the published path would be replayed onto the new file.
            Path(f"{target}.wal").unlink(missing_ok=True)
            os.replace(tmp_db, target)
            _fsync_dir(published_dir)
            publication.duckdb_path = target
        if to_parquet:
            os.rename(partial, final_dir)
            _fsync_dir(published_dir)
            _point_latest(published_dir, build_id)
            publication.parquet_dir = final_dir
            _prune(published_dir, keep)
            # an erasure since an older build was published: that build goes
            erasure.forget_in_published(
                published_dir, erasure.erased_keys(work_db), keep={build_id}
            )
    except BaseException:
        tmp_db.unlink(missing_ok=True)
        Path(f"{tmp_db}.wal").unlink(missing_ok=True)
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return publication


@contextlib.contextmanager
def _source(work_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory connection with the working database attached read-only.

    Attached under its own name (the file's stem, DuckDB's default catalog name)
    and made current: dbt's views name that catalog.
    """
    con = duckdb.connect()
    try:
        try:
            catalog = work_db.name.split(".")[0]
            con.execute(f"attach '{_sql_str(work_db)}' as \"{catalog}\" (read_only)")
            con.execute(f'use "{catalog}"')
        except duckdb.Error as error:
            raise PublishError(f"cannot open {work_db}: {error}") from error
        yield con
    finally:
        con.close()


def _catalog(con: duckdb.DuckDBPyConnection) -> str:
    return con.execute("select current_database()").fetchone()[0]


def _tables(
    con: duckdb.DuckDBPyConnection, schemas: Sequence[str]
) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_catalog = current_database()"
        " and table_schema in (select unnest(?))"
        " order by table_schema, table_name",
        [list(schemas)],
    ).fetchall()
    return [(schema, name) for schema, name in rows]


def _is_pii(entry: dict[str, Any]) -> bool:
    """A manifest node or column tagged personal: meta pii (or config.meta), or
    the tag "pii"."""
    config = entry.get("config") or {}
    meta = {**(config.get("meta") or {}), **(entry.get("meta") or {})}
    tags = [*(entry.get("tags") or []), *(config.get("tags") or [])]
    return meta.get("pii") is True or "pii" in tags


def _pii_tagged(manifest: Path | None) -> dict[tuple[str, str], set[str]]:
    """(schema, relation) -> the columns tagged pii in dbt's manifest.json ("*":
    the whole relation is). `manifest` None: the project's, when there is one."""
    if manifest is None:
        from segmart.dbt import default_target_path

        manifest = default_target_path() / "manifest.json"
        if not manifest.exists():
            return {}
    try:
        data = json.loads(Path(manifest).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PublishError(
            f"cannot read dbt's manifest {manifest} for pii tags: {error}"
        ) from error
    tagged: dict[tuple[str, str], set[str]] = {}
    nodes = [*(data.get("nodes") or {}).values(), *(data.get("sources") or {}).values()]
    for node in nodes:
        if not isinstance(node, dict) or not node.get("schema"):
            continue
        name = node.get("alias") or node.get("identifier") or node.get("name")
        columns = {
            str(column.get("name") or key).lower()
            for key, column in (node.get("columns") or {}).items()
            if isinstance(column, dict) and _is_pii(column)
        }
        if _is_pii(node):
            columns.add("*")
        if columns and name:
            key = (str(node["schema"]).lower(), str(name).lower())
            tagged.setdefault(key, set()).update(columns)
    return tagged


def personal_columns(
    con: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str]],
    tagged: dict[tuple[str, str], set[str]] | None = None,
) -> dict[str, list[str]]:
    """ "schema.table" -> its personal columns, for those of `tables` that have
    any: named like PERSONAL_COLUMNS, or tagged pii in `tagged` (_pii_tagged)."""
    tagged = tagged or {}
    wanted = {(s.lower(), n.lower()): (s, n) for s, n in tables}
    found: dict[str, list[str]] = {}
    for schema, name, column in con.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_catalog = current_database() order by 1, 2, ordinal_position"
    ).fetchall():
        key = (schema.lower(), name.lower())
        if key not in wanted:
            continue
        marked = tagged.get(key, set())
        if (
            column.lower() in PERSONAL_COLUMNS
            or column.lower() in marked
            or ("*" in marked)
        ):
            found.setdefault(f"{schema}.{name}", []).append(column)
    return found


def _refuse_personal_data(
    con: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str]],
    tagged: dict[tuple[str, str], set[str]],
) -> None:
    found = personal_columns(con, tables, tagged)
    if found:
        listed = "; ".join(
            f"{table} ({', '.join(columns)})" for table, columns in found.items()
        )
        raise PublishError(
            f"personal data, not published: {listed} (only the BI marts without"
            " personal columns are)"
        )


def _build_context(con: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    """as_of_date and built_at of the build (intermediate.int_build_context)."""
    try:
        row = con.execute(
            "select as_of_date, built_at from intermediate.int_build_context"
        ).fetchone()
    except duckdb.Error:
        return None, None
    if not row:
        return None, None
    return tuple(str(v) if v is not None else None for v in row)  # type: ignore[return-value]


def _write_duckdb(
    con: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str]],
    path: Path,
    info: dict[str, Any],
) -> None:
    path.unlink(missing_ok=True)
    src = _catalog(con)
    con.execute(f"attach '{_sql_str(path)}' as {DST}")
    try:
        for schema in sorted({schema for schema, _ in tables}):
            con.execute(f'create schema if not exists {DST}."{schema}"')
        for schema, name in tables:
            con.execute(
                f'create table {DST}."{schema}"."{name}" as'
                f' select * from "{src}"."{schema}"."{name}"'
            )
        _copy_comments(con, tables)
        con.execute(
            f"create table {DST}.main.{INFO_TABLE} as select ? as build_id,"
            " cast(? as date) as as_of_date, cast(? as timestamp) as built_at,"
            " cast(? as timestamp) as published_at, ? as tables",
            [
                info["build_id"],
                info["as_of_date"],
                info["built_at"],
                info["published_at"],
                json.dumps(info["tables"]),
            ],
        )
        con.execute(
            f"comment on table {DST}.main.{INFO_TABLE} is"
            " 'The build these tables come from: one row (segmart publish).'"
        )
    finally:
        con.execute(f"detach {DST}")  # checkpoints: no WAL is left behind
    _fsync(path)


def _copy_comments(
    con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]
) -> None:
    """Table and column descriptions (dbt persist_docs) for the BI tool's browser."""
    wanted = set(tables)
    for schema, name, comment in con.execute(
        "select schema_name, table_name, comment from duckdb_tables()"
        " where database_name = current_database() and comment is not null"
        " union all select schema_name, view_name, comment from duckdb_views()"
        " where database_name = current_database() and comment is not null"
    ).fetchall():
        if (schema, name) in wanted:
            con.execute(
                f'comment on table {DST}."{schema}"."{name}" is \'{_sql_str(comment)}\''
            )
    for schema, name, column, comment in con.execute(
        "select schema_name, table_name, column_name, comment from duckdb_columns()"
        " where database_name = current_database() and comment is not null"
    ).fetchall():
        if (schema, name) in wanted:
            con.execute(
                f'comment on column {DST}."{schema}"."{name}"."{column}"'
                f" is '{_sql_str(comment)}'"
            )


def _write_parquet(
    con: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str]],
    partial: Path,
    info: dict[str, Any],
) -> None:
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    files = {}
    for schema, name in tables:
        file_name = parquet_name(schema, name)
        export_table(con, schema, name, partial / file_name)
        files[f"{schema}.{name}"] = file_name
    manifest = {**info, "files": files}
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for path in partial.iterdir():
        _fsync(path)
    _fsync_dir(partial)


def parquet_name(schema: str, name: str) -> str:
    """customer_profile.parquet for schema main, <schema>.<name>.parquet otherwise."""
    return f"{name}.parquet" if schema == "main" else f"{schema}.{name}.parquet"


def export_table(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, path: Path
) -> None:
    con.execute(
        f'copy (select * from "{schema}"."{name}") to'
        f" '{_sql_str(path)}' (format parquet, compression zstd)"
    )


def _point_latest(published_dir: Path, build_id: str) -> None:
    """Switch `latest` (symlink) and `LATEST` (text) to build_id, atomically."""
    tmp_link = published_dir / f".{LATEST_LINK}.{build_id}.tmp"
    tmp_link.unlink(missing_ok=True)
    os.symlink(build_id, tmp_link, target_is_directory=True)
    os.replace(tmp_link, published_dir / LATEST_LINK)
    tmp_file = published_dir / f".{LATEST_FILE}.{build_id}.tmp"
    tmp_file.write_text(build_id + "\n")
    _fsync(tmp_file)
    os.replace(tmp_file, published_dir / LATEST_FILE)
    _fsync_dir(published_dir)


def published_builds(published_dir: Path) -> list[str]:
    """Ids of the complete published builds, oldest first."""
    return sorted(
        p.name
        for p in Path(published_dir).iterdir()
        if p.is_dir()
        and not p.is_symlink()
        and (p / MANIFEST).exists()
        and not p.name.startswith(".")
    )


def _prune(published_dir: Path, keep: int) -> None:
    """Delete all but the newest `keep` builds (never the one latest points to)."""
    current = latest_build_dir(published_dir)
    builds = published_builds(published_dir)
    for build_id in builds[:-keep]:
        path = published_dir / build_id
        if current is None or path.resolve() != current:
            shutil.rmtree(path, ignore_errors=True)


def _remove_leftovers(published_dir: Path) -> None:
    """Temporary files of a publish that crashed (never read by anyone)."""
    for path in published_dir.glob(".*"):
        if path.name.endswith((".partial", ".tmp", ".tmp.wal")):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        _fsync(path)


def _sql_str(value: object) -> str:
    return str(value).replace("'", "''")
