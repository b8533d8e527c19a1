"""The segment library: adding a spec is one edit, broken specs fail the build with
a message naming them, QA tests fire, and customer_segment has one row per customer.

Builds are expensive (10-30 s each), so one module-scoped scenario runs them in a
temporary copy of the project and the tests assert on its results:

1. build of the segment marts and everything upstream on the hand fixture with one
   new spec file (`zz_everyone`, review_by passed): green, with a warning naming
   the spec;
2. the same build again with as_of a month later and a spec whose share breaks an
   `error` expected_share, QA judged from 1 customer: the size history gives the
   previous build, and the QA tests fail naming the segments;
3. `dbt run --select int_segment_candidates` with a rule that does not compile and
   rules that use unknown columns: fails when the model is compiled;
4. `dbt parse` with specs that break every parse-time check: fails at parse.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from segmart.contract import PROJECT_DIR
from segmart.dbt import DbtRun, run_dbt
from segmart.segments import qa_page
from tests_py import identity

HAND = Path(__file__).parent / "fixtures" / "raw" / "hand"
SPECS = Path(__file__).parent / "fixtures" / "segments"
SKIP_AT_ROOT = {
    ".venv",
    ".git",
    "target",
    "logs",
    "data",
    ".pytest_cache",
    ".pg",
    ".spark",
}
# The segment marts, everything they read and every test of only those: the
# marts downstream (audiences, history) are not needed to see a new segment.
BUILD_SEGMENTS = [
    "build",
    "--select",
    "+path:models/marts/segments",
    "--indirect-selection",
    "cautious",
]


def copy_project(dest: Path) -> Path:
    """Copy the project (no venv, builds, databases or raw data) to `dest`."""

    def ignore(directory: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n.endswith((".duckdb", ".duckdb.wal"))}
        skipped |= {n for n in names if n == "__pycache__"}
        if Path(directory).resolve() == PROJECT_DIR.resolve():
            skipped |= SKIP_AT_ROOT & set(names)
        return skipped

    shutil.copytree(PROJECT_DIR, dest, ignore=ignore)
    return dest


def add_spec(project: Path, fixture_name: str) -> None:
    """Put one spec file of tests_py/fixtures/segments into the copy's segments/."""
    shutil.copy(SPECS / fixture_name, project / "segments" / fixture_name)


def spec_files() -> list[str]:
    return sorted(p.stem for p in (PROJECT_DIR / "segments").glob("*.sql"))


@dataclass
class Scenario:
    project: Path
    db_path: Path
    added: DbtRun
    rebuilt: DbtRun
    compile_errors: DbtRun
    parse_errors: DbtRun
    analysis: DbtRun
    library_before: dict[str, int]

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("segments")
    project = copy_project(root / "project")
    db_path = root / "segments.duckdb"

    def dbt(args: list[str], name: str, dbt_vars: dict | None = None) -> DbtRun:
        return run_dbt(
            args,
            project_dir=project,
            db_path=db_path,
            raw_dir=HAND,
            dbt_vars=dbt_vars,
            target_path=root / f"target_{name}",
        )

    # 1. one new spec file, nothing else
    add_spec(project, "zz_everyone.sql")
    # its review_by passed long ago: a long grace keeps it activated in this
    # module (tests_py/test_segment_qa.py blocks a stale spec)
    added = dbt(BUILD_SEGMENTS, "added", {"segment_review_grace_days": 100000})
    with duckdb.connect(str(db_path), read_only=True) as con:
        library_before = dict(
            con.execute(
                "select segment_name, customers_count from main.segment_library"
            ).fetchall()
        )
    analysis = dbt(
        ["compile", "--select", "segment_qa", "--vars", "{segment: zz_everyone}"],
        "analysis",
    )

    # 2. a later as_of, and a spec whose share breaks an 'error' expected_share
    add_spec(project, "zz_too_big.sql")
    rebuilt = dbt(
        BUILD_SEGMENTS,
        "rebuilt",
        {
            "as_of": "2024-07-31",
            "segment_qa_min_customers": 1,
            "segment_qa_strict": True,
            "segment_review_grace_days": 100000,
        },
    )
    (project / "segments" / "zz_too_big.sql").unlink()

    # 3. rules that parse as Jinja but not as SQL over customer_profile
    add_spec(project, "zz_bad_sql.sql")
    add_spec(project, "zz_unknown_column.sql")
    compile_errors = dbt(["run", "--select", "int_segment_candidates"], "compile")
    for name in ("zz_bad_sql.sql", "zz_unknown_column.sql"):
        (project / "segments" / name).unlink()

    # 4. specs that break every parse-time check
    for path in sorted(SPECS.glob("zz_parse_*.sql")):
        add_spec(project, path.name)
    parse_errors = dbt(["parse"], "parse")

    return Scenario(
        project,
        db_path,
        added,
        rebuilt,
        compile_errors,
        parse_errors,
        analysis,
        library_before,
    )


