"""The CLI commands that read or build the library: build, backfill, segments, qa,
explain, export and report. ``register(main)`` adds them to the ``segmart`` group.

Every command exits non-zero with a one-line message (never a traceback) when an
argument is wrong or the database is missing; reading commands open the database
read-only.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import duckdb
import yaml

from segmart.contract import PROJECT_DIR
from segmart.dbt import dbt_executable

AUDIENCE_CHANNELS = ("email", "sms", "paid_social")
_NODE_DONE = re.compile(r"\b(\d+) of (\d+) (?!START\b)[A-Z]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# ------------------------------------------------------------------ dbt with a bar


@dataclass
class BuildResult:
    """What one dbt invocation did: exit code and its (colourless) log."""

    returncode: int
    output: str

    @property
    def success(self) -> bool:
        return self.returncode == 0


def run_dbt_progress(
    args: Sequence[str],
    *,
    db_path: Path,
    raw_dir: Path,
    dbt_vars: dict[str, Any] | None = None,
    target_path: Path | None = None,
    label: str = "dbt build",
    verbose: bool = False,
) -> BuildResult:
    """Run dbt in a subprocess with the project's profile and show a progress bar
    over its nodes (or, with `verbose`, dbt's own log).

    Like :func:`segmart.dbt.run_dbt`: the database and raw folder go to dbt as
    SEGMART_DB_PATH and SEGMART_RAW_DIR, and the profile is the project's.
    """
    from tqdm import tqdm

    env = dict(os.environ)
    env.update(
        {
            "DBT_PROFILES_DIR": str(PROJECT_DIR),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "0",
            "DBT_USE_COLORS": "false",
            "SEGMART_DB_PATH": str(db_path),
            "SEGMART_RAW_DIR": str(raw_dir),
        }
    )
    target = target_path or PROJECT_DIR / "target"
    cli = [dbt_executable(), *args, "--project-dir", str(PROJECT_DIR)]
    cli += ["--target-path", str(target), "--log-path", str(target / "logs")]
    if dbt_vars:
        cli += ["--vars", yaml.safe_dump(dbt_vars, default_flow_style=True).strip()]
    proc = subprocess.Popen(
        cli,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    bar = tqdm(
        desc=label,
        unit="node",
        disable=verbose,
        file=sys.stderr,
        mininterval=0.5 if sys.stderr.isatty() else 15,
    )
    done: set[int] = set()
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = _ANSI.sub("", raw)
        lines.append(line)
        if verbose:
            click.echo(line, nl=False)
            continue
        match = _NODE_DONE.search(line)
        if match:
            bar.total = int(match.group(2))
            done.add(int(match.group(1)))
            bar.n = len(done)
            bar.refresh()
    returncode = proc.wait()
    bar.close()
    return BuildResult(returncode, "".join(lines))


def _report_build(result: BuildResult, verbose: bool) -> None:
    """After a quiet build: its closing lines on success, its errors on failure."""
    lines = result.output.splitlines()
    if verbose:
        return
    if result.success:
        tail = [line for line in lines if "Done. PASS=" in line or "Warning in" in line]
        for line in tail:
            click.echo(line.strip())
        return
    start = next(
        (i for i, line in enumerate(lines) if "Completed with" in line),
        max(0, len(lines) - 40),
    )
    for line in lines[start:]:
        click.echo(line.rstrip(), err=True)


def _parse_vars(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise click.BadParameter(f"not YAML: {error}", param_hint="--vars") from error
    if not isinstance(value, dict):
        raise click.BadParameter(
            "give a mapping, e.g. '{as_of: 2026-03-31}'", param_hint="--vars"
        )
    return value


def _dbt_args(
    command: str, select: Sequence[str], exclude: Sequence[str], full_refresh: bool
) -> list[str]:
    args = [command]
    if select:
        args += ["--select", *select]
    if exclude:
        args += ["--exclude", *exclude]
    if full_refresh:
        args.append("--full-refresh")
    return args


def _check_raw_dir(raw_dir: Path) -> Path:
    if not raw_dir.is_dir():
        raise click.ClickException(
            f"no raw folder at {raw_dir}: export your files there or run "
            "`segmart generate --out` for demo data"
        )
    return raw_dir.resolve()


# ------------------------------------------------------------------ reading marts


@contextmanager
def read_db(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; a missing database or mart is a clear error."""
    if not db.exists():
        raise click.ClickException(
            f"no database at {db}: run `segmart build` (or `segmart run`) first"
        )
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as error:
        raise click.ClickException(f"cannot open {db}: {error}") from error
    try:
        yield con
    except duckdb.CatalogException as error:
        first = str(error).splitlines()[0]
        raise click.ClickException(
            f"{db} is not a built segmart database ({first}): run `segmart build`"
        ) from error
    finally:
        con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    sql = (
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ?"
    )
    return con.execute(sql, [schema, table]).fetchone()[0] > 0


def _segment_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select segment_name from main.segment_library order by priority"
    ).fetchall()
    return [r[0] for r in rows]


