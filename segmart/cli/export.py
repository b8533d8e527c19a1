"""``segmart export``, ``segmart audience-export``, ``segmart publish`` and
``segmart notify``: audience files, the published marts and the change feed's
webhook (segmart.library, segmart.outputs, segmart.publish, segmart.notify)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from segmart import guard, library
from segmart.cli._options import db_option, raw_option, target_path_option
from segmart.dbt import run_dbt
from segmart.notify import SECRET_ENV, NotifyError, notify
from segmart.outputs import (
    FORMATS,
    read_audience_csv,
    read_audience_table,
    write_audience,
)
from segmart.publish import (
    DEFAULT_PUBLISHED_DIR,
    DEFAULT_SCHEMAS,
    LATEST_LINK,
    PublishError,
    publish,
)


@click.command("export")
@click.argument("segment")
@click.option(
    "--channel",
    type=click.Choice(library.AUDIENCE_CHANNELS),
    default="email",
    show_default=True,
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    default=None,
    help="Import format (default: klaviyo for email and sms, meta for paid_social).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The file (default: data/out/audiences/<segment>__<channel>.csv).",
)
@db_option()
def export_command(
    segment: str, channel: str, fmt: str | None, out: Path | None, db: Path
) -> None:
    """Write SEGMENT's audience file for one channel
    (activation.audience_members)."""
    done = library.export_segment(db, segment, channel, fmt, out)
    click.echo(f"{done.path}: {len(done.built.rows):,} rows ({done.fmt}, {channel})")
    for reason, count in sorted(done.built.skipped.items()):
        click.echo(f"  skipped {count}: {reason}")


@click.command("audience-export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(FORMATS)),
    required=True,
    help="Target platform's import format.",
)
@click.option(
    "--input",
    "input_csv",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Audience CSV (email, phone, first_name, last_name, country, "
    "segment_name, offer_hint).",
)
@click.option(
    "--db",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SEGMART_DB_PATH",
    help="Read the audience from this DuckDB database instead (with --table).",
)
@click.option("--table", help="Audience table or view in --db.")
@click.option("--segment", help="Only this segment's rows.")
@click.option(
    "--default-country",
    help="ISO country for phones written without country code (e.g. US).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
)
def audience_export(
    fmt: str,
    input_csv: Path | None,
    db: Path | None,
    table: str | None,
    segment: str | None,
    default_country: str | None,
    out_path: Path,
) -> None:
    """Write an audience import file for an ESP, CRM or ad platform."""
    if input_csv is not None:
        rows: Any = read_audience_csv(input_csv, segment)
    elif db is not None and table:
        rows = read_audience_table(db, table, segment)
    else:
        raise click.UsageError("give --input, or --db with --table")
    built = write_audience(rows, fmt, out_path, default_country)
    click.echo(f"{out_path}: {len(built.rows)} rows ({fmt})")
    for reason, count in sorted(built.skipped.items()):
        click.echo(f"  skipped {count}: {reason}")
    if built.phones_dropped:
        click.echo(
            f"  {built.phones_dropped} phone(s) left out: no country code "
            "(set --default-country)"
        )
    if built.emails_dropped:
        click.echo(
            f"  {built.emails_dropped} email(s) left out: they start with a "
            "spreadsheet formula character"
        )


@click.command("publish")
@db_option("The working database dbt builds into (or SEGMART_DB_PATH).")
@click.option(
    "--to",
    "published_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SEGMART_PUBLISHED_DIR",
    default=DEFAULT_PUBLISHED_DIR,
    show_default=True,
    help="Where BI tools read (or SEGMART_PUBLISHED_DIR).",
)
@click.option(
    "--schema",
    "schemas",
    multiple=True,
    default=DEFAULT_SCHEMAS,
    show_default=True,
    help="Schemas to publish. Repeatable.",
)
@click.option("--duckdb/--no-duckdb", "to_duckdb", default=True, show_default=True)
@click.option("--parquet/--no-parquet", "to_parquet", default=True, show_default=True)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Parquet builds to keep.",
)
@click.option(
    "--build",
    "build_first",
    is_flag=True,
    help="Run `dbt build` into --db first; publish only if it succeeds.",
)
@raw_option("With --build: the raw exports (or SEGMART_RAW_DIR).")
@click.option("--vars", "vars_text", help="With --build: dbt vars as YAML.")
@click.option(
    "--full-refresh", is_flag=True, help="With --build: rebuild incrementals."
)
@target_path_option(
    "dbt's artifacts folder: --build writes there, and its manifest.json"
    " names the columns tagged pii (default: the project's target/)."
)
def publish_command(
    db: Path,
    published_dir: Path,
    schemas: tuple[str, ...],
    to_duckdb: bool,
    to_parquet: bool,
    keep: int,
    build_first: bool,
    raw_dir: Path,
    vars_text: str | None,
    full_refresh: bool,
    target_path: Path | None,
) -> None:
    """Publish the marts for BI tools: a DuckDB file swapped atomically and
    Parquet files per build with a `latest` pointer (data/published/).

    Example (cron): segmart publish --build
    """
    if not (to_duckdb or to_parquet):
        raise click.UsageError("--no-duckdb and --no-parquet: nothing to publish")
    db = db.resolve()
    if build_first:
        dbt_vars = yaml.safe_load(vars_text) if vars_text else None
        if dbt_vars is not None and not isinstance(dbt_vars, dict):
            raise click.BadParameter("give a mapping", param_hint="--vars")
        args = ["build", *(["--full-refresh"] if full_refresh else [])]
        with guard.build_lock(db):
            result = run_dbt(
                args,
                db_path=db,
                raw_dir=raw_dir.resolve(),
                dbt_vars=dbt_vars,
                target_path=target_path.resolve() if target_path else None,
                echo=True,
            )
        if not result.success:
            raise click.ClickException(
                f"dbt build failed (exit code {result.returncode}): nothing"
                f" published; {published_dir} still holds the previous build"
            )
    try:
        with guard.build_lock(db, shared=True):
            done = publish(
                db,
                published_dir,
                schemas=schemas,
                to_duckdb=to_duckdb,
                to_parquet=to_parquet,
                keep=keep,
                manifest=target_path / "manifest.json" if target_path else None,
            )
    except PublishError as error:
        raise click.ClickException(str(error)) from error
    rows = sum(done.tables.values())
    click.echo(
        f"published build {done.build_id} (as_of {done.as_of_date}):"
        f" {len(done.tables)} tables, {rows:,} rows"
    )
    if done.duckdb_path:
        click.echo(f"  DuckDB file: {done.duckdb_path} (open it read-only)")
    if done.parquet_dir:
        click.echo(f"  Parquet:     {published_dir / LATEST_LINK}/ -> {done.build_id}")


@click.command("notify")
@click.option(
    "--feed",
    "feed_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="JSON Lines segment change feed written by the build.",
)
@click.option(
    "--url",
    envvar="SEGMART_WEBHOOK_URL",
    required=True,
    help="Webhook URL (or SEGMART_WEBHOOK_URL).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Delivery record (default: notify_state.jsonl next to the feed).",
)
@click.option(
    "--signing-secret",
    envvar=SECRET_ENV,
    default=None,
    help=(
        f"Shared secret the requests are signed with (or {SECRET_ENV}); "
        "required. See docs/webhooks.md."
    ),
)
@click.option("--batch-size", type=click.IntRange(min=1), default=100)
@click.option(
    "--max-retries",
    type=click.IntRange(min=0),
    default=5,
    help="Retries of a batch after a 5xx, 429, timeout or connection error.",
)
@click.option(
    "--backoff",
    type=click.FloatRange(min=0),
    default=0.5,
    help="First retry delay in seconds; doubled at each retry (max 60 s).",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0)
@click.option(
    "--no-envelope",
    is_flag=True,
    help="Send each batch as a bare JSON array (one Zap run per change).",
)
def notify_command(
    feed_path: Path,
    url: str,
    state_path: Path | None,
    signing_secret: str | None,
    batch_size: int,
    max_retries: int,
    backoff: float,
    timeout: float,
    no_envelope: bool,
) -> None:
    """POST segment changes to a webhook, each exactly once."""
    state = state_path or feed_path.parent / "notify_state.jsonl"
    try:
        result = notify(
            feed_path,
            url,
            state,
            batch_size=batch_size,
            max_retries=max_retries,
            timeout=timeout,
            signing_secret=signing_secret,
            backoff=backoff,
            envelope=not no_envelope,
        )
    except NotifyError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{result.delivered} delivered in {result.batches} batch(es), "
        f"{result.already_delivered} already delivered, {result.pending} pending"
    )
    if not result.ok:
        raise click.ClickException(result.error)


def register(group: click.Group) -> None:
    """Add export, audience-export, publish and notify to `group`."""
    for command in (export_command, audience_export, publish_command, notify_command):
        group.add_command(command)
