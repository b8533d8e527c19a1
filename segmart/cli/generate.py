"""``segmart generate``: demo exports for every file of the raw-export contract
(segmart.generate)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click


def _shape_rows() -> list[dict[str, str]]:
    """Rows of segmart/shop_shapes.csv, read without importing the generator."""
    import csv
    from importlib import resources

    text = resources.files("segmart").joinpath("shop_shapes.csv").read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines))


def _shape_help() -> str:
    """The table of shop shapes shown under `segmart generate --help`."""
    head = ("shape", "years", "gap d", "one-time", "drop", "price x", "B2B", "shop")
    rows = [head]
    for r in _shape_rows():
        drop = float(r["drop_a"]) / (float(r["drop_a"]) + float(r["drop_b"]))
        rows.append(
            (
                r["shape"],
                r["history_years"],
                f"{float(r['gap_days']):g}",
                f"{float(r['one_time']):g}",
                f"{drop:.2f}",
                f"{float(r['price_factor']):g}",
                f"{float(r['b2b_buyers']):g}",
                r["shop"],
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    return (
        "Shop shapes (--shape; every parameter: segmart/shop_shapes.csv and"
        " docs/generator.md). gap d: median days between a buyer's orders; one-time:"
        " share of regular buyers who never return; drop: mean chance to stop after"
        " an order; price x: catalogue price factor; B2B: share of buyers that are"
        " companies.\n\n\b\n" + "\n".join(lines)
    )


@click.command(epilog=_shape_help())
@click.option(
    "--customers", type=click.IntRange(min=1), default=5000, show_default=True
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("data/raw"),
    show_default=True,
)
@click.option(
    "--messy",
    type=click.FloatRange(0.0, 0.5),
    default=0.0,
    show_default=True,
    help="Share of rows given a realistic defect (bad email, currency string, ...).",
)
@click.option(
    "--end-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default="2026-06-30",
    show_default=True,
    help="Last day of generated activity (fixed, so a seed gives the same bytes).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option(
    "--shape",
    type=click.Choice([r["shape"] for r in _shape_rows()]),
    default="fashion",
    show_default=True,
    help="Kind of shop (a row of segmart/shop_shapes.csv; table below).",
)
def generate(
    customers: int,
    seed: int,
    out: Path,
    messy: float,
    end_date: date,
    fmt: str,
    quiet: bool,
    shape: str,
) -> None:
    """Write demo exports for every file of the raw-export contract."""
    from segmart.generate import generate as run

    counts = run(
        out_dir=out,
        customers=customers,
        seed=seed,
        messy=messy,
        end_date=end_date.date() if hasattr(end_date, "date") else end_date,
        fmt=fmt,
        progress=not quiet,
        shape=shape,
    )
    for name, rows in counts.items():
        click.echo(f"{name:<18} {rows:>12,} rows")


def register(group: click.Group) -> None:
    """Add generate to `group`."""
    group.add_command(generate)
