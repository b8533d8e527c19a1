"""``segmart build``, ``segmart backfill`` and ``segmart run`` (segmart.builds,
segmart.run)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from segmart import builds
from segmart.cli._options import (
    NodeBars,
    bad_parameter,
    build_options,
    date_type,
    db_option,
    raw_option,
    report_build,
)


@click.command("build")
@click.option(
    "--as-of",
    type=date_type,
    default=None,
    help="Evaluate every fact as of this day (default: the newest data).",
)
@build_options
def build_command(as_of: datetime | None, spec: builds.Build, verbose: bool) -> None:
    """Run `dbt build` with the project's profile into --db.

    Passes --vars, --select, --exclude and --full-refresh through to dbt.
    Example: segmart build --as-of 2026-03-31
    """
    if as_of is not None:
        spec.dbt_vars["as_of"] = as_of.date().isoformat()
    builds.check_raw_dir(spec.raw_dir)
    with NodeBars(verbose) as bars:
        label = f"dbt build as_of {spec.dbt_vars.get('as_of', 'latest')}"
        result = builds.build(spec, progress=bars.start(label))
    report_build(result, verbose)
    if not result.success:
        raise click.ClickException(
            f"dbt build failed (exit code {result.returncode}): see above"
        )
    click.echo(f"built {spec.db}")


@click.command("backfill")
@click.option("--from", "start", type=date_type, required=True, help="First as_of.")
@click.option("--to", "end", type=date_type, required=True, help="Last as_of.")
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
@build_options
def backfill_command(
    start: datetime,
    end: datetime,
    every: int,
    latest: bool,
    spec: builds.Build,
    verbose: bool,
) -> None:
    """Build past as_of dates, oldest first, into one database.

    Dates run from --from to --to every --every days, so segment_history,
    segment_transitions and customer_segment_changes fill. Example:
    segmart backfill --from 2026-01-31 --to 2026-05-31 --every 30
    """
    plan = bad_parameter(
        builds.backfill_plan, start.date(), end.date(), every, latest,
        param_hint="--from",
    )  # fmt: skip
    if "as_of" in spec.dbt_vars:
        raise click.BadParameter("as_of is set by --from/--to", param_hint="--vars")
    builds.check_raw_dir(spec.raw_dir)
    click.echo(f"{len(plan)} build(s): {', '.join(d or 'latest' for d in plan)}")
    with NodeBars(verbose) as bars:
        failed = builds.backfill(
            spec,
            plan,
            lambda n, as_of: bars.start(f"[{n}/{len(plan)}] as_of {as_of or 'latest'}"),
        )
    if failed is not None:
        as_of, result = failed
        report_build(result, verbose)
        raise click.ClickException(
            f"dbt build as_of {as_of or 'latest'} failed (exit code "
            f"{result.returncode}); the builds before it are kept"
        )
    click.echo(f"backfilled {spec.db}: {len(plan)} build(s)")


@click.command()
@raw_option(
    "Exports to build from: contract files or platform exports (converted in"
    " place). An empty folder gets demo data."
)
@db_option(help=None)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/out/audiences"),
    show_default=True,
    help="Where the audience import files go.",
)
@click.option("--demo-customers", type=click.IntRange(min=1), default=5000)
@click.option("--seed", type=int, default=7)
@click.option(
    "--history-months",
    type=click.IntRange(min=0),
    default=6,
    show_default=True,
    help="Before the first build (new demo data or no earlier build), build the"
    " last day of each of this many past months, so the history fills. 0: none.",
)
def run(
    raw_dir: Path,
    db: Path,
    out: Path,
    demo_customers: int,
    seed: int,
    history_months: int,
) -> None:
    """The main job: prepare the exports, dbt build, write audiences, summarise."""
    from segmart.run import resolve, run_pipeline

    code = run_pipeline(
        resolve(raw_dir),
        resolve(db),
        resolve(out),
        customers=demo_customers,
        seed=seed,
        history_months=history_months,
    )
    sys.exit(code)


def register(group: click.Group) -> None:
    """Add build, backfill and run to `group`."""
    for command in (build_command, backfill_command, run):
        group.add_command(command)
