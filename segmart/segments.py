"""The QA page of one segment, read from a built database (the CLI prints it).

The same page as rows is `analyses/segment_qa.sql`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

TOP = 10


def _fmt_share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _fmt_money(value) -> str:
    return "n/a" if value is None else f"{float(value):,.2f}"


def qa_page(db_path: Path | str, segment: str) -> str:
    """Return one segment's QA page as text.

    Size against the expected share, change since the previous build, margin
    profile, the top 10 members and the top 10 just-excluded customers by
    contribution margin (with the values that included or excluded them), and the
    overlap with every other segment.
    """
    db_path = Path(db_path)
    if not db_path.exists():
        raise FileNotFoundError(f"no database at {db_path}: run `dbt build` first")
    with duckdb.connect(str(db_path), read_only=True) as con:
        library = con.execute(
            "select * from main.segment_library where segment_name = ?", [segment]
        )
        columns = [d[0] for d in library.description]
        row = library.fetchone()
        if row is None:
            names = [
                r[0]
                for r in con.execute(
                    "select segment_name from main.segment_library order by priority"
                ).fetchall()
            ]
            raise KeyError(f"no segment {segment!r}; segments: {', '.join(names)}")
        spec = dict(zip(columns, row, strict=True))
        candidates = con.execute(
            """
            select
                candidates.is_excluded,
                candidates.customer_key,
                profile.contribution_margin,
                coalesce(candidates.exclusion_reason, candidates.match_reason)
            from intermediate.int_segment_candidates as candidates
            inner join main.customer_profile as profile
                on candidates.customer_key = profile.customer_key
            where candidates.segment_name = ?
            order by
                profile.contribution_margin desc nulls last, candidates.customer_key
            """,
            [segment],
        ).fetchall()
        overlap = con.execute(
            """
            select segment_b, shared_customers, share_of_a, share_of_b
            from main.segment_overlap
            where segment_a = ?
            order by shared_customers desc, segment_b
            """,
            [segment],
        ).fetchall()

    within = spec["is_share_within_expected"]
    verdict = "within" if within else f"OUTSIDE ({spec['share_severity']})"
    previous = spec["previous_customers_count"]
    change = (
        "first build"
        if previous is None
        else f"{previous:,} at {spec['previous_as_of_date']} "
        f"({spec['customers_count_change']:+,})"
    )
    lines = [
        f"segment {segment}  (priority {spec['priority']}, owner {spec['owner']}, "
        f"refresh {spec['refresh']}, channels {spec['channels']})",
        f"purpose: {spec['purpose']}",
        f"success measure: {spec['success_measure']}",
        "rule:",
        *(f"    {line}" for line in spec["rule"].splitlines()),
    ]
    if spec["exclusions"]:
        lines += ["exclusions:", *(f"    {x}" for x in spec["exclusions"].splitlines())]
    lines += [
        "",
        f"size: {spec['customers_count']:,} of {spec['customers_total']:,} customers "
        f"({_fmt_share(spec['share_of_customers'])}); expected "
        f"{_fmt_share(spec['expected_share_min'])} to "
        f"{_fmt_share(spec['expected_share_max'])}: {verdict}",
        f"primary for {spec['primary_count']:,}; excluded {spec['excluded_count']:,}; "
        f"previous build: {change}",
        f"margin profile: average contribution margin "
        f"{_fmt_money(spec['average_contribution_margin'])}; share with negative "
        f"margin {_fmt_share(spec['negative_margin_share'])}",
        f"review by {spec['review_by']}"
        + ("  (OVERDUE)" if spec["is_review_overdue"] else ""),
    ]
    for title, excluded in (
        ("top 10 included (by contribution margin)", False),
        ("top 10 just excluded (matched the rule, kept out by exclusions)", True),
    ):
        rows = [r for r in candidates if r[0] is excluded][:TOP]
        lines += ["", title + ":"]
        if not rows:
            lines.append("    (none)")
        for _, key, margin, reason in rows:
            lines.append(f"    {key}  margin {_fmt_money(margin):>10}  {reason}")
    lines += ["", "overlap (other segment, shared, share of this, share of other):"]
    for other, shared, share_a, share_b in overlap:
        shares = f"{_fmt_share(share_a):>9}{_fmt_share(share_b):>9}"
        lines.append(f"    {other:<28}{shared:>8,}{shares}")
    return "\n".join(lines) + "\n"
