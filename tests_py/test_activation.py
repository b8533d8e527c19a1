"""Activation and the learning loop: holdouts, audiences, exports, movement history.

Fixture `profile` built twice into one database, as of 2024-03-31 and then as of
its newest order date 2024-06-30 (see tests_py/test_profile.py for the facts):
  Shop cycle (median of repeat buyers' median gaps): on 03-31 Ann 60 (one gap,
  01-10 -> 03-10) and Bob 91.5 -> 75.75; on 06-30 Ann 60.5, Bob 91.5 -> 76.
  Bob: 3 order days, so his own gap 91.5 is his cycle. 121 days after his last
       order on 03-31 is 1.32 cycles (not late: <= 1.5); 212 days on 06-30 is
       2.317 cycles (> 1.5, <= 4) -> enters at_risk. On 03-31 no spec matched him
       (negative margin, no email opens, no consent) -> from the fallback segment.
  Ann: on 03-31 2 order days (the shop's cycle: 21 / 75.75 = 0.28 cycles), and
       the higher margin of the 2 buyers (percentile 1.0 >= 0.8, 84.50 > 0) ->
       champions (priority 10), also loyal (orders a year above half the buyers);
       on 06-30 her open ticket is negative -> angry_high_value (priority 1).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest

from segmart.dbt import run_dbt
from tests_py.conftest import FIXTURES, NO_UNIT_TESTS, Build
from tests_py.identity import key

FALLBACK = "unsegmented"


ANN, BOB = key("ann@example.com"), key("bob@example.com")


def holdout_group(
    customer_key: str, segment: str, experiment: str = "always_on"
) -> str:
    """The holdout rule, recomputed independently of the SQL macro."""
    digest = hashlib.md5(f"{customer_key}|{segment}|{experiment}".encode()).hexdigest()
    return "control" if int(digest[:8], 16) / 2**32 < 0.1 else "treatment"


def build_dates(root: Path, name: str, raw_dir: Path, dates: list[str | None]) -> Build:
    """Build `raw_dir` once per as_of date (None: the default) into one database."""
    db_path = root / f"{name}.duckdb"
    result = None
    for as_of in dates:
        result = run_dbt(
            ["build", *NO_UNIT_TESTS],
            db_path=db_path,
            raw_dir=raw_dir,
            dbt_vars={"as_of": as_of} if as_of else None,
            target_path=root / f"target_{name}",
        )
        assert result.success, result.output[-3000:]
    return Build(db_path, result, raw_dir)


@pytest.fixture(scope="module")
def profile_history(tmp_path_factory) -> Build:
    root = tmp_path_factory.mktemp("profile_history")
    return build_dates(
        root, "profile_twice", FIXTURES / "raw" / "profile", ["2024-03-31", None]
    )


@pytest.fixture(scope="module")
def generated_twice(history) -> Build:
    """The generated data set built as of 2026-03-31 and then as of its newest
    data (conftest's `history`, shared with the CLI and report tests)."""
    return history


def primary(build: Build, customer_key: str) -> dict[str, str]:
    rows = build.query(
        "select cast(as_of_date as varchar), segment_name "
        "from main.segment_membership_history where is_primary and customer_key = ?",
        [customer_key],
    )
    return dict(rows)


def test_history_keeps_both_dates(profile_history):
    dates = [
        r[0]
        for r in profile_history.query(
            "select distinct cast(as_of_date as varchar) "
            "from main.segment_membership_history order by 1"
        )
    ]
    assert dates == ["2024-03-31", "2024-06-30"]


def test_primary_segments_move_as_worked_out(profile_history):
    assert primary(profile_history, ANN) == {
        "2024-03-31": "champions",
        "2024-06-30": "angry_high_value",
    }
    assert primary(profile_history, BOB) == {
        "2024-03-31": FALLBACK,
        "2024-06-30": "at_risk",
    }


def test_transitions_count_the_moves(profile_history):
    moves = dict(
        ((r[0], r[1]), r[2])
        for r in profile_history.query(
            "select from_segment, to_segment, customers_count "
            "from main.segment_transitions "
            "where from_as_of_date = '2024-03-31' and to_as_of_date = '2024-06-30'"
        )
    )
    assert moves[("champions", "angry_high_value")] == 1  # Ann
    assert moves[(FALLBACK, "at_risk")] == 1  # Bob
    assert (
        moves[("(none)", FALLBACK)] + moves.get(("(none)", "review_candidates"), 0) >= 1
    )


def test_change_names_the_reason_values(profile_history):
    rows = profile_history.query(
        "select change_type, reason from main.customer_segment_changes "
        "where customer_key = ? and segment_name = 'at_risk' "
        "and as_of_date = '2024-06-30'",
        [BOB],
    )
    assert len(rows) == 1
    change_type, reason = rows[0]
    assert change_type == "entered"
    # 212 / 91.5 = 2.3169... cycles, shown to 3 decimals
    assert reason == "order_days_count=3, purchase_cycles_since_last_order=2.317"


def test_holdout_assignment_is_the_hash_and_kept_across_builds(profile_history):
    rows = profile_history.query(
        "select customer_key, segment_name, experiment, holdout_group, "
        "cast(first_assigned_as_of as varchar) from activation.segment_holdouts"
    )
    assert rows
    for customer_key, segment, experiment, group, _ in rows:
        assert group == holdout_group(customer_key, segment, experiment)
    first = {(r[0], r[1]): r[4] for r in rows}
    # assigned on the first build and kept (not re-assigned) on the second
    assert first[(ANN, "loyal")] == "2024-03-31"


def test_holdout_does_not_depend_on_who_else_is_there(profile_history, generated_twice):
    """The same (customer, segment) pair gets the same group in any data set."""
    a = dict(
        ((r[0], r[1]), r[2])
        for r in profile_history.query(
            "select customer_key, segment_name, holdout_group "
            "from activation.segment_holdouts"
        )
    )
    b = dict(
        ((r[0], r[1]), r[2])
        for r in generated_twice.query(
            "select customer_key, segment_name, holdout_group "
            "from activation.segment_holdouts"
        )
    )
    for pair in set(a) & set(b):
        assert a[pair] == b[pair]
    share = sum(g == "control" for g in b.values()) / len(b)
    assert 0.05 < share < 0.15  # 10% held out, on a few thousand assignments


def test_two_as_of_dates_give_non_trivial_transitions(generated_twice):
    moved = generated_twice.scalar(
        "select coalesce(sum(customers_count), 0) from main.segment_transitions "
        "where is_move and from_segment <> '(none)'"
    )
    kinds = generated_twice.scalar(
        "select count(*) from main.segment_transitions where is_move"
    )
    assert moved >= 20 and kinds >= 5


def test_exports_hold_only_contactable_treatment_members(generated_twice, tmp_path):
    from segmart.run import export_audiences

    files = export_audiences(generated_twice.db_path, tmp_path)
    assert files
    profile = {
        r[0]: r[1:]
        for r in generated_twice.query(
            "select customer_key, has_email_consent, is_email_suppressed, "
            "has_sms_consent, is_sms_suppressed from main.customer_profile"
        )
    }
    primary_now = dict(
        generated_twice.query(
            "select customer_key, primary_segment from main.customer_segment"
        )
    )
    erased = {
        key(r[0])
        for r in generated_twice.query(
            "select email from staging.stg_shop__erasure_requests"
        )
    }
    checked = 0
    for path in files:
        segment, channel = path.stem.split("__")
        if channel == "paid_social":
            continue  # hashed file: no plain email to check (tests_py/test_outputs.py)
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                email = row.get("Email") or row.get("email")
                if not email:
                    continue
                customer = key(email)
                email_ok, email_sup, sms_ok, sms_sup = profile[customer]
                assert customer not in erased
                assert primary_now[customer] == segment
                assert holdout_group(customer, segment) == "treatment"
                if channel == "email":
                    assert email_ok and not email_sup
                else:
                    assert sms_ok and not sms_sup
                checked += 1
    assert checked > 0