def _unknown_segment(segment: str, known: list[str]) -> click.ClickException:
    return click.ClickException(
        f"no segment {segment!r}; the segments are: {', '.join(known) or '(none)'}"
    )


def customer_key_of(email: str) -> str:
    """The customer_key of an email: md5 of the trimmed, lower-cased email."""
    return hashlib.md5(email.strip().lower().encode("utf-8")).hexdigest()


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


# ------------------------------------------------------------------------ options

_db_option = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SEGMART_DB_PATH",
    default=Path("segmart.duckdb"),
    show_default=True,
    help="The DuckDB database (or SEGMART_DB_PATH).",
)
_raw_option = click.option(
    "--raw-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SEGMART_RAW_DIR",
    default=Path("data/raw"),
    show_default=True,
    help="The raw exports (or SEGMART_RAW_DIR).",
)
_date = click.DateTime(formats=["%Y-%m-%d"])


def _build_options(func):
    for option in reversed(
        [
            _db_option,
            _raw_option,
            click.option(
                "--vars",
                "vars_text",
                help="dbt vars as YAML, e.g. '{holdout_share: 0.2}'.",
            ),
            click.option(
                "--select",
                "-s",
                multiple=True,
                help="Only these nodes (dbt selection syntax). Repeatable.",
            ),
            click.option("--exclude", multiple=True, help="Leave these nodes out."),
            click.option(
                "--full-refresh",
                is_flag=True,
                help="Rebuild incremental models (clears the history).",
            ),
            click.option(
                "--target-path",
                type=click.Path(file_okay=False, path_type=Path),
                default=None,
                help="dbt's artifacts folder (default: the project's target/).",
            ),
            click.option(
                "--verbose", "-v", is_flag=True, help="Show dbt's log, not a bar."
            ),
        ]
    ):
        func = option(func)
    return func


# ----------------------------------------------------------------------- commands


