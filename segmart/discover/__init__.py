"""Segments the data proposes (`segmart discover`).

Reads a built customer_profile, clusters the customers with an order on their
behaviour (segmart.discover.features, .cluster), describes each cluster with a
shallow decision tree written as SQL, measures that rule in the database itself
(size, precision and recall against the cluster, margin profile, overlap with the
existing segments) and writes one spec file per cluster (segmart.discover.specs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from segmart.discover import cluster, specs
from segmart.discover.features import Features, load_features
from segmart.discover.specs import Proposal
from segmart.errors import UserError
from segmart.library import read_db

MIN_CUSTOMERS = 20
TRAITS = 3


@dataclass
class Discovery:
    features: Features
    clustering: cluster.Clustering
    proposals: list[Proposal]
    paths: list[Path]
    context: dict

    def labels(self) -> dict[str, int]:
        """customer_key -> cluster (0 = the largest)."""
        return dict(
            zip(self.features.keys, self.clustering.labels.tolist(), strict=True)
        )


def _name(traits: list[tuple[str, float]], used: set[str]) -> str:
    parts = [f"{'high' if z > 0 else 'low'}_{name}" for name, z in traits[:2]]
    base = "proposed_" + "_".join(parts)
    base = base[:60].rstrip("_")
    name, n = base, 2
    while name in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name)
    return name


def _traits(features: Features, member: np.ndarray) -> list[tuple[str, float]]:
    """The features whose cluster mean is furthest from the shop's, in sds."""
    centre = features.scaled[member].mean(axis=0)
    order = np.argsort(-np.abs(centre))[:TRAITS]
    return [(features.features[i].name, float(centre[i])) for i in order]


def _measure(
    con: duckdb.DuckDBPyConnection, rule: str, members: list[str]
) -> tuple[int, int, dict]:
    """Customers the rule matches, how many are members, and their margin."""
    matched, hits, average, median, negative = con.execute(
        f"""
        with matched as (
            select customer_key, contribution_margin
            from main.customer_profile
            where coalesce(({rule}), false)
        )
        select
            count(*),
            count(*) filter (
                where customer_key in (select unnest(?::varchar[]))
            ),
            avg(contribution_margin),
            median(contribution_margin),
            avg(case when contribution_margin < 0 then 1.0 else 0.0 end)
        from matched
        """,
        [members],
    ).fetchone()
    margin = {"average": average, "median": median, "negative": negative}
    return matched, hits, margin


def _overlaps(con: duckdb.DuckDBPyConnection, rule: str) -> list[tuple[str, float]]:
    """Jaccard of the rule's customers with each segment in segment_membership."""
    has = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'main' "
        "and table_name = 'segment_membership'"
    ).fetchone()[0]
    if not has:
        return []
    rows = con.execute(
        f"""
        with matched as (
            select customer_key from main.customer_profile
            where coalesce(({rule}), false)
        ),
        segments as (
            select distinct segment_name, customer_key from main.segment_membership
        ),
        sizes as (select segment_name, count(*) as n from segments group by 1)
        select
            sizes.segment_name,
            count(matched.customer_key) * 1.0
                / (sizes.n + (select count(*) from matched)
                   - count(matched.customer_key))
        from sizes
        left join segments on segments.segment_name = sizes.segment_name
        left join matched on matched.customer_key = segments.customer_key
        group by sizes.segment_name, sizes.n
        order by 2 desc, 1
        """
    ).fetchall()
    return [(name, float(j)) for name, j in rows if j and j > 0]


def discover(
    db: Path,
    out: Path,
    k: int | None = None,
    seed: int = 0,
    segments_dir: Path = Path("segments"),
    write: bool = True,
) -> Discovery:
    """Cluster, describe and (when `write`) write one proposal per cluster."""
    with read_db(Path(db)) as con:
        features = load_features(con)
        n = len(features.keys)
        if n < MIN_CUSTOMERS or not features.features:
            raise UserError(
                f"{db}: {n} customers with an order and {len(features.features)} "
                f"usable features: discover needs at least {MIN_CUSTOMERS} and 1"
            )
        clustering = cluster.choose_k(features.scaled, seed, k)
        customers, as_of = con.execute(
            "select count(*), cast(max(as_of_date) as varchar) "
            "from main.customer_profile"
        ).fetchone()
        keys = np.array(features.keys)
        proposals, used = [], set()
        for c in range(clustering.k):
            member = clustering.labels == c
            rule = cluster.describe(features.features, features.raw, member, seed)
            traits = _traits(features, member)
            proposal = Proposal(
                name=_name(traits, used),
                cluster=c,
                purpose="",
                rule=rule,
                cluster_size=int(member.sum()),
                matched=0,
                customers=customers,
                precision=0.0,
                recall=0.0,
                average_margin=None,
                median_margin=None,
                negative_margin_share=None,
                traits=[f"{name} {z:+.1f} sd" for name, z in traits],
            )
            matched, hits, margin = _measure(
                con, proposal.rule_sql(), keys[member].tolist()
            )
            proposal.matched = matched
            proposal.precision = hits / matched if matched else 0.0
            proposal.recall = hits / proposal.cluster_size
            proposal.average_margin = _float(margin["average"])
            proposal.median_margin = _float(margin["median"])
            proposal.negative_margin_share = _float(margin["negative"])
            proposal.overlap = _overlaps(con, proposal.rule_sql())
            proposal.purpose = (
                f"Proposed by segmart discover: {proposal.cluster_size:,} customers "
                "who stand out by "
                + ", ".join(
                    f"{'high' if z > 0 else 'low'} {name}" for name, z in traits
                )
                + ". Review before use."
            )
            proposals.append(proposal)
    specs.assign_priorities(proposals, segments_dir)
    context = {
        "today": dt.date.today(),
        "as_of": as_of,
        "k": clustering.k,
        "method": "k-means, k by silhouette" if k is None else f"k-means, k={k} given",
        "seed": seed,
        "features": ", ".join(f.name for f in features.features),
    }
    paths = specs.write(proposals, out, context) if write else []
    return Discovery(features, clustering, proposals, paths, context)


def _float(value) -> float | None:
    return None if value is None else float(value)
