"""The main job: prepare the raw folder, build, export the audiences, summarise."""

from __future__ import annotations

import os
import re
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from segmart import erasure, guard
from segmart.contract import PROJECT_DIR
from segmart.dbt import NO_UNIT_TESTS, error_lines, run_dbt
from segmart.outputs import CHANNEL_FORMATS, channel_format

CONTRACT_SUFFIXES = (".csv", ".csv.gz", ".parquet")
# Segment and channel names in audience file names `<segment>__<channel>.csv`,
# and the hidden folder export_audiences writes them into first.
AUDIENCE_NAME = re.compile(r"[A-Za-z0-9_]+")
STAGING_PREFIX = ".audiences-"
# What a past as_of build runs: the incremental history marts (segment_history with
# segment_membership_history, customer_segment_changes, segment_holdouts) and their
# upstream models and seeds, no tests. Marts read only at the latest date (the
# tables segment_transitions, segment_performance, campaign_exposures, the library,
# audiences) are built once, by the full build after them, from the history.
HISTORY_SELECT = ("+segment_history", "+customer_segment_changes", "+segment_holdouts")


def _say(text: str, err: bool = False) -> None:
    """A line for the user, flushed before dbt's subprocess writes after it."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def has_orders(raw_dir: Path) -> bool:
    """The required contract file is present."""
    return any((raw_dir / f"orders{suffix}").exists() for suffix in CONTRACT_SUFFIXES)


def prepare_raw(raw_dir: Path, customers: int, seed: int) -> str:
    """Make `raw_dir` hold contract files and say how.

    Platform exports (Shopify, Stripe, ...) are converted in place; an empty
    folder gets demo data; contract files already there are used as they are.
    """
    from segmart import adapters

    raw_dir.mkdir(parents=True, exist_ok=True)
    if adapters.needs_conversion(raw_dir):
        report = adapters.convert(raw_dir, raw_dir)
        written = ", ".join(
            f"{name} ({out.rows:,})" for name, out in report.outputs.items()
        )
        _say(f"converted platform exports in {raw_dir}: {written}")
        return "converted"
    if not has_orders(raw_dir):
        from segmart.generate import generate

        _say(f"no exports in {raw_dir}: generating demo data ({customers:,} customers)")
        generate(out_dir=raw_dir, customers=customers, seed=seed, progress=True)
        return "generated"
    _say(f"using the exports in {raw_dir}")
    return "existing"


def export_audiences(db_path: Path, out_dir: Path) -> list[Path]:
    """Write one import file per segment and channel (activation.audience_members)
    and make them the folder's whole set of audience files.

    Audience files are the ones named ``<segment>__<channel>.csv`` for a channel
    of seeds/channel_formats.csv or of this build (AUDIENCE_FILE). One of them that this
    build does not write (a segment or channel that became empty) is removed: it
    may hold people who unsubscribed or were erased since. Every other file in
    `out_dir` is left alone. The files are first written into a hidden folder
    inside `out_dir`; only when all are complete are they moved into place (each
    rename atomic) and the stale ones removed. A failure before that leaves the
    folder as it was.
    """
    import shutil
    import tempfile

    from segmart.outputs import read_audience_table, write_audience

    rows = read_audience_table(db_path, "activation.audience_members")
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        groups[(str(row["segment_name"]), str(row["channel"]))].append(row)
    for segment, channel in groups:
        if not (AUDIENCE_NAME.fullmatch(segment) and AUDIENCE_NAME.fullmatch(channel)):
            raise ValueError(
                f"audience {segment!r} / {channel!r}: names must be letters, digits "
                "and _ (nothing written)"
            )
    channels = set(CHANNEL_FORMATS) | {channel for _, channel in groups}
    pattern = re.compile(
        rf"{AUDIENCE_NAME.pattern}__(?:{'|'.join(map(re.escape, sorted(channels)))})"
        r"\.csv"
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    for leftover in out_dir.glob(f"{STAGING_PREFIX}*"):  # a run that crashed
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out_dir))
    try:
        names = []
        for (segment, channel), members in sorted(groups.items()):
            name = f"{segment}__{channel}.csv"
            fmt = channel_format(channel)
            write_audience(members, fmt, staging / name)
            names.append(name)
        for name in names:
            os.replace(staging / name, out_dir / name)
        keep = set(names)
        for path in out_dir.iterdir():
            if path.name not in keep and pattern.fullmatch(path.name):
                if path.is_file() or path.is_symlink():
                    path.unlink()
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out_dir / name for name in names]


def write_change_feed(db_path: Path, out_dir: Path) -> Path | None:
    """Write this build's segment changes (entered / left) as JSON Lines.

    One file per as_of date, `changes_<as_of>.jsonl`, the feed `segmart notify`
    delivers to a webhook. Only the customer_key (a hash) leaves the warehouse.
    """
    import json

    import duckdb

    with duckdb.connect(str(db_path), read_only=True) as con:
        rows = con.execute(
            """
            select customer_key, segment_name, change_type, reason,
                cast(as_of_date as varchar) as as_of
            from main.customer_segment_changes
            where as_of_date = (
                select max(as_of_date) from main.customer_segment_changes
            )
            order by segment_name, change_type, customer_key
            """
        ).fetchall()
    if not rows:
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"changes_{rows[0][4]}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for customer_key, segment, change, reason, as_of_text in rows:
            record = {
                "customer_key": customer_key,
                "segment_name": segment,
                "change": change,
                "as_of": as_of_text,
                "reason": reason,
            }
            handle.write(json.dumps(record, sort_keys=True) + "\n")
    return path


def history_dates(newest: date, months: int) -> list[date]:
    """The last day of each of the `months` months before `newest`'s, oldest first.

    2026-06-30, 6 -> 2025-12-31, 2026-01-31, ..., 2026-05-31.
    """
    dates: list[date] = []
    first_of_month = newest.replace(day=1)
    for _ in range(months):
        month_end = first_of_month - timedelta(days=1)
        dates.append(month_end)
        first_of_month = month_end.replace(day=1)
    return dates[::-1]


def generated_end_date() -> date:
    """The last day of the demo data `prepare_raw` generates (the generator's
    default `end_date`)."""
    import inspect

    from segmart.generate import generate

    return inspect.signature(generate).parameters["end_date"].default


def newest_order_date(raw_dir: Path) -> date | None:
    """The newest order date of the exports in `raw_dir`, read cheaply with DuckDB
    over the orders file; None when there is no orders file or no date in it parses.

    Reads ISO timestamps (with or without an offset) and the default local format
    (``%m/%d/%Y %H:%M``, or a date alone); dates after tomorrow are ignored, as the
    build rejects them. Only the month matters to `history_dates`, so the build's
    exact rules (source_timezone, a changed local_timestamp_format) are not needed.
    """
    import duckdb

    readers = {
        ".csv": "read_csv({path}, all_varchar = true, header = true)",
        ".csv.gz": "read_csv({path}, all_varchar = true, header = true)",
        ".parquet": "read_parquet({path})",
    }
    for suffix, reader in readers.items():
        path = raw_dir / f"orders{suffix}"
        if not path.exists():
            continue
        source = reader.format(path="'" + str(path).replace("'", "''") + "'")
        sql = f"""
            with texts as (
                select trim(cast(ordered_at as varchar)) as text from {source}
            ),
            dates as (
                select cast(coalesce(
                    try_cast(text as timestamptz),
                    try_strptime(text, '%m/%d/%Y %H:%M'),
                    try_strptime(text, '%m/%d/%Y')
                ) as date) as ordered_on
                from texts
            )
            select max(ordered_on) from dates
            where ordered_on <= current_date + 1
        """
        try:
            with duckdb.connect() as con:
                newest = con.execute(sql).fetchone()[0]
        except duckdb.Error:
            return None
        return newest
    return None


def history_builds_before(db_path: Path, day: date) -> int:
    """How many as_of dates before `day` main.segment_history holds (0: no db)."""
    import duckdb

    if not db_path.exists():
        return 0
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            return con.execute(
                "select count(distinct as_of_date) from main.segment_history "
                "where as_of_date < ?",
                [day],
            ).fetchone()[0]
    except duckdb.Error:
        return 0


def build_history(raw_dir: Path, db_path: Path, how: str, months: int) -> int:
    """Build past as_of dates, oldest first, so the history marts have builds to
    compare before the latest one; return a process exit code.

    When: the demo data was just generated (`how` == "generated"), or the database
    has no build in main.segment_history before the newest order date (a first
    run on a shop's exports, or a database built once). A database with earlier
    builds (a daily `segmart run`) is left as it is: its history is real; with two
    or more as_of dates that is known without reading the exports.

    Dates: the last day of each of the `months` months before the newest date's
    month (`history_dates`). The newest date is the generator's end date for
    generated data, else the orders file's newest order date
    (`newest_order_date`); when no date there can be read, nothing is built and
    `segmart backfill` is suggested.

    Each date is one dbt invocation through `segmart.dbt.run_dbt` (the
    `segmart backfill` command, segmart.builds.backfill, runs a full build per
    date). Only the HISTORY_SELECT
    models run, no data or unit tests: the first date with the seeds and staging
    (`dbt build --resource-type model seed`), the others `dbt run` without
    staging, which is the same at every as_of. The as_of goes in as SEGMART_AS_OF
    (dbt_project.yml's var as_of reads it), not --vars: a changed --vars makes
    dbt parse the whole project again (~7 s a date here). The full `dbt build`
    at the latest date comes after, in `run_pipeline`. Measured on the
    5,000-customer demo (2 cores): ~20 s for the first date, ~14 s for each next.
    """
    if how == "generated":
        newest = generated_end_date()
    else:
        if history_builds_before(db_path, date.max) > 1:
            return 0  # a history already: no need to read the orders file
        newest = newest_order_date(raw_dir)
        if newest is None:
            _say(
                f"history: no order date readable in {raw_dir}; build past dates "
                "with `segmart backfill` to fill it"
            )
            return 0
        if history_builds_before(db_path, newest):
            return 0
    dates = history_dates(newest, months)
    _say(
        f"history: building {len(dates)} past as_of date(s) before {newest} "
        f"({dates[0]} .. {dates[-1]}), then the latest"
    )
    started = time.monotonic()
    for number, as_of in enumerate(dates, start=1):
        began = time.monotonic()
        if number == 1:
            args = ["build", "--select", *HISTORY_SELECT]
            args += ["--resource-type", "model", "--resource-type", "seed"]
        else:
            args = ["run", "--select", *HISTORY_SELECT]
            args += ["--exclude", "path:models/staging"]
        result = run_dbt(
            args,
            db_path=db_path,
            raw_dir=raw_dir,
            extra_env={"SEGMART_AS_OF": as_of.isoformat()},
        )
        if not result.success:
            _say("\n".join(error_lines(result.output)), err=True)
            _say(
                f"dbt build of the history as_of {as_of} failed: see the messages "
                "above (the dates before it are kept)",
                err=True,
            )
            return result.returncode or 1
        _say(
            f"history [{number}/{len(dates)}] as_of {as_of}: "
            f"{time.monotonic() - began:.0f} s"
        )
    _say(f"history: {len(dates)} past build(s) in {time.monotonic() - started:.0f} s")
    return 0


def run_pipeline(
    raw_dir: Path,
    db_path: Path,
    out_dir: Path,
    customers: int = 5000,
    seed: int = 7,
    history_months: int = 0,
) -> int:
    """Prepare, build, export and summarise; return a process exit code.

    On a first run (demo data just generated, or no earlier build in the
    database) `history_months` past month ends are built first
    (`build_history`), so the report's history charts, transitions, change feed
    and holdout performance have something to show. `segmart run` passes its
    --history-months (default 6); called directly the default is 0, one build.
    The database's lock is held throughout: a second run on it stops at once.
    """
    with guard.build_lock(db_path):
        return _run_pipeline(raw_dir, db_path, out_dir, customers, seed, history_months)


def _run_pipeline(
    raw_dir: Path,
    db_path: Path,
    out_dir: Path,
    customers: int,
    seed: int,
    history_months: int,
) -> int:
    from segmart.summary import print_summary

    how = prepare_raw(raw_dir, customers, seed)
    if history_months > 0:
        code = build_history(raw_dir.resolve(), db_path, how, history_months)
        if code:
            return code
    result = run_dbt(
        ["build", *NO_UNIT_TESTS], db_path=db_path, raw_dir=raw_dir.resolve(), echo=True
    )
    if not result.success:
        _say("dbt build failed: see the messages above", err=True)
        return result.returncode or 1
    files = export_audiences(db_path, out_dir)
    _say(f"\naudience files: {len(files)} in {out_dir}")
    feed = write_change_feed(db_path, out_dir.parent / "changes")
    if feed is not None:
        _say(f"segment changes since the previous build: {feed}")
    forgotten = erasure.forget_in_change_feeds(
        out_dir.parent / "changes", erasure.erased_keys(db_path)
    )
    if forgotten:
        _say(f"erasure: {forgotten} line(s) of erased customers left the change feeds")
    print_summary(db_path)
    return 0


def resolve(path: Path) -> Path:
    """Relative paths are relative to the project directory."""
    return path if path.is_absolute() else PROJECT_DIR / path