def register(cli_group: Any) -> None:
    """Add build, backfill, segments, qa, explain, export and report."""

    @cli_group.command("build")
    @click.option(
        "--as-of",
        type=_date,
        default=None,
        help="Evaluate every fact as of this day (default: the newest data).",
    )
    @_build_options
    def build_command(
        as_of: datetime | None,
        db: Path,
        raw_dir: Path,
        vars_text: str | None,
        select: tuple[str, ...],
        exclude: tuple[str, ...],
        full_refresh: bool,
        target_path: Path | None,
        verbose: bool,
    ) -> None:
        """Run `dbt build` with the project's profile into --db.

        Passes --vars, --select, --exclude and --full-refresh through to dbt.
        Example: segmart build --as-of 2026-03-31
        """
        dbt_vars = _parse_vars(vars_text)
        if as_of is not None:
            dbt_vars["as_of"] = as_of.date().isoformat()
        raw = _check_raw_dir(raw_dir)
        label = f"dbt build as_of {dbt_vars.get('as_of', 'latest')}"
        result = run_dbt_progress(
            _dbt_args("build", select, exclude, full_refresh),
            db_path=db.resolve(),
            raw_dir=raw,
            dbt_vars=dbt_vars,
            target_path=target_path,
            label=label,
            verbose=verbose,
        )
        _report_build(result, verbose)
        if not result.success:
            raise click.ClickException(
                f"dbt build failed (exit code {result.returncode}): see above"
            )
        click.echo(f"built {db}")

    @cli_group.command("backfill")
    @click.option("--from", "start", type=_date, required=True, help="First as_of.")
    @click.option("--to", "end", type=_date, required=True, help="Last as_of.")
    @click.option(
        "--every",
        type=click.IntRange(min=1),
        default=30,
        show_default=True,
        help="Days between two as_of dates.",
    )
    @click.option(
        "--latest/--no-latest",
        default=True,
        show_default=True,
        help="End with a build at the default as_of (the newest data), so the "
        "marts show the present.",
    )
    @_build_options
    def backfill_command(
        start: datetime,
        end: datetime,
        every: int,
        latest: bool,
        db: Path,
        raw_dir: Path,
        vars_text: str | None,
        select: tuple[str, ...],
        exclude: tuple[str, ...],
        full_refresh: bool,
        target_path: Path | None,
        verbose: bool,
    ) -> None:
        """Build past as_of dates, oldest first, into one database.

        Dates run from --from to --to every --every days, so segment_history,
        segment_transitions and customer_segment_changes fill. Example:
        segmart backfill --from 2026-01-31 --to 2026-05-31 --every 30
        """
        dates = backfill_dates(start.date(), end.date(), every)
        dbt_vars = _parse_vars(vars_text)
        if "as_of" in dbt_vars:
            raise click.BadParameter("as_of is set by --from/--to", param_hint="--vars")
        raw = _check_raw_dir(raw_dir)
        plan: list[str | None] = [d.isoformat() for d in dates]
        if latest:
            plan.append(None)
        click.echo(f"{len(plan)} build(s): {', '.join(d or 'latest' for d in plan)}")
        for number, as_of in enumerate(plan, start=1):
            run_vars = dict(dbt_vars)
            if as_of is not None:
                run_vars["as_of"] = as_of
            refresh = full_refresh and number == 1
            result = run_dbt_progress(
                _dbt_args("build", select, exclude, refresh),
                db_path=db.resolve(),
                raw_dir=raw,
                dbt_vars=run_vars,
                target_path=target_path,
                label=f"[{number}/{len(plan)}] as_of {as_of or 'latest'}",
                verbose=verbose,
            )
            if not result.success:
                _report_build(result, verbose)
                raise click.ClickException(
                    f"dbt build as_of {as_of or 'latest'} failed (exit code "
                    f"{result.returncode}); the builds before it are kept"
                )
        click.echo(f"backfilled {db}: {len(plan)} build(s)")

    @cli_group.command("segments")
    @_db_option
    def segments_command(db: Path) -> None:
        """The segment library as a table: size, share, change and reach."""
        with read_db(db) as con:
            rows = _rows(
                con,
                "select segment_name, priority, owner, customers_count, "
                "share_of_customers, customers_count_change, is_activated, "
                "activation_blocked_reason "
                "from main.segment_library order by priority",
            )
            reach: dict[str, list[str]] = {}
            if _has_table(con, "main", "segment_reach"):
                for row in _rows(
                    con,
                    "select segment_name, channel, audience_count, members_count "
                    "from main.segment_reach order by segment_name, channel",
                ):
                    reach.setdefault(row["segment_name"], []).append(
                        f"{row['channel']} {row['audience_count']:,}"
                    )
        if not rows:
            click.echo("the library is empty: add a spec in segments/")
            return
        name_width = max(len("segment"), *(len(r["segment_name"]) for r in rows)) + 2
        owner_width = max(len("owner"), *(len(r["owner"] or "") for r in rows)) + 2
        header = (
            f"{'segment':<{name_width}}{'priority':>8}  {'owner':<{owner_width}}"
            f"{'size':>8}{'share':>8}{'change':>9}  reach"
        )
        click.echo(header)
        click.echo("-" * (len(header) + 20))
        for row in rows:
            change = row["customers_count_change"]
            share = row["share_of_customers"]
            click.echo(
                f"{row['segment_name']:<{name_width}}{row['priority']:>8}  "
                f"{row['owner'] or '':<{owner_width}}{row['customers_count']:>8,}"
                f"{'n/a' if share is None else f'{share:.1%}':>8}"
                f"{'new' if change is None else f'{change:+,}':>9}  "
                f"{', '.join(reach.get(row['segment_name'], [])) or '-'}"
                + (
                    ""
                    if row["is_activated"]
                    else f"  NOT ACTIVATED: {row['activation_blocked_reason']}"
                )
            )

    @cli_group.command("qa")
    @click.argument("segment")
    @_db_option
    def qa_command(segment: str, db: Path) -> None:
        """Print SEGMENT's QA page: size vs expected share, members, exclusions,
        overlap and margin."""
        from segmart.segments import qa_page

        with read_db(db) as con:
            known = _segment_names(con)
        if segment not in known:
            raise _unknown_segment(segment, known)
        try:
            page = qa_page(db, segment)
        except (KeyError, FileNotFoundError) as error:
            raise click.ClickException(str(error).strip("'\"")) from error
        click.echo(page, nl=False)

    @cli_group.command("explain")
    @click.argument("email")
    @_db_option
    def explain_command(email: str, db: Path) -> None:
        """Why EMAIL's customer is where they are: profile facts, every segment
        matched with the reason, primary segment and history of moves."""
        if "@" not in email:
            raise click.BadParameter(f"{email!r} is not an email address")
        key = customer_key_of(email)
        with read_db(db) as con:
            click.echo(explain(con, key, email.strip().lower()), nl=False)

    @cli_group.command("export")
    @click.argument("segment")
    @click.option(
        "--channel",
        type=click.Choice(AUDIENCE_CHANNELS),
        default="email",
        show_default=True,
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(_formats()),
        default=None,
        help="Import format (default: klaviyo for email and sms, meta for "
        "paid_social).",
    )
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="The file (default: data/out/audiences/<segment>__<channel>.csv).",
    )
    @_db_option
    def export_command(
        segment: str, channel: str, fmt: str | None, out: Path | None, db: Path
    ) -> None:
        """Write SEGMENT's audience file for one channel
        (activation.audience_members)."""
        from segmart.outputs import read_audience_table, write_audience
        from segmart.run import CHANNEL_FORMATS

        with read_db(db) as con:
            known = _segment_names(con)
            if segment not in known:
                raise _unknown_segment(segment, known)
            channels = con.execute(
                "select channels from main.segment_library where segment_name = ?",
                [segment],
            ).fetchone()[0]
        if channel not in [c.strip() for c in (channels or "").split(",")]:
            raise click.ClickException(
                f"segment {segment!r} is not sent on {channel}; its channels: "
                f"{channels}"
            )
        rows = [
            row
            for row in read_audience_table(db, "activation.audience_members", segment)
            if row["channel"] == channel
        ]
        fmt = fmt or CHANNEL_FORMATS.get(channel, "klaviyo")
        path = out or Path("data/out/audiences") / f"{segment}__{channel}.csv"
        built = write_audience(rows, fmt, path)
        click.echo(f"{path}: {len(built.rows):,} rows ({fmt}, {channel})")
        for reason, count in sorted(built.skipped.items()):
            click.echo(f"  skipped {count}: {reason}")

    @cli_group.command("report")
    @_db_option
    @click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("data/out/report.html"),
        show_default=True,
    )
    def report_command(db: Path, out: Path) -> None:
        """Write the segment report: one HTML file with every chart, offline."""
        try:
            from segmart.report import CHARTS, ReportError, build_report
        except ImportError as error:  # plotly is the `report` extra
            raise click.ClickException(
                f"the report needs plotly ({error}): pip install -e '.[report]'"
            ) from error
        if not db.exists():
            raise click.ClickException(
                f"no database at {db}: run `segmart build` first"
            )
        with click.progressbar(
            length=len(CHARTS), label="charts", file=sys.stderr
        ) as bar:
            try:
                report = build_report(db, out, progress=lambda _key: bar.update(1))
            except ReportError as error:
                raise click.ClickException(str(error)) from error
            except duckdb.Error as error:
                raise click.ClickException(f"cannot read {db}: {error}") from error
        size = out.stat().st_size / 1e6
        click.echo(f"{out}: {size:.1f} MB, as of {report.as_of_date}")
        for chart in report.charts:
            state = "chart" if chart.rendered else f"note: {chart.note}"
            click.echo(f"  {chart.title:<38} {state}")