# --- adding a segment is one edit ---------------------------------------------


def test_added_spec_builds_green_and_warns_that_review_by_passed(scenario):
    run = scenario.added
    assert run.success, run.output[-3000:]
    assert "segment 'zz_everyone' (segments/zz_everyone.sql): review_by 2020-01-01" in (
        run.output
    )
    assert run.status_of("test.segmart.segment_review_overdue") == ["warn"]


def test_added_spec_appears_in_every_mart(scenario):
    q = scenario.query
    library = q(
        "select priority, customers_count, is_review_overdue, owner, channels "
        "from main.segment_library where segment_name = 'zz_everyone'"
    )
    assert library == [(5, 3, True, "qa@example.com", "dashboard,email")]
    # every hand customer has an order: all three are members, and priority 5
    # beats every starter spec, so it is everybody's primary segment
    members = q(
        "select count(*), bool_and(is_primary) from main.segment_membership "
        "where segment_name = 'zz_everyone'"
    )
    assert members == [(3, True)]
    primaries = q("select distinct primary_segment from main.customer_segment")
    assert primaries == [("zz_everyone",)]
    others = len(spec_files())
    overlap = q(
        "select count(*) from main.segment_overlap "
        "where segment_a = 'zz_everyone' or segment_b = 'zz_everyone'"
    )
    assert overlap == [(2 * others,)]


def test_match_reason_shows_the_values_the_rule_used(scenario):
    reasons = scenario.query(
        "select match_reason from main.segment_membership "
        "where segment_name = 'zz_everyone'"
    )
    assert reasons and all(
        r[0].startswith("orders_count=") and ", lifecycle_stage=" in r[0]
        for r in reasons
    )


def test_library_has_one_row_per_spec_file(hand):
    names = [r[0] for r in hand.query("select segment_name from main.segment_library")]
    assert sorted(names) == spec_files()


# --- the size history and QA tests -------------------------------------------


def test_library_shows_the_size_at_the_previous_build(scenario):
    assert scenario.rebuilt.returncode != 0  # the QA errors below
    rows = scenario.query(
        "select segment_name, previous_customers_count, previous_as_of_date, "
        "customers_count_change, customers_count from main.segment_library"
    )
    assert rows
    for name, previous, previous_as_of, change, size in rows:
        if name == "zz_too_big":  # new in this build: no previous size
            assert (previous, previous_as_of, change) == (None, None, None)
            continue
        assert previous == scenario.library_before[name], name
        assert str(previous_as_of) == "2024-06-30"
        assert change == size - previous


def test_share_outside_an_error_expected_share_fails_a_strict_build(scenario):
    run = scenario.rebuilt
    assert not run.success
    assert run.status_of("test.segmart.segment_qa_failed") == ["fail"]
    assert (
        "segment 'zz_too_big' is not activated: holds 3 of 3 customers, outside its "
        "expected_share [0.0, 0.5]" in run.output
    )
    library = dict(
        scenario.query(
            "select segment_name, activation_blocked_reason from main.segment_library "
            "where segment_name in ('zz_too_big', 'zz_everyone')"
        )
    )
    # zz_everyone breaks only a `warn` share: activated all the same
    assert library == {
        "zz_too_big": "holds 3 of 3 customers, outside its expected_share [0.0, 0.5]",
        "zz_everyone": None,
    }


def test_share_outside_a_warn_expected_share_warns(scenario):
    run = scenario.rebuilt
    assert run.status_of("test.segmart.segment_share_within_expected_warn") == ["warn"]
    assert "segment 'zz_everyone' holds 3 of 3 customers" in run.output


