"""Reading a built segment library: what ``segmart segments``, ``qa``, ``explain``
and ``export`` show, without the command line.

Every reader opens the database read-only; a missing database, a database that
is not built, or an unknown segment is a :class:`~segmart.errors.UserError` with
a one-line message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from segmart import guard, keys
from segmart.errors import UserError
from segmart.outputs import CHANNEL_FORMATS, channel_format

# The channels an audience is written for (`segmart export --channel`).
AUDIENCE_CHANNELS = tuple(CHANNEL_FORMATS)


@contextmanager
def read_db(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; a missing database or mart is a clear error."""
    if not db.exists():
        raise UserError(
            f"no database at {db}: run `segmart build` (or `segmart run`) first"
        )
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as error:
        raise UserError(f"cannot open {db}: {error}") from error
    try:
        yield con
    except duckdb.CatalogException as error:
        first = str(error).splitlines()[0]
        raise UserError(
            f"{db} is not a built segmart database ({first}): run `segmart build`"
        ) from error
    finally:
        con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """The result of `sql` as a list of {column: value}."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """The table (or view) `schema.table` exists."""
    sql = (
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ?"
    )
    return con.execute(sql, [schema, table]).fetchone()[0] > 0


def segment_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The library's segments, by priority."""
    found = con.execute(
        "select segment_name from main.segment_library order by priority"
    ).fetchall()
    return [r[0] for r in found]


def require_segment(con: duckdb.DuckDBPyConnection, segment: str) -> None:
    """An error naming the segments when `segment` is not one of them."""
    known = segment_names(con)
    if segment not in known:
        raise UserError(
            f"no segment {segment!r}; the segments are: {', '.join(known) or '(none)'}"
        )


def customer_key_of(email: str) -> str:
    """The customer_key of an email: this installation's keyed hash of the
    trimmed, lower-cased email (segmart.keys)."""
    return keys.customer_key(email)


# ------------------------------------------------------------------ segments


def segment_table(db: Path) -> tuple[list[dict], dict[str, list[str]]]:
    """The library's rows by priority, and each segment's reach per channel
    ("email 1,234", ...) when the build has main.segment_reach."""
    with read_db(db) as con:
        library = rows(
            con,
            "select segment_name, priority, owner, customers_count, "
            "share_of_customers, customers_count_change, is_activated, "
            "activation_blocked_reason "
            "from main.segment_library order by priority",
        )
        reach: dict[str, list[str]] = {}
        if has_table(con, "main", "segment_reach"):
            for row in rows(
                con,
                "select segment_name, channel, audience_count, members_count "
                "from main.segment_reach order by segment_name, channel",
            ):
                reach.setdefault(row["segment_name"], []).append(
                    f"{row['channel']} {row['audience_count']:,}"
                )
    return library, reach


def qa_text(db: Path, segment: str) -> str:
    """`segment`'s QA page (segmart.segments.qa_page), the segment checked first."""
    from segmart.segments import qa_page

    with read_db(db) as con:
        require_segment(con, segment)
    try:
        return qa_page(db, segment)
    except (KeyError, FileNotFoundError) as error:
        raise UserError(str(error).strip("'\"")) from error


# ------------------------------------------------------------------ export


@dataclass
class Export:
    """One audience file written by :func:`export_segment`."""

    path: Path
    fmt: str
    built: Any  # segmart.outputs' BuiltAudience: rows and skipped reasons


def export_segment(
    db: Path, segment: str, channel: str, fmt: str | None, out: Path | None
) -> Export:
    """Write `segment`'s audience file for `channel` from
    activation.audience_members (format: `fmt`, else the channel's); only from a
    database whose last build passed, and never while a build runs on it."""
    from segmart.outputs import read_audience_table, write_audience

    guard.require_passed_build(db, "export")
    with guard.build_lock(db, shared=True):
        with read_db(db) as con:
            require_segment(con, segment)
            channels = con.execute(
                "select channels from main.segment_library where segment_name = ?",
                [segment],
            ).fetchone()[0]
        if channel not in [c.strip() for c in (channels or "").split(",")]:
            raise UserError(
                f"segment {segment!r} is not sent on {channel}; "
                f"its channels: {channels}"
            )
        members = [
            row
            for row in read_audience_table(db, "activation.audience_members", segment)
            if row["channel"] == channel
        ]
        fmt = fmt or channel_format(channel)
        path = out or Path("data/out/audiences") / f"{segment}__{channel}.csv"
        return Export(path, fmt, write_audience(members, fmt, path))


