"""``segmart backtest``: how well the predictions did on the shop's own history
(segmart.backtest)."""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from segmart.cli._options import date_type, db_option


@click.command("backtest")
@db_option()
@click.option(
    "--calibration-end",
    type=date_type,
    default=None,
    help="Last day the models see (default: as_of minus --horizon-days).",
)
@click.option(
    "--horizon-days",
    type=int,
    default=90,
    show_default=True,
    help="Days after the calibration end the predictions are compared with.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The Parquet file (default: <db>.backtest.parquet beside the database).",
)
def backtest_command(
    db: Path,
    calibration_end: datetime.datetime | None,
    horizon_days: int,
    out: Path | None,
) -> None:
    """Fit on the history up to a day, compare with what happened next."""
    from segmart import backtest

    end = calibration_end.date() if calibration_end else None
    result, used_end = backtest.backtest_database(db, end, horizon_days)
    out = out or backtest.default_output(db)
    backtest.write_table(backtest.result_table(result, used_end), out)
    click.echo(f"calibration up to {used_end}, holdout {horizon_days} days")
    click.echo(backtest.verdict(result))
    click.echo(f"table: {out}")


def register(group: click.Group) -> None:
    """Add backtest to `group`."""
    group.add_command(backtest_command)
