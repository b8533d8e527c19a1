"""An incremental build cannot drift from a full one (issue #21, item 6).

Two things an incremental run of the base models used to miss, each compared
with a full build of the same exports into a fresh database:
  - day 2: lines edited in place long before the lookback window (an order and
    an engagement event 30 days before the newest, and an order line, which has
    no date at all): landing lists the lines it replaced, and the base models
    parse them again;
  - day 3: a changed parsing var (local_timestamp_format) with the same exports:
    the base models' parsing fingerprint differs, so they parse every line again
    and the build log says why.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from segmart.dbt import run_dbt
from tests_py.conftest import build
from tests_py.test_incremental import (
    BASE_TABLES,
    fields,
    iso,
    joined,
    read_lines,
    write_lines,
)

COMPARED = [*BASE_TABLES, "main.customer_profile"]
# Day 1 writes a few old orders in the shop's local format, day-first or
# month-first: 05/06/2026 is 5 June or 6 May. Day 3 reads it the other way.
LOCAL_ORDERED_AT = "05/06/2026 10:00"
DAY3_VARS = {"local_timestamp_format": "%d/%m/%Y %H:%M"}
DEEP_DAYS = 30


def line_30_days_back(lines: list[str], at_column, unique_column: int) -> int:
    """The index of the newest line dated at least 30 days (ten times the
    lookback) before the newest, whose key occurs once (so the edit changes what
    is staged)."""
    end = datetime(2026, 7, 1)  # the generator's last day; later ones are defects
    dated = [(i, at_column(line)) for i, line in enumerate(lines)]
    newest = max(t for _, t in dated if t is not None and t < end)
    keys = [fields(line)[unique_column] for line in lines]
    seen = Counter(keys)
    return max(
        (
            (t, i)
            for i, t in dated
            if t is not None
            and t <= newest - timedelta(days=DEEP_DAYS)
            and seen[keys[i]] == 1
        ),
    )[1]


def make_days(source: Path, root: Path) -> tuple[Path, Path, dict]:
    day1, day2 = root / "day1", root / "day2"
    shutil.copytree(source, day1)
    edits: dict = {}

    # orders: three old orders in the local format (read again on day 3), and
    # on day 2 an order 30 days back cancelled in place
    header, lines = read_lines(source / "orders.csv")
    at = {name: i for i, name in enumerate(fields(header))}

    def order_at(line: str) -> datetime | None:
        row = fields(line)
        return iso(row[at["updated_at"]]) or iso(row[at["ordered_at"]])

    for i in (10, 11, 12):  # _raw_row 11 to 13
        row = fields(lines[i])
        row[at["ordered_at"]], row[at["updated_at"]] = LOCAL_ORDERED_AT, ""
        lines[i] = joined(row)
    write_lines(day1 / "orders.csv", header, lines)
    deep = line_30_days_back(lines, order_at, at["order_id"])
    row = fields(lines[deep])
    row[at["status"]] = "cancelled" if row[at["status"]] != "cancelled" else "pending"
    edits["order"] = (row[at["order_id"]], row[at["status"]], order_at(lines[deep]))
    day2_orders = [*lines]
    day2_orders[deep] = joined(row)

    # engagement events: an event 30 days back becomes a bounce
    events_header, events = read_lines(source / "engagement_events.csv")
    deep_event = line_30_days_back(events, lambda line: iso(fields(line)[5]), 0)
    row = fields(events[deep_event])
    row[3] = "bounced" if row[3] != "bounced" else "opened"
    edits["event"] = (row[0], row[3])
    day2_events = [*events]
    day2_events[deep_event] = joined(row)

    # order lines carry no date: a line in the middle of the file gets another
    # quantity
    lines_header, order_lines = read_lines(source / "order_lines.csv")
    middle = len(order_lines) // 2
    row = fields(order_lines[middle])
    row[3] = str(int(float(row[3] or 1)) + 2)
    edits["order_line"] = (row[0], row[1], int(row[3]))
    day2_lines = [*order_lines]
    day2_lines[middle] = joined(row)

    shutil.copytree(day1, day2)
    write_lines(day2 / "orders.csv", header, day2_orders)
    write_lines(day2 / "engagement_events.csv", events_header, day2_events)
    write_lines(day2 / "order_lines.csv", lines_header, day2_lines)
    return day1, day2, edits


@pytest.fixture(scope="module")
def drift(tmp_path_factory, generated_raw):
    """One database built on day 1 and refreshed on day 2 (deep edits) and day 3
    (a parsing var changed); full builds of days 2 and 3 in fresh databases."""
    root = tmp_path_factory.mktemp("drift")
    day1, day2, edits = make_days(generated_raw, root)
    live = root / "exports"
    shutil.copytree(day1, live)
    first = build(root, "kept", live)
    assert first.result.success, first.result.output[-3000:]
    results: dict = {"edits": edits}
    for day, dbt_vars in (("day2", None), ("day3", DAY3_VARS)):
        shutil.copytree(day2, live, dirs_exist_ok=True)
        refreshed = build(root, "kept", live, dbt_vars=dbt_vars)
        assert refreshed.result.success, refreshed.result.output[-3000:]
        snapshot = root / f"refreshed_{day}.duckdb"
        shutil.copy(refreshed.db_path, snapshot)
        full = build(root, f"full_{day}", live, dbt_vars=dbt_vars)
        assert full.result.success, full.result.output[-3000:]
        results[day] = (snapshot, full.db_path, refreshed.result.output)
    results["live"], results["root"] = live, root
    return results


def differences(refreshed: Path, full: Path, name: str) -> tuple[int, int]:
    """Rows of `name` only in the refreshed database, and only in the full one
    (EXCEPT ALL both ways)."""
    with duckdb.connect(str(refreshed), read_only=True) as con:
        con.execute(f"attach '{full}' as full_build (read_only)")
        catalog = con.execute("select current_database()").fetchone()[0]
        mine = f"{catalog}.{name}"
        other = f"full_build.{name}"
        only_mine = con.execute(
            f"select count(*) from (from {mine} except all from {other})"
        ).fetchone()[0]
        only_full = con.execute(
            f"select count(*) from (from {other} except all from {mine})"
        ).fetchone()[0]
    return only_mine, only_full


@pytest.mark.parametrize("day", ["day2", "day3"])
@pytest.mark.parametrize("name", COMPARED)
def test_refresh_equals_a_full_build(drift, day, name):
    refreshed, full, _ = drift[day]
    assert differences(refreshed, full, name) == (0, 0)


def test_the_deep_edits_reached_the_full_build(drift):
    """The comparison can fail: the full build of day 2 holds the edits, which
    are older than the lookback window."""
    _, full, _ = drift["day2"]
    edits = drift["edits"]
    order_id, status, changed_at = edits["order"]
    event_id, event_type = edits["event"]
    order_id_of_line, line_id, quantity = edits["order_line"]
    with duckdb.connect(str(full), read_only=True) as con:
        newest = con.execute(
            "select max(coalesce(updated_at, ordered_at)) from "
            "staging.base_shop__orders where quarantine_reason is null"
        ).fetchone()[0]
        assert newest - changed_at >= timedelta(days=DEEP_DAYS)
        assert con.execute(
            "select status from staging.stg_shop__orders where order_id = ?",
            [order_id],
        ).fetchall() == [(status,)]
        assert con.execute(
            "select event_type from staging.base_shop__engagement_events "
            "where event_id = ? and row_status = 'staged'",
            [event_id],
        ).fetchall() == [(event_type,)]
        assert con.execute(
            "select quantity from staging.base_shop__order_lines "
            "where order_id = ? and line_id = ? and row_status = 'staged'",
            [order_id_of_line, line_id],
        ).fetchall() == [(quantity,)]


def test_the_var_changed_what_old_lines_parse_to(drift):
    """The comparison can fail: day 3's var reads the old local-format orders as
    5 June instead of 6 May (lines far outside the lookback)."""
    months = {}
    for day in ("day2", "day3"):
        _, full, _ = drift[day]
        with duckdb.connect(str(full), read_only=True) as con:
            months[day] = con.execute(
                "select distinct month(ordered_at), day(ordered_at) "
                "from staging.base_shop__orders where _raw_row in (11, 12, 13)"
            ).fetchall()
    assert months == {"day2": [(5, 6)], "day3": [(6, 5)]}


def test_the_build_says_why_it_parses_every_line_again(drift):
    """Day 3 names the var that changed, with its values, for each base model;
    day 2 (same vars, same code) re-parses nothing in full."""
    *_, day2_output = drift["day2"]
    *_, day3_output = drift["day3"]
    assert "re-parsing every line" not in day2_output
    for model in ("base_shop__orders", "base_shop__order_lines"):
        said = (
            f"segmart: {model}: parsing vars changed: local_timestamp_format "
            '"%m/%d/%Y %H:%M" -> "%d/%m/%Y %H:%M"; re-parsing every line'
        )
        assert said in day3_output, model


def test_a_changed_enum_seed_parses_every_line_again(drift, tmp_path):
    """The enum_values seed as built is part of the fingerprint: a spelling
    added to the seed table re-parses the models that map enums with it."""
    db_path = tmp_path / "seeded.duckdb"
    shutil.copy(drift["day3"][0], db_path)
    with duckdb.connect(str(db_path)) as con:
        schema = con.execute(
            "select table_schema from information_schema.tables "
            "where table_name = 'enum_values'"
        ).fetchone()[0]
        con.execute(
            f"insert into {schema}.enum_values "
            "values ('event_type', 'bounce_noted_by_hand', 'bounced')"
        )
    run = run_dbt(
        ["run", "--select", "base_shop__engagement_events", "base_shop__order_lines"],
        db_path=db_path,
        raw_dir=drift["live"],
        dbt_vars=DAY3_VARS,
        target_path=tmp_path / "target",
    )
    assert run.success, run.output[-3000:]
    assert (
        "segmart: base_shop__engagement_events: the enum_values seed changed; "
        "re-parsing every line"
    ) in run.output
    # order lines map no enum: nothing to parse again
    assert "base_shop__order_lines: " not in run.output