# ------------------------------------------------------------------ explain


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def explain_email(
    db: Path,
    email: str,
    proposed_dir: Path | None = None,
    scores: Path | None = None,
) -> str:
    """The text `segmart explain` prints for the customer of `email`."""
    with read_db(db) as con:
        return explain(
            con, customer_key_of(email), email.strip().lower(), proposed_dir, scores
        )


def explain(
    con: duckdb.DuckDBPyConnection,
    key: str,
    email: str,
    proposed_dir: Path | None = None,
    scores: Path | None = None,
) -> str:
    """The text `segmart explain` prints for one customer_key; with the proposals
    of `segmart discover` and the scores of `segmart propensity` when given."""
    profile = rows(
        con, "select * from main.customer_profile where customer_key = ?", [key]
    )
    if has_table(con, "intermediate", "int_customers_identified"):
        confirmed = con.execute(
            "select email from intermediate.int_customers_identified "
            "where customer_key = ?",
            [key],
        ).fetchone()
        if confirmed is not None and confirmed[0] != email:
            raise UserError(f"customer_key {key} belongs to another email")
    if not profile:
        raise UserError(
            f"no customer with email {email} in this database (customer_key {key})"
        )
    facts = profile[0]
    lines = [f"customer {key} ({email}), as of {facts.get('as_of_date')}", ""]
    lines += _primary_lines(con, key)
    lines += _membership_lines(con, key)
    if proposed_dir is not None or scores is not None:
        from segmart.discover.explain import explain_lines

        lines += explain_lines(con, key, proposed_dir, scores)
    lines += ["", "history of moves:"]
    lines += _history_lines(con, key)
    lines += ["", "profile:"]
    for name, value in facts.items():
        if name != "customer_key":
            lines.append(f"    {name:<34} {_fmt(value)}")
    return "\n".join(lines) + "\n"


def _primary_lines(con: duckdb.DuckDBPyConnection, key: str) -> list[str]:
    primary = rows(
        con,
        "select primary_segment, primary_segment_priority "
        "from main.customer_segment where customer_key = ?",
        [key],
    )
    if not primary:
        return []
    priority = primary[0]["primary_segment_priority"]
    return [
        f"primary segment: {primary[0]['primary_segment']}"
        + (f" (priority {priority})" if priority is not None else "")
    ]


def _membership_lines(con: duckdb.DuckDBPyConnection, key: str) -> list[str]:
    members = rows(
        con,
        "select segment_name, priority, is_primary, match_reason "
        "from main.segment_membership where customer_key = ? order by priority",
        [key],
    )
    lines = ["", f"segments matched ({len(members)}):"]
    if not members:
        lines.append("    (none)")
    for row in members:
        flag = "primary" if row["is_primary"] else "       "
        lines.append(
            f"    {row['segment_name']:<26} priority {row['priority']:>4}  {flag}  "
            f"{row['match_reason']}"
        )
    if has_table(con, "intermediate", "int_segment_candidates"):
        excluded = rows(
            con,
            "select segment_name, priority, exclusion_reason "
            "from intermediate.int_segment_candidates "
            "where customer_key = ? and is_excluded order by priority",
            [key],
        )
        if excluded:
            lines += ["", "matched the rule but kept out by exclusions:"]
            for row in excluded:
                lines.append(
                    f"    {row['segment_name']:<26} priority {row['priority']:>4}  "
                    f"{row['exclusion_reason']}"
                )
    return lines


def _history_lines(con: duckdb.DuckDBPyConnection, key: str) -> list[str]:
    if not has_table(con, "main", "customer_segment_changes"):
        return ["    (no history: build earlier dates with `segmart backfill`)"]
    changes = rows(
        con,
        "select as_of_date, previous_as_of_date, change_type, segment_name, "
        "was_or_is_primary, reason from main.customer_segment_changes "
        "where customer_key = ? "
        "order by as_of_date, change_type desc, segment_name",
        [key],
    )
    if not changes:
        return ["    (no change between the builds in the history)"]
    return [
        f"    {row['as_of_date']}  {row['change_type']:<7} "
        f"{row['segment_name']}{' (primary)' if row['was_or_is_primary'] else ''}: "
        f"{row['reason']}"
        for row in changes
    ]
