"""The main job: prepare the raw folder, build, export the audiences, summarise."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import click

from segmart.contract import PROJECT_DIR
from segmart.dbt import run_dbt

CONTRACT_SUFFIXES = (".csv", ".csv.gz", ".parquet")
# One import format per channel for the files written after each build:
# a Klaviyo list import for email and SMS, a hashed Meta customer list for ads.
CHANNEL_FORMATS = {"email": "klaviyo", "sms": "klaviyo", "paid_social": "meta"}


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
        click.echo(f"converted platform exports in {raw_dir}: {written}")
        return "converted"
    if not has_orders(raw_dir):
        from segmart.generate import generate

        click.echo(
            f"no exports in {raw_dir}: generating demo data ({customers:,} customers)"
        )
        generate(out_dir=raw_dir, customers=customers, seed=seed, progress=True)
        return "generated"
    click.echo(f"using the exports in {raw_dir}")
    return "existing"


def export_audiences(db_path: Path, out_dir: Path) -> list[Path]:
    """Write one import file per segment and channel (activation.audience_members)."""
    from segmart.outputs import read_audience_table, write_audience

    rows = read_audience_table(db_path, "activation.audience_members")
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        groups[(row["segment_name"], row["channel"])].append(row)
    written = []
    for (segment, channel), members in sorted(groups.items()):
        path = out_dir / f"{segment}__{channel}.csv"
        write_audience(members, CHANNEL_FORMATS.get(channel, "klaviyo"), path)
        written.append(path)
    return written


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


def run_pipeline(
    raw_dir: Path,
    db_path: Path,
    out_dir: Path,
    customers: int = 5000,
    seed: int = 7,
) -> int:
    """Prepare, build, export and summarise; return a process exit code."""
    from segmart.summary import print_summary

    prepare_raw(raw_dir, customers, seed)
    result = run_dbt(["build"], db_path=db_path, raw_dir=raw_dir.resolve(), echo=True)
    if not result.success:
        click.echo("dbt build failed: see the messages above", err=True)
        return result.returncode or 1
    files = export_audiences(db_path, out_dir)
    click.echo(f"\naudience files: {len(files)} in {out_dir}")
    feed = write_change_feed(db_path, out_dir.parent / "changes")
    if feed is not None:
        click.echo(f"segment changes since the previous build: {feed}")
    print_summary(db_path)
    return 0


def resolve(path: Path) -> Path:
    """Relative paths are relative to the project directory."""
    return path if path.is_absolute() else PROJECT_DIR / path
