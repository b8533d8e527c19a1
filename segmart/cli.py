"""The segmart command line: one entry point, one sub-command per job."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click


@click.group()
@click.version_option(package_name="segmart")
def main() -> None:
    """segmart: turn a shop's raw exports into a governed segment library."""


@main.command()
@click.option(
    "--customers", type=click.IntRange(min=1), default=5000, show_default=True
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/raw"),
    show_default=True,
)
@click.option(
    "--messy",
    type=click.FloatRange(0.0, 0.5),
    default=0.0,
    show_default=True,
    help="Share of rows given a realistic defect (bad email, currency string, ...).",
)
@click.option(
    "--end-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2026-06-30",
    show_default=True,
    help="Last day of generated activity (fixed, so a seed gives the same bytes).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def generate(
    customers: int,
    seed: int,
    out: Path,
    messy: float,
    end_date: date,
    fmt: str,
    quiet: bool,
) -> None:
    """Write demo exports for every file of the raw-export contract."""
    from segmart.generate import generate as run

    counts = run(
        out_dir=out,
        customers=customers,
        seed=seed,
        messy=messy,
        end_date=end_date.date() if hasattr(end_date, "date") else end_date,
        fmt=fmt,
        progress=not quiet,
    )
    for name, rows in counts.items():
        click.echo(f"{name:<18} {rows:>12,} rows")


@main.command()
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="SEGMART_DB_PATH",
    default=Path("segmart.duckdb"),
    show_default=True,
)
def summary(db: Path) -> None:
    """Print a short summary of the last build (customers, segments, quarantine)."""
    from segmart.summary import print_summary

    print_summary(db)


if __name__ == "__main__":
    sys.exit(main())