def test_empty_segment_is_not_activated_unless_allowed(scenario):
    run = scenario.rebuilt
    empty = scenario.query(
        "select segment_name, allow_empty, is_activated, activation_blocked_reason "
        "from main.segment_library where customers_count = 0"
    )
    assert any(not allow_empty for _, allow_empty, *_ in empty)
    for name, allow_empty, activated, reason in empty:
        named = f"segment '{name}' is not activated: is empty" in run.output
        assert named is (not allow_empty), name
        assert activated is allow_empty, name
        if not allow_empty:
            assert reason == "is empty (allow_empty is false)", name


def test_qa_page_shows_size_members_exclusions_overlap_and_margin(scenario):
    page = qa_page(scenario.db_path, "champions")
    for part in (
        "segment champions",
        "size: ",
        "expected",
        "margin profile: average contribution margin",
        "top 10 included",
        "top 10 just excluded",
        "overlap (other segment",
        "zz_everyone",
    ):
        assert part in page, part
    with pytest.raises(KeyError, match="no segment 'nope'"):
        qa_page(scenario.db_path, "nope")


def test_qa_analysis_compiles_and_runs(scenario):
    assert scenario.analysis.success, scenario.analysis.output[-3000:]
    target = scenario.project.parent / "target_analysis"
    compiled = next(target.rglob("segment_qa.sql"))
    # the compiled SQL names the database it was compiled against (the profile's
    # file, under conftest's dbt_home a fixed name): attach the file under it
    manifest = json.loads((target / "manifest.json").read_text())
    database = next(
        node["database"]
        for node in manifest["nodes"].values()
        if node["name"] == "segment_qa"
    )
    with duckdb.connect() as con:
        con.execute(f"attach '{scenario.db_path}' as \"{database}\" (read_only)")
        rows = con.execute(compiled.read_text()).fetchall()
    sections = {r[0] for r in rows}
    assert {"size", "margin profile", "top included", "overlap"} <= sections
    assert all(r[2] for r in rows if r[0] == "top included")


# --- broken specs fail the build, naming the spec -------------------------------


@pytest.mark.parametrize(
    "message",
    [
        # the rule is not valid SQL
        "segment 'zz_bad_sql' (segments/zz_bad_sql.sql): the rule does not compile:",
        # a function that does not exist (bound against customer_profile)
        "segment 'zz_bad_sql' (segments/zz_bad_sql.sql): the exclusions do not "
        "compile: Scalar Function with name no_such_function does not exist",
        "segment 'zz_unknown_column' (segments/zz_unknown_column.sql): unknown "
        "column 'order_count' in the rule",
        "segment 'zz_unknown_column' (segments/zz_unknown_column.sql): unknown "
        "column 'loyalty_tier' in the exclusions",
    ],
)
def test_rule_that_does_not_compile_fails_the_build(scenario, message):
    run = scenario.compile_errors
    assert not run.success
    assert run.status_of("model.segmart.int_segment_candidates") == ["error"]
    assert message in run.output


def test_unknown_column_check_ignores_literals_functions_and_keywords(scenario):
    output = scenario.compile_errors.output
    # zz_unknown_column also has words in string literals and a comment, a function
    # call and keywords (interval, day, is, null): only real columns count
    words = ["in_a_literal", "gold", "in_a_comment", "lower", "interval", "day"]
    for word in [*words, "null", "lifecycle_stage", "as_of_date", "rfm_group"]:
        assert f"unknown column '{word}'" not in output


