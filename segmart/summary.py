"""The short text summary printed after `make demo`."""

from __future__ import annotations

from pathlib import Path

import duckdb

from segmart.errors import UserError
from segmart.library import has_table


def print_summary(db: Path) -> None:
    """Print customers, segments and data-quality figures from a built database."""
    if not db.exists():
        raise UserError(f"no database at {db}: run `dbt build` first")
    with duckdb.connect(str(db), read_only=True) as con:
        customers = con.execute("select count(*) from main.customer_profile").fetchone()
        print(f"customers: {customers[0]:,}")
        if has_table(con, "intermediate", "int_customers_predicted"):
            _print_predictions(con)
        if has_table(con, "main", "segment_library"):
            rows = con.execute(
                "select segment_name, priority, customers_count, share_of_customers, "
                "is_activated, activation_blocked_reason "
                "from main.segment_library order by priority"
            ).fetchall()
            print(
                f"\n{'segment':<32}{'priority':>9}{'customers':>11}{'share':>8}"
                "  activated"
            )
            for name, priority, size, share, activated, _ in rows:
                print(
                    f"{name:<32}{priority:>9}{size:>11,}{share:>8.1%}"
                    f"  {'yes' if activated else 'NO'}"
                )
            blocked = [(name, reason) for name, *_, ok, reason in rows if not ok]
            if blocked:
                print(
                    f"\n{len(blocked)} segment(s) failed QA and are not activated "
                    "(no audience, no change feed); the others are:"
                )
                for name, reason in blocked:
                    print(f"  {name}: {reason}")
        if has_table(con, "quality", "dq_shop__data_quality"):
            rows = con.execute(
                "select source_table, reason, rows_count "
                "from quality.dq_shop__data_quality where kind = 'quarantined' "
                "order by rows_count desc, source_table, reason limit 10"
            ).fetchall()
            if rows:
                print("\nquarantined rows (top reasons):")
                for source, reason, n in rows:
                    print(f"  {source:<18} {reason:<32} {n:>8,}")


def _print_predictions(con: duckdb.DuckDBPyConnection) -> None:
    """One line: which model predicts, or why nothing is predicted."""
    row = con.execute(
        "select prediction_status, count_model, count_model_reason"
        " from intermediate.int_customers_predicted limit 1"
    ).fetchone()
    if row is None:
        return
    status, model, reason = row
    if model is None:
        print(f"predictions: none ({status})")
    else:
        print(f"predictions: {status} with {model} ({reason})")
