"""``segmart segments``, ``segmart qa`` and ``segmart explain`` (segmart.library)."""

from __future__ import annotations

from pathlib import Path

import click

from segmart import library
from segmart.cli._options import db_option


@click.command("segments")
@db_option()
def segments_command(db: Path) -> None:
    """The segment library as a table: size, share, change and reach."""
    rows, reach = library.segment_table(db)
    if not rows:
        click.echo("the library is empty: add a spec in segments/")
        return
    name_width = max(len("segment"), *(len(r["segment_name"]) for r in rows)) + 2
    owner_width = max(len("owner"), *(len(r["owner"] or "") for r in rows)) + 2
    header = (
        f"{'segment':<{name_width}}{'priority':>8}  {'owner':<{owner_width}}"
        f"{'size':>8}{'share':>8}{'change':>9}  reach"
    )
    click.echo(header)
    click.echo("-" * (len(header) + 20))
    for row in rows:
        change = row["customers_count_change"]
        share = row["share_of_customers"]
        click.echo(
            f"{row['segment_name']:<{name_width}}{row['priority']:>8}  "
            f"{row['owner'] or '':<{owner_width}}{row['customers_count']:>8,}"
            f"{'n/a' if share is None else f'{share:.1%}':>8}"
            f"{'new' if change is None else f'{change:+,}':>9}  "
            f"{', '.join(reach.get(row['segment_name'], [])) or '-'}"
            + (
                ""
                if row["is_activated"]
                else f"  NOT ACTIVATED: {row['activation_blocked_reason']}"
            )
        )


@click.command("qa")
@click.argument("segment")
@db_option()
def qa_command(segment: str, db: Path) -> None:
    """Print SEGMENT's QA page: size vs expected share, members, exclusions,
    overlap and margin."""
    click.echo(library.qa_text(db, segment), nl=False)


@click.command("explain")
@click.argument("email")
@db_option()
@click.option(
    "--proposed",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("segments/proposed"),
    show_default=True,
    help="The proposals of `segmart discover` (shown when the folder has them).",
)
@click.option(
    "--scores",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("data/out/customer_propensity.parquet"),
    show_default=True,
    help="The scores of `segmart propensity` (shown when the file exists).",
)
def explain_command(email: str, db: Path, proposed: Path, scores: Path) -> None:
    """Why EMAIL's customer is where they are: profile facts, every segment
    matched with the reason, primary segment, propensity scores, proposed
    segments matched and history of moves."""
    if "@" not in email:
        raise click.BadParameter(f"{email!r} is not an email address")
    click.echo(library.explain_email(db, email, proposed, scores), nl=False)


def register(group: click.Group) -> None:
    """Add segments, qa and explain to `group`."""
    for command in (segments_command, qa_command, explain_command):
        group.add_command(command)
