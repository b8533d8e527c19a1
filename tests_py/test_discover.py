"""`segmart discover`: proposed segments from clusters, written as spec files.

1. A customer_profile built directly in DuckDB with three planted groups (loyal,
   lapsed, new) and three noise columns: discover recovers the groups (adjusted
   Rand index >= 0.8) and the rules written in the spec files, run here in DuckDB,
   reach precision and recall >= 0.8 against the planted groups. The same table
   with every column shuffled on its own (the groups destroyed) falls below both
   bars, so the test can fail.
2. A generated cafe and a subscription shop, built in a copy of the project:
   proposals in segments/proposed/ are not read by the build (.dbtignore), and a
   proposal moved into segments/ passes the spec validation and builds with the
   size its header states.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import adjusted_rand_score

from segmart.cli import main
from segmart.dbt import run_dbt
from segmart.discover import discover
from segmart.generate import generate
from tests_py.test_segments import BUILD_SEGMENTS, copy_project

GROUP_SIZE = 400
GROUPS = ("loyal", "lapsed", "new")


def planted_profile(path: Path, shuffle: bool = False) -> dict[str, int]:
    """Write customer_profile with planted groups; return customer_key -> group."""
    rng = np.random.default_rng(5)
    rows, truth = [], {}
    centres = {  # days since last order, orders, margin
        "loyal": (20, 10, 400.0),
        "lapsed": (300, 3, 80.0),
        "new": (25, 1, 15.0),
    }
    for g, group in enumerate(GROUPS):
        days, orders, margin = centres[group]
        for i in range(GROUP_SIZE):
            key = f"{group}_{i:04d}"
            truth[key] = g
            rows.append(
                [
                    key,
                    max(1, int(orders + (rng.integers(-1, 2) if orders > 1 else 0))),
                    max(0, int(rng.normal(days, days * 0.25))),
                    round(float(rng.normal(margin, margin * 0.2)), 2),
                    float(rng.uniform(0, 100)),  # noise
                    int(rng.poisson(3)),  # noise
                    float(rng.uniform(0, 1)),  # noise
                ]
            )
    values = np.array(rows, dtype=object)
    if shuffle:
        for column in range(1, values.shape[1]):
            values[:, column] = rng.permutation(values[:, column])
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            create table customer_profile (
                customer_key varchar, orders_count bigint,
                days_since_last_order bigint, contribution_margin decimal(18, 2),
                engagement_score double, email_opens_90d bigint,
                discount_share double, as_of_date date default date '2024-06-30'
            )
            """
        )
        con.executemany(
            "insert into customer_profile values (?, ?, ?, ?, ?, ?, ?, default)",
            values.tolist(),
        )
        # prospects: no order, never clustered, never matched
        con.execute(
            "insert into customer_profile select 'prospect_' || i, 0, null, 0, "
            "50, 1, null, date '2024-06-30' from range(50) as t(i)"
        )
        # an existing segment that is exactly the loyal group
        con.execute(
            "create table segment_membership as select customer_key, "
            "'planted_loyal' as segment_name from customer_profile "
            "where customer_key like 'loyal_%'"
        )
    return truth


def spec_rule(path: Path) -> str:
    text = path.read_text()
    return re.search(r"\{%- set rule -%\}(.*?)\{%- endset -%\}", text, re.S).group(1)


def best_rule_scores(db: Path, paths: list[Path], truth: dict[str, int]):
    """Per planted group: the best (precision, recall) of any written rule."""
    with duckdb.connect(str(db), read_only=True) as con:
        matched = {
            p.stem: {
                r[0]
                for r in con.execute(
                    f"select customer_key from customer_profile where "
                    f"coalesce(({spec_rule(p)}), false)"
                ).fetchall()
            }
            for p in paths
        }
    scores = {}
    for g, group in enumerate(GROUPS):
        members = {k for k, v in truth.items() if v == g}
        scores[group] = max(
            (
                (
                    len(m & members) / len(m) if m else 0.0,
                    len(m & members) / len(members),
                )
                for m in matched.values()
            ),
            key=lambda pr: min(pr),
        )
    return scores


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("discover")
    out = {}
    for shuffle in (False, True):
        db = root / f"profile_{shuffle}.duckdb"
        truth = planted_profile(db, shuffle)
        found = discover(db, root / f"proposed_{shuffle}", seed=0, segments_dir=root)
        out[shuffle] = (db, truth, found)
    return out


def _ari(truth, found) -> float:
    labels = found.labels()
    keys = sorted(truth)
    return adjusted_rand_score([truth[k] for k in keys], [labels[k] for k in keys])


def test_discover_recovers_planted_groups(planted):
    db, truth, found = planted[False]
    assert found.clustering.k == 3
    assert _ari(truth, found) >= 0.8
    assert not any(k.startswith("prospect_") for k in found.labels())


def test_written_rules_match_planted_groups(planted):
    db, truth, found = planted[False]
    for group, (precision, recall) in best_rule_scores(db, found.paths, truth).items():
        assert precision >= 0.8 and recall >= 0.8, (group, precision, recall)


def test_shuffled_features_fail_the_bars(planted):
    db, truth, found = planted[True]
    assert _ari(truth, found) < 0.8
    scores = best_rule_scores(db, found.paths, truth)
    assert any(min(pr) < 0.8 for pr in scores.values()), scores


