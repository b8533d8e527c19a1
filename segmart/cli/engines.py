"""``segmart load``, ``segmart pg-build`` and ``segmart dbt``: the PostgreSQL and
Spark targets (segmart.load, segmart.spark, segmart.pg_build)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import yaml

from segmart.cli._options import raw_option, target_path_option
from segmart.dbt import closing_lines, error_lines
from segmart.engines import LoadError, PgSettings
from segmart.load import load
from segmart.pg_build import pg_build


@click.command("load")
@raw_option("Folder with the contract files (CSV, CSV.gz or Parquet).", exists=True)
@click.option(
    "--vars",
    "dbt_vars",
    default="{}",
    show_default=True,
    help="dbt vars for the reader, as JSON or YAML, e.g. '{csv_delimiter: \";\"}'.",
)
@click.option("--schema", default="raw", show_default=True)
@click.option(
    "--target",
    type=click.Choice(["postgres", "spark"]),
    default=lambda: {"spark": "spark"}.get(
        os.environ.get("SEGMART_TARGET", ""), "postgres"
    ),
    help="The profile output to load into (default: SEGMART_TARGET, else "
    "postgres). DuckDB needs no load: its build reads the files.",
)
def load_command(raw_dir: Path, dbt_vars: str, schema: str, target: str) -> None:
    """Write the raw exports into schema `raw` of the PostgreSQL (or Spark)
    target, as the DuckDB build lands them.

    PostgreSQL connection: SEGMART_PG_HOST, SEGMART_PG_PORT, SEGMART_PG_USER,
    SEGMART_PG_PASSWORD, SEGMART_PG_DB (profiles.yml, output `postgres`).
    """

    parsed = yaml.safe_load(dbt_vars) or {}
    if not isinstance(parsed, dict):
        raise click.BadParameter("a mapping, e.g. '{csv_delimiter: \";\"}'")
    try:
        if target == "spark":
            from segmart import spark

            counts = spark.load(raw_dir, dbt_vars=parsed, schema=schema)
            where = "spark"
        else:
            settings = PgSettings.from_env()
            counts = load(raw_dir, settings, dbt_vars=parsed, schema=schema)
            where = f"{settings.host}:{settings.port}/{settings.dbname}"
    except LoadError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"loaded {raw_dir} into {schema} on {where}")
    for table, rows in counts.items():
        click.echo(f"{schema}.{table:<18} {rows:>12,} rows")


@click.command("pg-build")
@click.option("--vars", "vars_text", default=None, help="dbt vars as YAML.")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models.")
@target_path_option()
@click.option("--verbose", "-v", is_flag=True, help="Show dbt's log.")
def pg_build_command(
    vars_text: str | None,
    full_refresh: bool,
    target_path: Path | None,
    verbose: bool,
) -> None:
    """dbt build on the PostgreSQL target, the Python models included.

    Run `segmart load` first. Connection: SEGMART_PG_HOST, _PORT, _USER,
    _PASSWORD, _DB (profiles.yml, output `postgres`).
    """
    dbt_vars = yaml.safe_load(vars_text) if vars_text else {}
    if not isinstance(dbt_vars, dict):
        raise click.BadParameter("a mapping, e.g. '{as_of: 2026-03-31}'")
    result = pg_build(
        dbt_vars=dbt_vars,
        target_path=target_path,
        full_refresh=full_refresh,
        echo=verbose,
    )
    if not verbose:
        lines = (
            closing_lines(result.output, warnings=False)
            if result.success
            else error_lines(result.output)
        )
        for line in lines:
            click.echo(line)
    for model, rows in result.python_rows.items():
        click.echo(f"python model {model}: {rows:,} rows")
    if not result.success:
        raise click.ClickException(result.error or "dbt build failed: see above")


@click.command(
    "dbt",
    context_settings={"ignore_unknown_options": True, "help_option_names": []},
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dbt_command(args: tuple[str, ...]) -> None:
    """dbt, with Python models and seeds working on the `spark` target's
    `method: session` (e.g. `segmart dbt build --target spark`)."""
    from segmart.spark import run_dbt_cli

    sys.exit(run_dbt_cli(args))


@click.command("key")
@click.option(
    "--env",
    "as_env",
    is_flag=True,
    help="Print SEGMART_CUSTOMER_KEY_PADS=... for `export $(segmart key --env)`.",
)
def key_command(as_env: bool) -> None:
    """Where this installation's customer_key secret is (created on first use);
    with --env, what a plain `dbt build` needs in its environment."""
    from segmart import keys

    if as_env:
        click.echo(f"{keys.PADS_ENV}={keys.current_pads()}")
        return
    keys.secret()
    if os.environ.get(keys.SECRET_ENV):
        click.echo(f"customer_key secret: from {keys.SECRET_ENV}")
    else:
        click.echo(f"customer_key secret: {keys.secret_file()}")


def register(group: click.Group) -> None:
    """Add load, pg-build, dbt and key to `group`."""
    for command in (load_command, pg_build_command, dbt_command, key_command):
        group.add_command(command)
