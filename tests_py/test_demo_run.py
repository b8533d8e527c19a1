"""`segmart run` on a first run builds past month ends before the latest build, so
the history marts (sizes over builds, transitions, the change feed) are not empty.

Expected dates written by hand: the last day of each of the N months before the
newest date's month, oldest first.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from segmart import run as run_module
from segmart.cli import main
from segmart.dbt import DbtRun
from segmart.run import history_builds_before, history_dates, newest_order_date


@pytest.mark.parametrize(
    ("newest", "months", "expected"),
    [
        (
            date(2026, 6, 30),
            6,
            [
                date(2025, 12, 31),
                date(2026, 1, 31),
                date(2026, 2, 28),
                date(2026, 3, 31),
                date(2026, 4, 30),
                date(2026, 5, 31),
            ],
        ),
        (
            date(2024, 3, 15),
            6,
            [
                date(2023, 9, 30),
                date(2023, 10, 31),
                date(2023, 11, 30),
                date(2023, 12, 31),
                date(2024, 1, 31),
                date(2024, 2, 29),
            ],
        ),
        (date(2026, 1, 1), 2, [date(2025, 11, 30), date(2025, 12, 31)]),
        (date(2026, 6, 30), 0, []),
    ],
)
def test_history_dates_are_the_month_ends_before_the_newest_month(
    newest, months, expected
):
    assert history_dates(newest, months) == expected


def test_newest_order_date_reads_iso_and_local_timestamps(tmp_path):
    (tmp_path / "orders.csv").write_text(
        "order_id,ordered_at,currency\n"
        "1,2026-03-02T10:00:00Z,EUR\n"
        "2,04/17/2026 09:30,EUR\n"  # the default local format: 2026-04-17
        "3,not a date,EUR\n"
        "4,2099-01-01 00:00:00,EUR\n"  # after tomorrow: the build rejects it
        "5,,EUR\n"
    )
    assert newest_order_date(tmp_path) == date(2026, 4, 17)


def test_newest_order_date_without_orders_or_dates_is_none(tmp_path):
    assert newest_order_date(tmp_path) is None
    (tmp_path / "orders.csv").write_text("order_id,ordered_at\n1,soon\n")
    assert newest_order_date(tmp_path) is None


def history_db(path: Path, as_of_dates: list[date]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create table main.segment_history (as_of_date date)")
        for day in as_of_dates:
            con.execute("insert into main.segment_history values (?)", [day])
    return path


@pytest.fixture
def dbt_calls(monkeypatch) -> list[dict]:
    """run_dbt replaced by a recorder that succeeds."""
    calls: list[dict] = []

    def fake(args, **kwargs):
        calls.append({"args": list(args), **kwargs})
        return DbtRun(0, "")

    monkeypatch.setattr(run_module, "run_dbt", fake)
    return calls


def test_exports_with_earlier_builds_get_no_past_builds(tmp_path, dbt_calls):
    (tmp_path / "orders.csv").write_text("order_id,ordered_at\n1,2026-05-20\n")
    db = history_db(tmp_path / "x.duckdb", [date(2026, 5, 19), date(2026, 5, 20)])
    assert history_builds_before(db, date(2026, 5, 20)) == 1
    assert run_module.build_history(tmp_path, db, "existing", 6) == 0
    assert dbt_calls == []


def test_exports_built_once_get_past_month_ends_oldest_first(tmp_path, dbt_calls):
    (tmp_path / "orders.csv").write_text("order_id,ordered_at\n1,2026-05-20\n")
    db = history_db(tmp_path / "x.duckdb", [date(2026, 5, 20)])
    assert run_module.build_history(tmp_path, db, "existing", 3) == 0
    as_of = [call["extra_env"]["SEGMART_AS_OF"] for call in dbt_calls]
    assert as_of == ["2026-02-28", "2026-03-31", "2026-04-30"]
    # the first with seeds and staging, the others the history models only
    assert dbt_calls[0]["args"][0] == "build"
    assert all(call["args"][0] == "run" for call in dbt_calls[1:])
    assert all("test" not in call["args"] for call in dbt_calls)


def test_a_failed_past_build_stops_the_run(tmp_path, monkeypatch):
    calls = []

    def failing(args, **kwargs):
        calls.append(args)
        return DbtRun(2, "boom")

    monkeypatch.setattr(run_module, "run_dbt", failing)
    assert run_module.build_history(tmp_path, tmp_path / "x.duckdb", "generated", 4)
    assert len(calls) == 1


def test_first_demo_run_builds_the_history_then_the_latest(tmp_path):
    """End to end, small: 400 generated customers, two past months."""
    raw, db, out = tmp_path / "raw", tmp_path / "demo.duckdb", tmp_path / "out"
    raw.mkdir()
    result = CliRunner().invoke(
        main,
        [
            "run",
            "--raw-dir",
            str(raw),
            "--db",
            str(db),
            "--out",
            str(out / "audiences"),
            "--demo-customers",
            "400",
            "--seed",
            "11",
            "--history-months",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "history [2/2] as_of 2026-05-31" in result.output
    with duckdb.connect(str(db), read_only=True) as con:
        dates = con.execute(
            "select distinct as_of_date from main.segment_history order by 1"
        ).fetchall()
        transitions = con.execute(
            "select count(*) from main.segment_transitions"
        ).fetchone()[0]
    assert [d for (d,) in dates] == [
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]
    assert transitions > 0
    assert (out / "changes" / "changes_2026-06-30.jsonl").is_file()
