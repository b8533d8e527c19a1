"""What several commands share: the --db and --raw-dir options, dbt's build
options, errors turned into click's, and dbt's progress shown as a bar."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from segmart import builds
from segmart.dbt import DbtRun, closing_lines, error_lines, nodes_done


def db_option(
    help: str | None = "The DuckDB database (or SEGMART_DB_PATH).",
) -> Callable:
    """--db: the DuckDB file (SEGMART_DB_PATH, default segmart.duckdb)."""
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="SEGMART_DB_PATH",
        default=Path("segmart.duckdb"),
        show_default=True,
        help=help,
    )


def raw_option(
    help: str = "The raw exports (or SEGMART_RAW_DIR).", exists: bool = False
) -> Callable:
    """--raw-dir: the raw exports (SEGMART_RAW_DIR, default data/raw)."""
    return click.option(
        "--raw-dir",
        type=click.Path(exists=exists, file_okay=False, path_type=Path),
        envvar="SEGMART_RAW_DIR",
        default=Path("data/raw"),
        show_default=True,
        help=help,
    )


def target_path_option(
    help: str = "dbt's artifacts folder (default: the project's target/).",
) -> Callable:
    """--target-path: dbt's artifacts folder."""
    return click.option(
        "--target-path",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=help,
    )


date_type = click.DateTime(formats=["%Y-%m-%d"])


def build_options(func: Callable) -> Callable:
    """--db, --raw-dir, --vars, --select, --exclude, --full-refresh,
    --target-path and --verbose (`segmart build` and `segmart backfill`),
    handed to the command as ``spec`` (a segmart.builds.Build) and ``verbose``."""

    @functools.wraps(func)
    def command(
        *,
        db: Path,
        raw_dir: Path,
        vars_text: str | None,
        select: tuple[str, ...],
        exclude: tuple[str, ...],
        full_refresh: bool,
        target_path: Path | None,
        **kwargs: Any,
    ) -> Any:
        dbt_vars = bad_parameter(builds.parse_vars, vars_text, param_hint="--vars")
        spec = builds.Build(
            db, raw_dir, dbt_vars, select, exclude, full_refresh, target_path
        )
        return func(spec=spec, **kwargs)

    for option in reversed(
        [
            db_option(),
            raw_option(),
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
            target_path_option(),
            click.option(
                "--verbose", "-v", is_flag=True, help="Show dbt's log, not a bar."
            ),
        ]
    ):
        command = option(command)
    return command


def bad_parameter(call: Callable[..., Any], *args: Any, param_hint: str | None = None):
    """`call(*args)`, its ValueError turned into click's BadParameter."""
    try:
        return call(*args)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=param_hint) from error


class NodeBars:
    """One progress bar over dbt's nodes per build, on stderr; with `verbose`,
    dbt's own log instead. ``start(label)`` gives a build's line callback for
    :func:`segmart.dbt.run_dbt` (and closes the bar before it)."""

    def __init__(self, verbose: bool) -> None:
        self.verbose = verbose
        self.bar: Any = None
        self.done: set[int] = set()

    def start(self, label: str) -> Callable[[str], None]:
        from tqdm import tqdm

        self.close()
        self.done = set()
        self.bar = tqdm(
            desc=label,
            unit="node",
            disable=self.verbose,
            file=sys.stderr,
            mininterval=0.5 if sys.stderr.isatty() else 15,
        )
        return self.line

    def line(self, line: str) -> None:
        if self.verbose:
            click.echo(line, nl=False)
            return
        done = nodes_done(line)
        if done:
            self.bar.total = done[1]
            self.done.add(done[0])
            self.bar.n = len(self.done)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> NodeBars:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def report_build(result: DbtRun, verbose: bool) -> None:
    """After a quiet build: its closing lines on success, its errors on failure."""
    if verbose:
        return
    if result.success:
        for line in closing_lines(result.output):
            click.echo(line.strip())
        return
    for line in error_lines(result.output):
        click.echo(line.rstrip(), err=True)
