"""What `segmart explain` adds from discover and propensity: the customer's
published propensity scores and the proposed segments whose rule they match."""

from __future__ import annotations

from pathlib import Path

import duckdb

from segmart.discover.specs import read_index


def explain_lines(
    con: duckdb.DuckDBPyConnection,
    key: str,
    proposed_dir: Path | None,
    scores: Path | None,
) -> list[str]:
    """Lines for one customer_key; nothing when neither file exists."""
    lines: list[str] = []
    if scores is not None and scores.exists():
        found = con.execute(
            "select target, score, holdout_auc, as_of_date from read_parquet(?) "
            "where customer_key = ? order by target",
            [str(scores), key],
        ).fetchall()
        lines += ["", f"propensity scores ({scores}):"]
        if not found:
            lines.append("    (none published for this customer)")
        for target, score, auc, as_of in found:
            lines.append(
                f"    {target:<30} {score:6.3f}  (as of {as_of}, holdout AUC {auc:.3f})"
            )
    index = read_index(proposed_dir) if proposed_dir is not None else None
    if index and index["proposals"]:
        matched = []
        for proposal in index["proposals"]:
            row = con.execute(
                f"select coalesce(({proposal['rule_sql']}), false) "
                "from main.customer_profile where customer_key = ?",
                [key],
            ).fetchone()
            if row is not None and row[0]:
                matched.append(proposal)
        lines += ["", f"proposed segments matched ({len(matched)}, {proposed_dir}):"]
        if not matched:
            lines.append("    (none)")
        for proposal in matched:
            rule = " ".join(proposal["rule"].split())
            lines.append(f"    {proposal['name']}: {rule}")
    return lines