@pytest.mark.parametrize(
    "message",
    [
        "segment 'zz_parse_missing' (segments/zz_parse_missing.sql): required field "
        "'purpose' is missing",
        "segment 'zz_parse_missing' (segments/zz_parse_missing.sql): required field "
        "'owner' is missing",
        "segment 'zz_parse_duplicate' (segments/zz_parse_duplicate.sql): priority 10 "
        "is already used by segment 'champions'",
        "segment 'zz_parse_share' (segments/zz_parse_share.sql): expected_share must "
        "be [min, max] with 0 <= min <= max <= 1",
        "segment 'zz_parse_share_order' (segments/zz_parse_share_order.sql): "
        "expected_share must be [min, max]",
        "segment 'zz_parse_refresh' (segments/zz_parse_refresh.sql): refresh 'hourly' "
        "is not one of real_time, daily, weekly, campaign",
        "segment 'zz_parse_refresh' (segments/zz_parse_refresh.sql): channel 'fax' is "
        "not one of email, sms, paid_social, sales, service, dashboard",
        "segment 'zz_parse_name' (segments/zz_parse_name.sql): name 'zz_other' differs "
        "from the macro name segment_spec__zz_parse_name",
        "segment 'zz_parse_name' (segments/zz_parse_name.sql): review_by must be a "
        "date written 'YYYY-MM-DD', got '2027-02-30'",
        "segment 'zz_parse_name' (segments/zz_parse_name.sql): the rule reads the "
        "wall clock (current_date)",
        "segments/zz_parse_name.sql defines macro 'zz_parse_helper', which is not a "
        "segment spec",
    ],
)
def test_broken_spec_fails_at_parse_naming_spec_and_problem(scenario, message):
    run = scenario.parse_errors
    assert not run.success
    assert "problem(s) in the segment specs" in run.output
    assert message in run.output


def test_valid_specs_are_not_reported(scenario):
    output = scenario.parse_errors.output + scenario.compile_errors.output
    for name in spec_files():
        assert f"segment '{name}' (" not in output, name


# --- one row per customer --------------------------------------------------------


@pytest.mark.parametrize("fixture", ["hand", "generated"])
def test_customer_segment_has_one_row_per_customer(request, fixture):
    build = request.getfixturevalue(fixture)
    profile = build.query("select customer_key from main.customer_profile")
    segments = build.query("select customer_key from main.customer_segment")
    assert len(profile) > 0
    assert sorted(segments) == sorted(profile)
    assert (
        build.scalar(
            "select count(*) from main.customer_segment where primary_segment is null"
        )
        == 0
    )


def test_primary_segment_is_the_lowest_priority_membership(generated):
    mismatches = generated.query(
        """
        with lowest as (
            select customer_key, arg_min(segment_name, priority) as segment_name
            from main.segment_membership
            where segment_name in (
                select segment_name from main.segment_library where is_activated
            )
            group by customer_key
        )
        select customer_segment.customer_key
        from main.customer_segment
        left join lowest using (customer_key)
        where customer_segment.primary_segment
            <> coalesce(lowest.segment_name, 'unsegmented')
        """
    )
    assert mismatches == []


def test_library_flags_agree_with_sizes(generated):
    rows = generated.query(
        "select segment_name, customers_count, share_of_customers, customers_total, "
        "expected_share_min, expected_share_max, is_share_within_expected "
        "from main.segment_library"
    )
    assert len(rows) == len(spec_files())
    for name, size, share, total, low, high, within in rows:
        assert share == pytest.approx(size / total), name
        assert within is (low <= share <= high), name
    members = generated.scalar("select count(*) from main.segment_membership")
    assert sum(r[1] for r in rows) == members


def test_shop_relative_segments_on_the_hand_fixture(hand):
    # as_of 2024-06-30; no products file, so margin = net revenue: Cat 40, Ann
    # 90 + 50 + 30 = 170, Bob 180. Percentiles (rank - 1) / 2: Cat 0, Ann 0.5,
    # Bob 1.0. Ann: 3 order days, gaps 60 and 61 -> her cycle 60.5, 51 days since
    # -> 0.843 cycles; orders a year 3 x 365.25 / 172 = 6.37 (Cat 365.25 / 60.5,
    # the shop's cycle = 6.04; Bob 365.25 / 150 = 2.44) -> percentile 1.0: loyal.
    # Bob has the top margin but one order day, Ann is not in the top fifth: no
    # champion.
    rows = hand.query(
        "select segment_name, match_reason from main.segment_membership "
        "where customer_key = ?",
        [identity.key("ann@example.com")],
    )
    assert dict(rows)["loyal"] == (
        "order_days_count=3, purchase_cycles_since_last_order=0.843, "
        "order_frequency_percentile=1.0, contribution_margin=170.00"
    )
    champions = hand.scalar(
        "select count(*) from main.segment_membership where segment_name = 'champions'"
    )
    assert champions == 0