def _formats() -> list[str]:
    from segmart.outputs import FORMATS

    return sorted(FORMATS)


def backfill_dates(start: date, end: date, every: int) -> list[date]:
    """start, start + every, ... up to end (inclusive), oldest first."""
    if start > end:
        raise click.BadParameter(
            f"--from {start} is after --to {end}", param_hint="--from"
        )
    dates, day = [], start
    while day <= end:
        dates.append(day)
        day += timedelta(days=every)
    return dates


def explain(con: duckdb.DuckDBPyConnection, key: str, email: str) -> str:
    """The text `segmart explain` prints for one customer_key."""
    profile = _rows(
        con, "select * from main.customer_profile where customer_key = ?", [key]
    )
    if _has_table(con, "intermediate", "int_customers_identified"):
        confirmed = con.execute(
            "select email from intermediate.int_customers_identified "
            "where customer_key = ?",
            [key],
        ).fetchone()
        if confirmed is not None and confirmed[0] != email:
            raise click.ClickException(f"customer_key {key} belongs to another email")
    if not profile:
        raise click.ClickException(
            f"no customer with email {email} in this database (customer_key {key})"
        )
    facts = profile[0]
    lines = [f"customer {key} ({email}), as of {facts.get('as_of_date')}", ""]
    primary = _rows(
        con,
        "select primary_segment, primary_segment_priority "
        "from main.customer_segment where customer_key = ?",
        [key],
    )
    if primary:
        lines.append(
            f"primary segment: {primary[0]['primary_segment']}"
            + (
                f" (priority {primary[0]['primary_segment_priority']})"
                if primary[0]["primary_segment_priority"] is not None
                else ""
            )
        )
    members = _rows(
        con,
        "select segment_name, priority, is_primary, match_reason "
        "from main.segment_membership where customer_key = ? order by priority",
        [key],
    )
    lines += ["", f"segments matched ({len(members)}):"]
    if not members:
        lines.append("    (none)")
    for row in members:
        flag = "primary" if row["is_primary"] else "       "
        lines.append(
            f"    {row['segment_name']:<26} priority {row['priority']:>4}  {flag}  "
            f"{row['match_reason']}"
        )
    if _has_table(con, "intermediate", "int_segment_candidates"):
        excluded = _rows(
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
    lines += ["", "history of moves:"]
    if _has_table(con, "main", "customer_segment_changes"):
        changes = _rows(
            con,
            "select as_of_date, previous_as_of_date, change_type, segment_name, "
            "was_or_is_primary, reason from main.customer_segment_changes "
            "where customer_key = ? "
            "order by as_of_date, change_type desc, segment_name",
            [key],
        )
        if not changes:
            lines.append("    (no change between the builds in the history)")
        for row in changes:
            primary_flag = " (primary)" if row["was_or_is_primary"] else ""
            lines.append(
                f"    {row['as_of_date']}  {row['change_type']:<7} "
                f"{row['segment_name']}{primary_flag}: {row['reason']}"
            )
    else:
        lines.append("    (no history: build earlier dates with `segmart backfill`)")
    lines += ["", "profile:"]
    for name, value in facts.items():
        if name != "customer_key":
            lines.append(f"    {name:<34} {_fmt(value)}")
    return "\n".join(lines) + "\n"
