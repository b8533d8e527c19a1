"""``segmart detect`` and ``segmart convert``: platform exports to the raw-export
contract (segmart.adapters)."""

from __future__ import annotations

from pathlib import Path

import click

from segmart.adapters import (
    PLATFORMS,
    ConversionError,
    MappingError,
    convert,
    detect,
    find_mappings,
)

folder_arg = click.Path(exists=True, file_okay=False, path_type=Path)


@click.command("detect")
@click.argument("folder", type=folder_arg)
def detect_command(folder: Path) -> None:
    """List what each file of FOLDER is (platform export, contract file, ...)."""
    try:
        found = detect(folder, find_mappings(folder))
    except MappingError as exc:
        raise click.ClickException(str(exc)) from exc
    for item in found:
        what = f"{item.platform}/{item.kind}" if item.platform else "unrecognised"
        targets = f" -> {', '.join(item.targets)}" if item.is_export else ""
        click.echo(f"{item.path.name:<40} {what}{targets}")


@click.command("convert")
@click.argument("in_dir", type=folder_arg)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the contract files (default: IN_DIR, in place).",
)
@click.option(
    "--platform",
    type=click.Choice(["auto", *PLATFORMS]),
    default="auto",
    show_default=True,
    help="Convert only this platform's exports.",
)
@click.option(
    "--mapping",
    "mappings",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="A column-mapping YAML (besides IN_DIR/*.mapping.yml). Repeatable.",
)
@click.option(
    "--overwrite", is_flag=True, help="Replace your own contract CSVs in --out."
)
def convert_command(
    in_dir: Path,
    out_dir: Path | None,
    platform: str,
    mappings: tuple[Path, ...],
    overwrite: bool,
) -> None:
    """Convert platform exports in IN_DIR to the raw-export contract."""
    try:
        report = convert(
            in_dir, out_dir, platform, mappings=mappings, overwrite=overwrite
        )
    except (ConversionError, MappingError) as exc:
        raise click.ClickException(str(exc)) from exc
    for entry in report.inputs:
        click.echo(f"{entry.file} ({entry.kind}): {entry.input_rows} rows")
        for target, count in entry.targets.items():
            skips = ", ".join(f"{k} {v}" for k, v in count.skipped.items())
            click.echo(
                f"  {target:<18} {count.rows_written:>7} written"
                + (f"; skipped: {skips}" if skips else "")
            )
    for item in report.ignored:
        click.echo(f"ignored {item['file']}: {item['reason']}")
    for item in report.renamed:
        click.echo(f"renamed {item['from']} -> {item['to']}")
    for name in report.removed:
        click.echo(f"removed stale {name}")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not report.balanced:  # pragma: no cover - _reconcile raises first
        raise click.ClickException("reconciliation failed; see the report")


def register(group: click.Group) -> None:
    """Add detect and convert to `group`."""
    for command in (detect_command, convert_command):
        group.add_command(command)
