"""The segmart command line: one entry point, one sub-command per job.

Each module of this package holds one group of commands and adds them to
:data:`main` with its ``register(group)``; a command parses its options, calls
the module that does the work (segmart.builds, segmart.library, segmart.run,
...) and prints. A :class:`~segmart.errors.UserError` raised by that work is
printed as click's one-line error, exit code 1.
"""

from __future__ import annotations

import click

from segmart.cli import (
    adapters,
    backtest,
    build,
    discover,
    engines,
    export,
    generate,
    report,
    segments,
)
from segmart.errors import UserError


class _Main(click.Group):
    """The top group: a UserError from any command becomes a click error."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=_Main)
@click.version_option(package_name="segmart")
def main() -> None:
    """segmart: turn a shop's raw exports into a governed segment library."""


for _module in (
    generate,
    report,
    build,
    adapters,
    export,
    segments,
    engines,
    backtest,
    discover,
):
    _module.register(main)
