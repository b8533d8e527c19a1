"""Proposals written as segment spec files, in the format of segments/*.sql.

A proposal is inactive: it lives in segments/proposed/, which dbt does not read
(.dbtignore). An analyst reads the header, edits the spec and moves the file into
segments/ to make it a segment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from segmart.discover.features import POPULATION

MARKER = "Proposed by `segmart discover`"
INDEX = "proposals.json"
# A proposal this close (Jaccard) to an existing segment restates it.
OVERLAP_RESTATES = 0.8
PRIORITY_BASE = 900
REVIEW_DAYS = 90


@dataclass
class Proposal:
    name: str
    cluster: int
    purpose: str
    rule: str  # the tree's expression, without the population condition
    cluster_size: int
    matched: int  # customers the rule matches
    customers: int  # customers in customer_profile
    precision: float
    recall: float
    average_margin: float | None
    median_margin: float | None
    negative_margin_share: float | None
    traits: list[str]
    overlap: list[tuple[str, float]] = field(default_factory=list)  # (segment, J)
    priority: int = 0

    @property
    def share(self) -> float:
        return self.matched / self.customers if self.customers else 0.0

    def rule_sql(self) -> str:
        """The whole rule: customers with an order, then the tree's leaves."""
        inner = "\n".join(f"    {line}" for line in self.rule.splitlines())
        return f"{POPULATION}\nand (\n{inner}\n)"

    @property
    def restates(self) -> str | None:
        for segment, jaccard in self.overlap:
            if jaccard >= OVERLAP_RESTATES:
                return segment
        return None


def existing_priorities(segments_dir: Path) -> set[int]:
    found = set()
    for path in segments_dir.glob("*.sql"):
        found |= {int(m) for m in re.findall(r"'priority':\s*(\d+)", path.read_text())}
    return found


def assign_priorities(proposals: list[Proposal], segments_dir: Path) -> None:
    """Free priorities from PRIORITY_BASE up: a moved file never clashes."""
    used = existing_priorities(segments_dir)
    candidate = PRIORITY_BASE
    for proposal in proposals:
        while candidate in used:
            candidate += 1
        proposal.priority = candidate
        used.add(candidate)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _money(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f}"


def render(proposal: Proposal, context: dict) -> str:
    """The spec file of one proposal."""
    p = proposal
    lo = max(0.0, round(p.share * 0.5, 3))
    hi = min(1.0, round(max(p.share * 1.5, p.share + 0.02), 3))
    review_by = (context["today"] + dt.timedelta(days=REVIEW_DAYS)).isoformat()
    restates = p.restates
    overlap = (
        "; ".join(f"{s} {j:.2f}" for s, j in p.overlap[:3]) if p.overlap else "none"
    )
    header = [
        f"{MARKER} on {context['today']} from a build as of {context['as_of']}:",
        f"    cluster {p.cluster + 1} of {context['k']} ({context['method']}, seed "
        f"{context['seed']}), {p.cluster_size:,} customers.",
        f"    Traits (against the shop's average): {', '.join(p.traits)}.",
        f"    Size: the rule matches {p.matched:,} of {p.customers:,} customers "
        f"({_pct(p.share)}).",
        f"    Rule against the cluster: precision {p.precision:.2f}, recall "
        f"{p.recall:.2f}.",
        f"    Margin profile: average contribution margin "
        f"{_money(p.average_margin)}, median {_money(p.median_margin)}, share "
        f"with negative margin {_pct(p.negative_margin_share)}.",
        f"    Overlap with existing segments (Jaccard): {overlap}.",
    ]
    if restates:
        header.append(
            f"    RESTATES segment '{restates}' (Jaccard >= {OVERLAP_RESTATES}): "
            "probably not worth a new segment."
        )
    header.append(
        "    Inactive until an analyst reviews it, edits purpose, owner, channels "
        "and success measure, and moves it into segments/."
    )
    rule = "\n".join(f"        {line}" for line in p.rule_sql().splitlines())
    return (
        "{#- "
        + "\n".join(header)
        + " -#}\n"
        + f"{{% macro segment_spec__{p.name}() %}}\n"
        + "    {%- set rule -%}\n"
        + rule
        + "\n    {%- endset -%}\n"
        + "    {{ return({\n"
        + f"        'name': '{p.name}',\n"
        + f"        'purpose': '{_quote(p.purpose)}',\n"
        + "        'rule': rule,\n"
        + f"        'priority': {p.priority},\n"
        + "        'owner': 'analyst@example.com',\n"
        + "        'refresh': 'weekly',\n"
        + "        'channels': ['dashboard'],\n"
        + "        'success_measure': 'To be set by the analyst who adopts it.',\n"
        + f"        'expected_share': [{lo}, {hi}],\n"
        + f"        'review_by': '{review_by}',\n"
        + "    }) }}\n"
        + "{% endmacro %}\n"
    )


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def write(proposals: list[Proposal], out: Path, context: dict) -> list[Path]:
    """Replace the previous proposals in `out` (files discover wrote) by these."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.sql"):
        if MARKER in old.read_text(encoding="utf-8")[:200]:
            old.unlink()
    paths = []
    for proposal in proposals:
        path = out / f"{proposal.name}.sql"
        path.write_text(render(proposal, context), encoding="utf-8")
        paths.append(path)
    index = {
        "context": {k: str(v) for k, v in context.items()},
        "proposals": [
            {
                **asdict(p),
                "rule_sql": p.rule_sql(),
                "share": p.share,
                "restates": p.restates,
            }
            for p in proposals
        ],
    }
    (out / INDEX).write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")
    return paths


def read_index(out: Path) -> dict | None:
    """What the last `segmart discover` wrote to `out`, or None."""
    path = out / INDEX
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
