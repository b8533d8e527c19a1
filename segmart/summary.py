"""The short text summary printed after `make demo`."""

from __future__ import annotations

from pathlib import Path

import click
import duckdb


def _exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    sql = (
        "select count(*) from information_schema.tables "
        "where table_schema = ? and table_name = ?"
    )
    return con.execute(sql, [schema, table]).fetchone()[0] > 0


def print_summary(db: Path) -> None:
    """Print customers, segments and data-quality figures from a built database."""
    if not db.exists():
        raise click.ClickException(f"no database at {db}: run `dbt build` first")
    with duckdb.connect(str(db), read_only=True) as con:
        customers = con.execute("select count(*) from main.customer_profile").fetchone()
        click.echo(f"customers: {customers[0]:,}")
        if _exists(con, "main", "segment_library"):
            rows = con.execute(
                "select segment_name, priority, customers_count, share_of_customers, "
                "is_activated, activation_blocked_reason "
                "from main.segment_library order by priority"
            ).fetchall()
            click.echo(
                f"\n{'segment':<32}{'priority':>9}{'customers':>11}{'share':>8}"
                "  activated"
            )
            for name, priority, size, share, activated, _ in rows:
                click.echo(
                    f"{name:<32}{priority:>9}{size:>11,}{share:>8.1%}"
                    f"  {'yes' if activated else 'NO'}"
                )
            blocked = [(name, reason) for name, *_, ok, reason in rows if not ok]
            if blocked:
                click.echo(
                    f"\n{len(blocked)} segment(s) failed QA and are not activated "
                    "(no audience, no change feed); the others are:"
                )
                for name, reason in blocked:
                    click.echo(f"  {name}: {reason}")
        if _exists(con, "quality", "dq_shop__data_quality"):
            rows = con.execute(
                "select source_table, reason, rows_count "
                "from quality.dq_shop__data_quality where kind = 'quarantined' "
                "order by rows_count desc, source_table, reason limit 10"
            ).fetchall()
            if rows:
                click.echo("\nquarantined rows (top reasons):")
                for source, reason, n in rows:
                    click.echo(f"  {source:<18} {reason:<32} {n:>8,}")
