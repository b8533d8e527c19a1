"""``segmart summary`` and ``segmart report`` (segmart.summary, segmart.report)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import duckdb

from segmart.cli._options import db_option


@click.command()
@db_option(help=None)
def summary(db: Path) -> None:
    """Print a short summary of the last build (customers, segments, quarantine)."""
    from segmart.summary import print_summary

    print_summary(db)


@click.command("report")
@db_option()
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
        raise click.ClickException(f"no database at {db}: run `segmart build` first")
    with click.progressbar(length=len(CHARTS), label="charts", file=sys.stderr) as bar:
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


def register(group: click.Group) -> None:
    """Add summary and report to `group`."""
    for command in (summary, report_command):
        group.add_command(command)
