"""Incremental refresh = full refresh.

The staging base models of orders, order lines and engagement events are
incremental (macros/incremental.sql). One database is built on day 1, then
refreshed incrementally with day 2's exports (late, updated, duplicated and
edited lines, a quarantined line that becomes valid), then with day 3's (a file
rewritten in another order). After each refresh the base tables and the marts
must equal a full build of the same exports into a fresh database.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from segmart.dbt import run_dbt
from tests_py.conftest import build

INCREMENTAL = ["orders", "order_lines", "engagement_events"]
BASE_TABLES = [f"staging.base_shop__{name}" for name in INCREMENTAL]
MARTS = [
    ("main.customer_profile", "customer_key"),
    ("main.segment_membership", "customer_key, segment_name"),
    ("main.customer_segment", "customer_key"),
]
# Lines held back from day 1 and appended on day 2.
HELD_BACK = 40
# The day-1 build judges 2026-07-02 to be in the future; day 2 does not.
DAY1_VARS = {"max_valid_date": "2026-06-30"}
DAY2_VARS = {"max_valid_date": "2026-07-05"}
SENTINEL = "sentinel-untouched"
LANDED_SENTINEL = datetime(2001, 2, 3, 4, 5, 6)


def read_lines(path: Path) -> tuple[str, list[str]]:
    header, *lines = path.read_text().splitlines()
    return header, lines


def write_lines(path: Path, header: str, lines: list[str]) -> None:
    path.write_text("\n".join([header, *lines]) + "\n")


def fields(line: str) -> list[str]:
    return next(csv.reader([line]))


def joined(values: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


def iso(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


def make_days(source: Path, root: Path) -> tuple[Path, Path, Path, dict]:
    """Day 1, 2 and 3 export folders, and what was changed, for the assertions."""
    day1, day2, day3 = (root / name for name in ("day1", "day2", "day3"))
    for folder in (day1, day2, day3):
        shutil.copytree(source, folder)
    changes: dict = {}

    # engagement events
    header, lines = read_lines(source / "engagement_events.csv")
    first = fields(lines[0])
    late = [*first]
    late[0], late[5] = "late-event-1", "2025-01-15T10:00:00Z"  # a year late
    updated = [*fields(lines[1])]
    updated[5] = "2026-06-29T23:00:00Z"  # a newer version of an existing event
    future = [*first]
    future[0], future[5] = "future-event-1", "2026-07-02T09:00:00Z"
    day1_lines = [*lines[:-HELD_BACK], joined(future)]
    day2_lines = [*day1_lines, *lines[-HELD_BACK:], joined(late), joined(updated)]
    day2_lines.append(lines[2])  # an exact duplicate of an old line
    write_lines(day1 / "engagement_events.csv", header, day1_lines)
    write_lines(day2 / "engagement_events.csv", header, day2_lines)
    write_lines(day3 / "engagement_events.csv", header, day2_lines)
    changes["updated_event"] = updated[0]

    # orders: an order updated by a new line, a recent order edited in place
    header, lines = read_lines(source / "orders.csv")
    names = fields(header)
    at = {name: i for i, name in enumerate(names)}

    def changed_at(line: str) -> datetime | None:
        row = fields(line)
        return iso(row[at["updated_at"]]) or iso(row[at["ordered_at"]])

    end = datetime(2026, 7, 1)  # the generator's last day; later ones are defects
    newest = max(t for t in map(changed_at, lines) if t is not None and t < end)
    seen = Counter(fields(line)[at["order_id"]] for line in lines)
    recent = next(
        i
        for i, line in enumerate(lines[:-HELD_BACK])
        if (t := changed_at(line)) is not None
        and newest - timedelta(days=1) <= t < end
        and seen[fields(line)[at["order_id"]]] == 1
        and fields(line)[at["status"]] != "cancelled"
    )
    edited = fields(lines[recent])
    edited[at["status"]] = "cancelled"
    day1_lines = lines[:-HELD_BACK]
    day2_lines = [*day1_lines, *lines[-HELD_BACK:]]
    day2_lines[recent] = joined(edited)  # changed in place, within the lookback
    new_version = fields(lines[3])
    new_version[at["status"]] = "refunded"
    new_version[at["updated_at"]] = "2026-06-30T12:00:00Z"
    day2_lines += [joined(new_version), lines[4]]  # a new version, a duplicate
    write_lines(day1 / "orders.csv", header, day1_lines)
    write_lines(day2 / "orders.csv", header, day2_lines)
    # day 3: the same orders, rewritten in another order (not appended)
    write_lines(day3 / "orders.csv", header, list(reversed(day2_lines)))
    # and a line the CSV reader cannot read (invalid UTF-8), from day 2 on: its
    # rejection must be recorded once, whether a day lands the changes or the file
    unreadable = b"bad-\xff-order" + b"," * (len(names) - 1) + b"\n"
    for day in (day2, day3):
        with (day / "orders.csv").open("ab") as out:
            out.write(unreadable)
    changes["edited_order"] = edited[at["order_id"]]
    changes["versioned_order"] = new_version[at["order_id"]]

    # order lines: a line with a new quantity further down the file
    header, lines = read_lines(source / "order_lines.csv")
    requantified = fields(lines[5])
    requantified[3] = str(int(float(requantified[3] or 1)) + 2)
    day1_lines = lines[:-HELD_BACK]
    day2_lines = [*day1_lines, *lines[-HELD_BACK:], joined(requantified)]
    write_lines(day1 / "order_lines.csv", header, day1_lines)
    write_lines(day2 / "order_lines.csv", header, day2_lines)
    write_lines(day3 / "order_lines.csv", header, day2_lines)
    return day1, day2, day3, changes


def table(db: Path, name: str, order_by: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f"select * from {name} order by {order_by}").fetchall()


@pytest.fixture(scope="module")
def refreshes(tmp_path_factory, generated_raw):
    """Day 1 built, then refreshed with day 2 and day 3; and full builds of days
    2 and 3. A row the refresh must not touch is marked after day 1."""
    root = tmp_path_factory.mktemp("incremental")
    day1, day2, day3, changes = make_days(generated_raw, root)
    # The exports land in one folder day after day (files are known by path).
    live = root / "exports"
    shutil.copytree(day1, live)
    kept = build(root, "kept", live, dbt_vars=DAY1_VARS)
    assert kept.result.success, kept.result.output[-3000:]
    with duckdb.connect(str(kept.db_path)) as con:
        untouched = con.execute(
            "select _raw_row from staging.base_shop__engagement_events "
            "where row_status = 'staged' and event_id <> ? order by _raw_row limit 1 "
            "offset 100",
            [changes["updated_event"]],
        ).fetchone()[0]
        con.execute(
            "update staging.base_shop__engagement_events set warnings = ? "
            "where _raw_row = ?",
            [SENTINEL, untouched],
        )
        # Landing: a raw line's _loaded_at marked (a re-landed line loses the
        # mark), and a raw value tampered with (the next landing must see that
        # the landed line differs from the file, and restore it).
        con.execute(
            "update raw.engagement_events set _loaded_at = ? where _raw_row = 1",
            [LANDED_SENTINEL],
        )
        con.execute("update raw.orders set status = 'tampered' where _raw_row = 2")
    day1_statuses = {
        name: dict(
            kept.query(f"select _raw_row, row_status from staging.base_shop__{name}")
        )
        for name in INCREMENTAL
    }
    results = {"changes": changes, "untouched": untouched, "day1": day1_statuses}
    for day, raw in (("day2", day2), ("day3", day3)):
        shutil.copytree(raw, live, dirs_exist_ok=True)
        refreshed = build(root, "kept", live, dbt_vars=DAY2_VARS)
        assert refreshed.result.success, refreshed.result.output[-3000:]
        snapshot = root / f"refreshed_{day}.duckdb"
        shutil.copy(refreshed.db_path, snapshot)
        full = build(root, f"full_{day}", live, dbt_vars=DAY2_VARS)
        assert full.result.success, full.result.output[-3000:]
        results[day] = (snapshot, full.db_path)
    return results


def unmark(rows: list[tuple], columns: list[str]) -> list[tuple]:
    """The sentinel put back to what a build writes (null: no warnings)."""
    i = columns.index("warnings")
    return [
        (*row[:i], None, *row[i + 1 :]) if row[i] == SENTINEL else row for row in rows
    ]


def columns_of(db: Path, name: str) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [d[0] for d in con.execute(f"select * from {name} limit 0").description]


@pytest.mark.parametrize("day", ["day2", "day3"])
@pytest.mark.parametrize("name", BASE_TABLES)
def test_incremental_base_table_equals_a_full_build(refreshes, day, name):
    refreshed, full = refreshes[day]
    columns = columns_of(full, name)
    assert columns_of(refreshed, name) == columns
    got = unmark(table(refreshed, name, "_source_file, _raw_row"), columns)
    assert got == table(full, name, "_source_file, _raw_row")


@pytest.mark.parametrize("day", ["day2", "day3"])
def test_incremental_landing_equals_a_full_land(refreshes, day):
    """Every raw table, line for line, is what a full land of the same exports
    gives (but _loaded_at: an unchanged line keeps the time it was landed).
    Day 2 appends and edits in place (and a raw value was tampered with after
    day 1); day 3 rewrites orders in reverse, which lands the file anew. The
    orders line that cannot be read (from day 2 on) is recorded once."""
    refreshed, full = refreshes[day]
    with duckdb.connect(str(full), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'raw' and table_name not in "
                "('_parsing_fingerprints', '_relanded_lines') order by 1"
            ).fetchall()
        ]
    assert {"orders", "engagement_events", "_unreadable_lines"} <= set(names)
    for name in names:
        relation = f"(select * exclude (_loaded_at) from raw.{name})"
        if name == "_unreadable_lines":
            relation, order_by = f"raw.{name}", "all"
        else:
            order_by = "_source_file, _raw_row"
        expected = table(full, relation, order_by)
        assert table(refreshed, relation, order_by) == expected, name
        if name in ("orders", "engagement_events"):
            assert len(expected) > 1000, name
        if name == "_unreadable_lines":
            assert [row[0] for row in expected] == ["orders"], expected


def test_landing_keeps_unchanged_lines(refreshes):
    """An unchanged raw line is not landed again: the _loaded_at marked after
    day 1 survives both refreshes (a full land would reset it)."""
    for day in ("day2", "day3"):
        refreshed, _ = refreshes[day]
        with duckdb.connect(str(refreshed), read_only=True) as con:
            marked = con.execute(
                "select _loaded_at from raw.engagement_events where _raw_row = 1"
            ).fetchall()
        assert marked == [(LANDED_SENTINEL,)], day


@pytest.mark.parametrize("day", ["day2", "day3"])
@pytest.mark.parametrize(("name", "key"), MARTS)
def test_incremental_marts_equal_a_full_build(refreshes, day, name, key):
    refreshed, full = refreshes[day]
    got, expected = table(refreshed, name, key), table(full, name, key)
    assert expected, f"{name} is empty: nothing compared"
    assert len(got) == len(expected)
    for got_row, expected_row in zip(got, expected, strict=True):
        assert same_row(got_row, expected_row), (got_row, expected_row)


def same_row(got: tuple, expected: tuple) -> bool:
    """Equal, floats within 1e-9 relative: the BG/NBD fit sums its input in
    whatever order the rows arrive, which moves the 15th digit."""
    return all(
        math.isclose(a, b, rel_tol=1e-9)
        if isinstance(a, float) and isinstance(b, float)
        else a == b
        for a, b in zip(got, expected, strict=True)
    )


def test_refresh_leaves_lines_it_need_not_parse(refreshes):
    """The marked line survives the day-2 refresh: only the lines in scope were
    parsed again (a full rebuild would have cleared the mark)."""
    refreshed, _ = refreshes["day2"]
    with duckdb.connect(str(refreshed), read_only=True) as con:
        mark = con.execute(
            "select warnings from staging.base_shop__engagement_events "
            "where _raw_row = ?",
            [refreshes["untouched"]],
        ).fetchall()
    assert mark == [(SENTINEL,)]


def test_refresh_relabels_what_day2_changed(refreshes):
    """The day-2 changes reached the labels: day 1's staged version of the
    updated event and order is superseded, the future event is staged."""
    refreshed, _ = refreshes["day2"]
    changes = refreshes["changes"]
    with duckdb.connect(str(refreshed), read_only=True) as con:
        events = dict(
            con.execute(
                "select row_status, count(*) from staging.base_shop__engagement_events "
                "where event_id = ? group by 1",
                [changes["updated_event"]],
            ).fetchall()
        )
        future = con.execute(
            "select row_status from staging.base_shop__engagement_events "
            "where event_id = 'future-event-1'"
        ).fetchall()
        edited = con.execute(
            "select status from staging.stg_shop__orders where order_id = ?",
            [changes["edited_order"]],
        ).fetchall()
        versions = dict(
            con.execute(
                "select row_status, count(*) from staging.base_shop__orders "
                "where order_id = ? group by 1",
                [changes["versioned_order"]],
            ).fetchall()
        )
    assert events == {"staged": 1, "superseded": 1}
    assert future == [("staged",)]
    assert edited == [("cancelled",)]
    assert versions.get("superseded", 0) >= 1 and versions.get("staged") == 1
    day1 = refreshes["day1"]["engagement_events"]
    assert "quarantined" in day1.values()


def test_parquet_exports_land_only_their_changes_too(tmp_path, generated_raw):
    """orders.parquet: a second land replaces the edited line, adds the new ones
    and leaves the others as landed; raw.orders is then what a full land of the
    same file gives. Landing runs before anything, so building one base model
    lands every export."""
    live = tmp_path / "exports"
    shutil.copytree(generated_raw, live)
    (live / "orders.csv").unlink()
    parquet = live / "orders.parquet"
    source = f"read_csv('{generated_raw / 'orders.csv'}', all_varchar = true)"
    with duckdb.connect() as con:
        lines = con.execute(f"select count(*) from {source}").fetchone()[0]
        con.execute(
            "copy (select * replace (case when row_number() over () = 3 "
            f"then 'edited-later' else status end as status) from {source} "
            f"limit {lines - 7}) to '{parquet}' (format parquet)"
        )

    def land(db_path: Path) -> None:
        run = run_dbt(
            ["run", "--select", "base_shop__fx_rates"],
            db_path=db_path,
            raw_dir=live,
            target_path=tmp_path / f"target_{db_path.stem}",
        )
        assert run.success, run.output[-3000:]

    kept, full = tmp_path / "kept.duckdb", tmp_path / "full.duckdb"
    land(kept)
    with duckdb.connect(str(kept)) as con:
        con.execute(
            "update raw.orders set _loaded_at = ? where _raw_row = 1",
            [LANDED_SENTINEL],
        )
    with duckdb.connect() as con:
        con.execute(f"copy (select * from {source}) to '{parquet}' (format parquet)")
    land(kept)
    land(full)
    relation = "(select * exclude (_loaded_at) from raw.orders)"
    expected = table(full, relation, "_raw_row")
    assert len(expected) == lines
    assert table(kept, relation, "_raw_row") == expected
    with duckdb.connect(str(kept), read_only=True) as con:
        assert con.execute(
            "select _loaded_at, (select count(*) from raw.orders "
            "where status = 'edited-later') from raw.orders where _raw_row = 1"
        ).fetchall() == [(LANDED_SENTINEL, 0)]


def test_a_selection_that_reads_no_export_does_not_land(tmp_path, generated_raw):
    """The analyst's loop (`--select int_segment_candidates+`) reads no export:
    landing is skipped, not paid again; a selection with a base model lands."""
    live = tmp_path / "exports"
    shutil.copytree(generated_raw, live)
    db_path = tmp_path / "skip.duckdb"

    def dbt(args: list[str], name: str):
        run = run_dbt(args, db_path=db_path, raw_dir=live, target_path=tmp_path / name)
        assert run.success, run.output[-3000:]
        return run

    def landed_orders() -> int:
        with duckdb.connect(str(db_path), read_only=True) as con:
            return con.execute("select count(*) from raw.orders").fetchone()[0]

    first = dbt(["run", "--select", "base_shop__fx_rates"], "first")
    assert "landing skipped" not in first.output
    header, lines = read_lines(live / "orders.csv")
    assert landed_orders() == len(lines)
    (live / "orders.csv").write_text("\n".join([header, *lines[:-5]]) + "\n")
    seeded = dbt(["seed", "--select", "enum_values"], "seed")
    assert "no selected node reads the raw exports: landing skipped" in seeded.output
    assert landed_orders() == len(lines)
    dbt(["run", "--select", "base_shop__orders"], "orders")
    assert landed_orders() == len(lines) - 5


def test_a_folder_whose_name_holds_a_quote_lands(tmp_path, generated_raw):
    """Paths and the delimiter reach landing's SQL as quoted literals: a raw
    folder named `shop's "exports"` lands every line (it broke the SQL before)."""
    live = tmp_path / 'shop\'s "exports"'
    shutil.copytree(generated_raw, live)
    db_path = tmp_path / "quoted.duckdb"
    run = run_dbt(
        ["run", "--select", "base_shop__fx_rates"],
        db_path=db_path,
        raw_dir=live,
        target_path=tmp_path / "target",
    )
    assert run.success, run.output[-3000:]
    _, lines = read_lines(live / "orders.csv")
    with duckdb.connect(str(db_path), read_only=True) as con:
        landed = con.execute(
            "select count(*), min(_source_file) from raw.orders"
        ).fetchone()
    assert landed == (len(lines), str(live / "orders.csv"))
