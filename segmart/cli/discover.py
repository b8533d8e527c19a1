"""``segmart discover``: segments the data proposes (segmart.discover)."""

from __future__ import annotations

from pathlib import Path

import click

from segmart.cli._options import db_option


class _K(click.ParamType):
    name = "K|auto"

    def convert(self, value, param, ctx):
        if value is None or str(value).lower() == "auto":
            return None
        try:
            k = int(value)
        except ValueError:
            self.fail(f"{value!r} is neither a whole number nor 'auto'", param, ctx)
        if k < 2:
            self.fail("k must be at least 2", param, ctx)
        return k


@click.command()
@db_option()
@click.option(
    "--k",
    type=_K(),
    default="auto",
    show_default=True,
    help="Clusters; auto: the best silhouette among 2 to 8.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("segments/proposed"),
    show_default=True,
    help="Where the proposed spec files go (dbt does not read this folder).",
)
def discover(db: Path, k: int | None, seed: int, out: Path) -> None:
    """Propose segments: cluster customer_profile, one spec file per cluster."""
    from segmart.discover import discover as run

    found = run(db, out, k=k, seed=seed, segments_dir=out.parent)
    how = found.context["method"]
    click.echo(
        f"{len(found.features.keys):,} customers with an order, "
        f"{len(found.features.features)} features, k={found.clustering.k} ({how})"
    )
    for name, why in sorted(found.features.skipped.items()):
        click.echo(f"  skipped {name}: {why}")
    for p in found.proposals:
        note = f"  RESTATES {p.restates}" if p.restates else ""
        click.echo(
            f"  {p.name:<60} {p.matched:>7,} ({p.share:6.1%})  precision "
            f"{p.precision:.2f}  recall {p.recall:.2f}{note}"
        )
    click.echo(f"wrote {len(found.paths)} proposals to {out}/ (inactive until moved)")


def register(group: click.Group) -> None:
    """Add discover to `group`."""
    group.add_command(discover)
