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


@click.command()
@db_option()
@click.option(
    "--target",
    "targets",
    multiple=True,
    help="A target to fit (repeatable; default: the var propensity_targets).",
)
@click.option(
    "--min-auc",
    type=click.FloatRange(0.5, 1.0),
    default=None,
    help="A target whose holdout AUC is lower is not published (default: the "
    "var propensity_min_auc, 0.65).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("data/out/customer_propensity.parquet"),
    show_default=True,
)
@click.option(
    "--write-db/--no-write-db",
    default=True,
    show_default=True,
    help="Also publish the scores in the database (schema propensity), where the "
    "next build reads them into customer_profile.",
)
def propensity(
    db: Path,
    targets: tuple[str, ...],
    min_auc: float | None,
    seed: int,
    out: Path,
    write_db: bool,
) -> None:
    """Fit propensity targets point-in-time; publish the scores that pass."""
    from segmart.discover.propensity import SCHEMA, run

    try:
        fits = run(db, out, list(targets) or None, min_auc, seed, write_db=write_db)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--target") from error
    for fit in fits:
        t = fit.target
        click.echo(f"{t.name}: {t.description}")
        click.echo(
            f"  train at {fit.train_cutoff} ({fit.train_rows:,} customers), holdout "
            f"at {fit.holdout_cutoff} ({fit.holdout_rows:,})"
        )
        if fit.auc is not None:
            click.echo(
                f"  holdout AUC {fit.auc:.3f}, Brier {fit.brier:.4f}, rate "
                f"{fit.holdout_rate:.1%}; calibration (mean score / observed, n):"
            )
            for mean, rate, n in fit.calibration:
                click.echo(f"    {mean:6.3f} / {rate:6.3f}  {n:>7,}")
        verdict = "PUBLISHED" if fit.published else "WITHHELD"
        click.echo(f"  {verdict}: {fit.reason}")
    published = sum(len(f.scores) for f in fits)
    click.echo(f"wrote {published:,} scores to {out}")
    if write_db:
        click.echo(
            f"published them in {db} (schema {SCHEMA}): rebuild to see them in "
            "customer_profile"
        )


def register(group: click.Group) -> None:
    """Add discover and propensity to `group`."""
    group.add_command(discover)
    group.add_command(propensity)