def test_header_states_size_and_precision_the_database_gives(planted):
    db, truth, found = planted[False]
    labels = found.labels()
    for proposal, path in zip(found.proposals, found.paths, strict=True):
        members = {k for k, c in labels.items() if c == proposal.cluster}
        with duckdb.connect(str(db), read_only=True) as con:
            matched = {
                r[0]
                for r in con.execute(
                    f"select customer_key from customer_profile "
                    f"where coalesce(({spec_rule(path)}), false)"
                ).fetchall()
            }
        header = path.read_text().split("-#}")[0]
        assert f"the rule matches {len(matched):,} of 1,250 customers" in header
        precision = len(matched & members) / len(matched)
        recall = len(matched & members) / len(members)
        assert f"precision {precision:.2f}, recall {recall:.2f}" in header


def test_proposal_restating_a_segment_says_so(planted):
    db, truth, found = planted[False]
    flagged = [p for p in found.proposals if p.restates]
    assert [p.restates for p in flagged] == ["planted_loyal"]
    text = (found.paths[found.proposals.index(flagged[0])]).read_text()
    assert "RESTATES segment 'planted_loyal'" in text


def test_rerun_with_the_same_seed_writes_the_same_files(planted, tmp_path):
    db, truth, found = planted[False]
    again = discover(db, tmp_path / "again", seed=0, segments_dir=tmp_path)
    assert [p.read_text() for p in again.paths] == [p.read_text() for p in found.paths]


def test_cli_discover_with_a_given_k(planted, tmp_path):
    db, truth, found = planted[False]
    out = tmp_path / "segments" / "proposed"
    result = CliRunner().invoke(
        main, ["discover", "--db", str(db), "--k", "2", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "k=2 (k-means, k=2 given)" in result.output
    assert len(list(out.glob("*.sql"))) == 2
    bad = CliRunner().invoke(main, ["discover", "--db", str(db), "--k", "one"])
    assert bad.exit_code != 0 and "neither a whole number" in bad.output


# --- proposals and the build ---------------------------------------------------


@pytest.fixture(scope="module", params=["cafe", "subscription"])
def shop(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"discover_{request.param}")
    project = copy_project(root / "project")
    raw = root / "raw"
    generate(out_dir=raw, customers=600, seed=3, shape=request.param, progress=False)
    db = root / "shop.duckdb"

    def dbt(args, name):
        return run_dbt(
            args,
            project_dir=project,
            db_path=db,
            raw_dir=raw,
            target_path=root / f"target_{name}",
        )

    built = dbt(BUILD_SEGMENTS, "build")
    assert built.success, built.output[-3000:]
    found = discover(
        db, project / "segments" / "proposed", seed=0, segments_dir=project / "segments"
    )
    ignored = dbt(["run", "--select", "int_segment_candidates"], "ignored")
    with duckdb.connect(str(db), read_only=True) as con:
        names_ignored = {
            r[0]
            for r in con.execute(
                "select distinct segment_name from intermediate.int_segment_candidates"
            ).fetchall()
        }
    moved = found.proposals[0]
    shutil.move(
        project / "segments" / "proposed" / f"{moved.name}.sql",
        project / "segments" / f"{moved.name}.sql",
    )
    adopted = dbt(["run", "--select", "int_segment_candidates"], "adopted")
    with duckdb.connect(str(db), read_only=True) as con:
        adopted_size = con.execute(
            "select count(*) from intermediate.int_segment_candidates "
            "where segment_name = ?",
            [moved.name],
        ).fetchone()[0]
    return found, ignored, names_ignored, moved, adopted, adopted_size


def test_build_does_not_read_proposed_specs(shop):
    found, ignored, names, *_ = shop
    assert ignored.success, ignored.output[-3000:]
    assert found.proposals
    assert not names & {p.name for p in found.proposals}


def test_moved_proposal_passes_validation_and_builds_its_stated_size(shop):
    found, _, _, moved, adopted, size = shop
    assert adopted.success, adopted.output[-3000:]
    assert size == moved.matched


def test_report_section_lists_the_proposals(planted, tmp_path):
    from segmart.report.page import _proposed_table

    db, truth, found = planted[False]
    section = _proposed_table(found.paths[0].parent)
    assert section.count("<tr><td>proposed_") == len(found.proposals) == 3
    assert "restates planted_loyal" in section
    assert _proposed_table(tmp_path) == ""


def test_explain_shows_scores_and_matched_proposals(planted, tmp_path):
    from segmart.library import explain

    db, truth, found = planted[False]
    copy = tmp_path / "explain.duckdb"
    shutil.copy(db, copy)
    scores = tmp_path / "scores.parquet"
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "create table customer_segment as select 'loyal_0001' as customer_key, "
            "'planted_loyal' as primary_segment, 10 as primary_segment_priority"
        )
        con.execute(
            "alter table segment_membership add column priority integer default 10"
        )
        con.execute("alter table segment_membership add column is_primary boolean")
        con.execute("alter table segment_membership add column match_reason varchar")
        con.execute(
            f"copy (select 'loyal_0001' as customer_key, 'orders_again_30d' as "
            f"target, 0.875 as score, 0.91 as holdout_auc, date '2024-06-30' as "
            f"as_of_date) to '{scores}' (format parquet)"
        )
        text = explain(
            con, "loyal_0001", "x@example.com", found.paths[0].parent, scores
        )
        expected = [
            p.stem
            for p in found.paths
            if con.execute(
                f"select coalesce(({spec_rule(p)}), false) from customer_profile "
                "where customer_key = 'loyal_0001'"
            ).fetchone()[0]
        ]
    assert expected, "the loyal customer matches a proposal"
    assert f"proposed segments matched ({len(expected)}" in text
    for name in expected:
        assert f"    {name}: " in text
    assert "orders_again_30d                0.875" in text
