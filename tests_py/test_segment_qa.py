"""QA blocks only what failed: a segment that fails QA is not activated, and every
other segment still ships (audiences, change feed); strict mode fails the build.

A copy of the project with two extra specs that fail QA, built on the small
generated data set (400 customers) as of 2026-03-31 and then as of its newest
data, without strictness (the default):
- `zz_forced_empty` matches nobody and may not be empty;
- `zz_every_buyer` matches every buyer at priority 0 (above every starter spec)
  against an `error` expected share of at most 1%;
- `zz_stale_review` is fine but for its review_by, years past (more than
  `segment_review_grace_days`, 90).
Then the latest build again with `segment_qa_strict: true`, which must fail and
name both segments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from segmart.dbt import DbtRun, run_dbt
from tests_py.conftest import Build
from tests_py.test_segments import add_spec, copy_project

BLOCKED = {"zz_forced_empty", "zz_every_buyer", "zz_stale_review"}


@dataclass
class Gated:
    build: Build
    strict: DbtRun
    audience_files: list[Path]
    feed: Path | None


@pytest.fixture(scope="module")
def gated(tmp_path_factory, generated_raw) -> Gated:
    from segmart.run import export_audiences, write_change_feed

    root = tmp_path_factory.mktemp("segment_qa")
    project = copy_project(root / "project")
    for name in BLOCKED:
        add_spec(project, f"{name}.sql")
    db_path = root / "gated.duckdb"
    result = None
    for as_of in ("2026-03-31", None):
        result = run_dbt(
            ["build", "--exclude-resource-type", "unit_test"],
            project_dir=project,
            db_path=db_path,
            raw_dir=generated_raw,
            dbt_vars={"as_of": as_of} if as_of else None,
            target_path=root / "target",
        )
        assert result.success, result.output[-3000:]
    build = Build(db_path, result, generated_raw)
    files = export_audiences(db_path, root / "audiences")
    feed = write_change_feed(db_path, root / "changes")
    strict = run_dbt(
        [
            "build",
            "--select",
            "int_segment_activation+",
            "--exclude-resource-type",
            "unit_test",
        ],
        project_dir=project,
        db_path=db_path,
        raw_dir=generated_raw,
        dbt_vars={"segment_qa_strict": True},
        target_path=root / "target_strict",
    )
    return Gated(build, strict, files, feed)


def test_failed_segments_are_not_activated_and_say_why(gated):
    rows = gated.build.query(
        "select segment_name, customers_count, customers_total, "
        "activation_blocked_reason from main.segment_library where not is_activated"
    )
    blocked = {name: (size, total, reason) for name, size, total, reason in rows}
    assert set(blocked) == BLOCKED
    size, total, reason = blocked["zz_every_buyer"]
    buyers = gated.build.scalar(
        "select count(*) from main.customer_profile where orders_count >= 1"
    )
    assert size == buyers > 0.01 * total
    assert reason == (
        f"holds {buyers} of {total} customers, outside its expected_share [0.0, 0.01]"
    )
    assert blocked["zz_forced_empty"][2] == "is empty (allow_empty is false)"
    assert blocked["zz_stale_review"][2] == (
        "review_by 2020-01-01 passed more than 90 days ago"
    )


def test_a_failed_segment_takes_nobody_from_the_others(gated):
    q = gated.build.query
    # every buyer is a member of zz_every_buyer, but it is nobody's primary segment
    assert q(
        "select count(*) from main.segment_membership "
        "where segment_name = 'zz_every_buyer' and is_primary"
    ) == [(0,)]
    assert q(
        "select count(*) from main.customer_segment where primary_segment like 'zz_%'"
    ) == [(0,)]
    primaries = {
        r[0] for r in q("select distinct primary_segment from main.customer_segment")
    }
    assert {"champions", "loyal", "lost"} <= primaries


def test_other_segments_still_get_audiences_and_files(gated):
    in_audiences = {
        r[0]
        for r in gated.build.query(
            "select distinct segment_name from activation.audience_members"
        )
    }
    activated = {
        r[0]
        for r in gated.build.query(
            "select segment_name from main.segment_library where is_activated"
        )
    }
    assert not in_audiences & BLOCKED
    assert len(in_audiences) >= 5 and in_audiences <= activated
    written = {path.stem.split("__")[0] for path in gated.audience_files}
    assert written == in_audiences


def test_no_change_is_recorded_or_sent_for_a_failed_segment(gated):
    changed = dict(
        gated.build.query(
            "select segment_name, count(*) from main.customer_segment_changes "
            "where as_of_date = (select max(as_of_date) "
            "from main.customer_segment_changes) group by 1"
        )
    )
    assert not set(changed) & BLOCKED
    assert len(changed) >= 5
    # the members of zz_every_buyer did enter it (it matched at both dates, and
    # new buyers joined): only the gate keeps them out of the feed
    assert (
        gated.build.scalar(
            "select count(*) from main.segment_membership_history "
            "where segment_name = 'zz_every_buyer' and as_of_date = "
            "(select max(as_of_date) from main.segment_membership_history)"
        )
        > 0
    )
    assert gated.feed is not None
    with gated.feed.open() as handle:
        segments = {json.loads(line)["segment_name"] for line in handle}
    assert segments and not segments & BLOCKED


def test_strict_mode_fails_the_build_naming_each_failed_segment(gated):
    run = gated.strict
    assert not run.success
    assert run.status_of("test.segmart.segment_qa_failed") == ["fail"]
    assert "segment 'zz_forced_empty' is not activated: is empty" in run.output
    assert "segment 'zz_every_buyer' is not activated: holds" in run.output
    assert "segment 'zz_stale_review' is not activated: review_by" in run.output


def test_default_mode_only_warns(gated):
    assert gated.build.result.status_of("test.segmart.segment_qa_failed") == ["warn"]


def test_segments_summary_and_report_show_the_blocked_segments(gated, capsys):
    from click.testing import CliRunner

    from segmart.cli import main
    from segmart.report import _library_table, _open
    from segmart.summary import print_summary

    db = str(gated.build.db_path)
    listing = CliRunner().invoke(main, ["segments", "--db", db])
    assert listing.exit_code == 0, listing.output
    lines = {line.split()[0]: line for line in listing.output.splitlines()[2:]}
    assert "NOT ACTIVATED: is empty" in lines["zz_forced_empty"]
    assert "NOT ACTIVATED: holds" in lines["zz_every_buyer"]
    assert "NOT ACTIVATED" not in lines["champions"]

    print_summary(gated.build.db_path)
    summary = capsys.readouterr().out
    assert "3 segment(s) failed QA and are not activated" in summary
    assert "  zz_stale_review: review_by 2020-01-01 passed more than 90 days" in summary

    with _open(gated.build.db_path) as reader:
        table = _library_table(reader)
    assert table.count('<td class="blocked">no: ') == 3
    assert "no: is empty (allow_empty is false)" in table


def test_history_keeps_one_primary_row_per_customer(gated):
    """A buyer who matches only segments that failed QA has the fallback as primary
    segment, in customer_segment and in the history alike."""
    q = gated.build.query
    latest = "(select max(as_of_date) from main.segment_membership_history)"
    primary_rows = q(
        "select customer_key, count(*) from main.segment_membership_history "
        f"where is_primary and as_of_date = {latest} group by 1"
    )
    customers = gated.build.scalar("select count(*) from main.customer_profile")
    assert len(primary_rows) == customers
    assert all(n == 1 for _, n in primary_rows)
    only_blocked = gated.build.scalar(
        "select count(*) from main.segment_membership_history "
        f"where as_of_date = {latest} and segment_name = 'unsegmented' "
        "and match_reason = 'matched only segments that failed QA'"
    )
    expected = gated.build.scalar(
        "select count(*) from main.customer_segment "
        "where primary_segment = 'unsegmented' and matched_segments_count > 0"
    )
    assert only_blocked == expected > 0
