"""The segmart CLI: every command, its output and its error paths.

One database (the `history` fixture of conftest: the small generated data set
built by `segmart backfill` as of 2026-03-31 and as of the newest data) serves
every test; the only other dbt runs are one single-model build and one build that
must fail at its first step.
"""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from segmart import builds
from segmart.cli import main
from segmart.dbt import DbtRun
from segmart.segments import qa_page
from tests_py import identity

EARLIER = date(2026, 3, 31)


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_clean_error(result, code: int, *fragments: str) -> None:
    """A non-zero exit with a message and no traceback."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="module")
def db(history) -> Path:
    return history.db_path


# ------------------------------------------------------------------------ general

ALL_COMMANDS = sorted(main.commands)


def test_every_issue_command_is_registered():
    expected = {"generate", "build", "backfill", "segments", "qa", "explain"}
    expected |= {"export", "report", "summary", "run"}
    assert expected <= set(main.commands)


@pytest.mark.parametrize("name", ALL_COMMANDS)
def test_every_command_has_help(name):
    result = invoke(name, "--help")
    assert result.exit_code == 0, result.output
    assert f"Usage: main {name}" in result.output or "Usage:" in result.output
    assert main.commands[name].help, f"{name} has no help text"


def test_unknown_command_is_a_usage_error():
    result = invoke("segmentz")
    assert result.exit_code == 2
    assert "No such command" in result.output


# --------------------------------------------------------------- generate, summary


def test_generate_writes_the_contract_files(tmp_path):
    result = invoke("generate", "--customers", 30, "--seed", 3, "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "orders.csv").exists()
    assert "orders" in result.output


@pytest.mark.parametrize(
    "args", [["--customers", "0"], ["--messy", "0.9"], ["--format", "xlsx"]]
)
def test_generate_rejects_bad_arguments(tmp_path, args):
    result = invoke("generate", "--out", tmp_path, *args)
    assert_clean_error(result, 2, "Invalid value")
    assert not (tmp_path / "orders.csv").exists()


def test_summary_counts_the_customers(db):
    result = invoke("summary", "--db", db)
    assert result.exit_code == 0, result.output
    customers = query(db, "select count(*) from main.customer_profile")[0][0]
    assert f"customers: {customers:,}" in result.output


def test_summary_without_a_database_fails_cleanly(tmp_path):
    assert_clean_error(
        invoke("summary", "--db", tmp_path / "no.duckdb"), 1, "no.duckdb"
    )


def test_run_rejects_bad_arguments(tmp_path):
    result = invoke("run", "--raw-dir", tmp_path, "--demo-customers", "0")
    assert_clean_error(result, 2, "Invalid value")


# --------------------------------------------------------------------- plugins


def test_detect_lists_contract_files(generated_raw):
    result = invoke("detect", generated_raw)
    assert result.exit_code == 0, result.output
    assert "orders.csv" in result.output


@pytest.mark.parametrize("name", ["detect", "convert"])
def test_detect_and_convert_reject_a_missing_folder(tmp_path, name):
    assert_clean_error(invoke(name, tmp_path / "absent"), 2, "does not exist")


def test_audience_export_needs_an_input(tmp_path):
    result = invoke("audience-export", "--format", "klaviyo", "--out", tmp_path / "a")
    assert_clean_error(result, 2, "give --input")


def test_notify_needs_a_feed():
    assert_clean_error(invoke("notify", "--url", "http://127.0.0.1:9"), 2, "--feed")


# ------------------------------------------------------------------ build, backfill


def test_backfill_built_the_past_date_then_the_latest(history, db):
    output = history.result.output
    assert "2 build(s): 2026-03-31, latest" in output
    assert "[1/2] as_of 2026-03-31" in output and "[2/2] as_of latest" in output
    dates = [
        r[0]
        for r in query(
            db, "select distinct as_of_date from main.segment_history order by 1"
        )
    ]
    newest = query(
        db, "select max(cast(ordered_at as date)) from staging.stg_shop__orders"
    )[0][0]
    assert dates == [EARLIER, newest]
    # the marts show the present: the last build was the latest one
    assert query(db, "select distinct as_of_date from main.customer_profile") == [
        (newest,)
    ]
    pairs = query(
        db,
        "select distinct from_as_of_date, to_as_of_date from main.segment_transitions",
    )
    assert pairs == [(EARLIER, newest)]


def test_build_passes_as_of_and_select_through(db, generated_raw, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    result = invoke(
        "build", "--as-of", "2026-02-14", "--select", "int_build_context",
        "--db", copy, "--raw-dir", generated_raw, "--target-path", tmp_path / "t",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert re.search(r"Done\. PASS=[1-9]\d* WARN=0 ERROR=0", result.output)
    assert query(copy, "select as_of_date from intermediate.int_build_context") == [
        (date(2026, 2, 14),)
    ]
    # only the selected model was rebuilt
    newest = query(db, "select max(as_of_date) from main.customer_profile")[0][0]
    assert query(copy, "select max(as_of_date) from main.customer_profile") == [
        (newest,)
    ]


def test_build_that_fails_exits_non_zero_with_dbt_errors(tmp_path):
    empty = tmp_path / "raw"
    empty.mkdir()
    result = invoke(
        "build", "--db", tmp_path / "x.duckdb", "--raw-dir", empty,
        "--target-path", tmp_path / "t",
    )  # fmt: skip
    assert_clean_error(result, 1, "dbt build failed", "orders")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "31/03/2026"], "Invalid value for '--as-of'"),
        (["--vars", "[1, 2]"], "give a mapping"),
        (["--vars", "{a: [}"], "not YAML"),
    ],
)
def test_build_rejects_bad_arguments(tmp_path, args, message):
    assert_clean_error(invoke("build", "--raw-dir", tmp_path, *args), 2, message)


def test_build_without_a_raw_folder_fails_cleanly(tmp_path):
    result = invoke("build", "--raw-dir", tmp_path / "absent", "--db", tmp_path / "x")
    assert_clean_error(result, 1, "no raw folder")


def test_backfill_dates_are_oldest_first_and_inclusive():
    dates = builds.backfill_dates(date(2026, 1, 31), date(2026, 3, 31), 29)
    assert dates == [date(2026, 1, 31), date(2026, 3, 1), date(2026, 3, 30)]
    assert builds.backfill_dates(date(2026, 1, 1), date(2026, 1, 1), 7) == [
        date(2026, 1, 1)
    ]


def test_backfill_runs_each_date_in_order_and_stops_at_a_failure(tmp_path, monkeypatch):
    calls = []

    def fake(args, **kwargs):
        calls.append((args, kwargs["dbt_vars"].get("as_of")))
        failed = kwargs["dbt_vars"].get("as_of") == "2026-01-15"
        return DbtRun(1 if failed else 0, "Completed with 1 error\n")

    monkeypatch.setattr(builds, "run_dbt", fake)
    base = ["backfill", "--db", tmp_path / "x", "--raw-dir", tmp_path]
    ok = invoke(*base, "--from", "2025-12-01", "--to", "2025-12-31", "--every", "15")
    assert ok.exit_code == 0, ok.output
    assert [c[1] for c in calls] == ["2025-12-01", "2025-12-16", "2025-12-31", None]
    # production builds leave the unit tests out (make test runs them)
    assert all(c[0] == ["build", "--exclude-resource-type", "unit_test"] for c in calls)

    calls.clear()
    failed = invoke(
        *base, "--from", "2026-01-01", "--to", "2026-01-31", "--every", "14"
    )
    assert_clean_error(failed, 1, "as_of 2026-01-15 failed")
    assert [c[1] for c in calls] == ["2026-01-01", "2026-01-15"]  # stopped there

    calls.clear()
    refresh = invoke(
        *base, "--from", "2026-01-01", "--to", "2026-01-02", "--every", "1",
        "--no-latest", "--full-refresh", "--select", "segment_history+",
    )  # fmt: skip
    assert refresh.exit_code == 0, refresh.output
    no_unit = ["--exclude-resource-type", "unit_test"]
    assert calls == [
        (["build", *no_unit, "--select", "segment_history+", "--full-refresh"],
         "2026-01-01"),
        (["build", *no_unit, "--select", "segment_history+"], "2026-01-02"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-03-31", "--to", "2026-01-31"], "is after --to"),
        (["--from", "2026-01-31", "--to", "2026-03-31", "--every", "0"], "--every"),
        (["--from", "2026-01-31"], "Missing option '--to'"),
        (
            ["--from", "2026-01-31", "--to", "2026-03-31", "--vars", "{as_of: x}"],
            "as_of is set by --from/--to",
        ),
    ],
)
def test_backfill_rejects_bad_arguments(tmp_path, args, message):
    assert_clean_error(invoke("backfill", "--raw-dir", tmp_path, *args), 2, message)


# ----------------------------------------------------------------------- segments


def test_segments_prints_one_line_per_segment_with_size_and_reach(db):
    result = invoke("segments", "--db", db)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "segment", "priority", "owner", "size", "share", "change", "reach",
    ]  # fmt: skip
    library = query(
        db,
        "select segment_name, priority, owner, customers_count, share_of_customers, "
        "customers_count_change from main.segment_library order by priority",
    )
    body = lines[2:]
    assert len(body) == len(library)
    for line, (name, priority, owner, size, share, change) in zip(
        body, library, strict=True
    ):
        fields = line.split()
        assert fields[:6] == [
            name, str(priority), owner, f"{size:,}", f"{share:.1%}", f"{change:+,}",
        ]  # fmt: skip
        reach = query(
            db,
            "select channel, audience_count from main.segment_reach "
            "where segment_name = ? order by channel",
            [name],
        )
        expected = ", ".join(f"{c} {n:,}" for c, n in reach) or "-"
        assert line.endswith("  " + expected)


def test_segments_without_a_database_fails_cleanly(tmp_path):
    result = invoke("segments", "--db", tmp_path / "none.duckdb")
    assert_clean_error(result, 1, "no database at", "segmart build")


def test_segments_on_a_database_that_is_not_built_fails_cleanly(tmp_path):
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    result = invoke("segments", "--db", empty)
    assert_clean_error(result, 1, "not a built segmart database")


# ----------------------------------------------------------------------------- qa


def test_qa_prints_the_qa_page(db):
    result = invoke("qa", "champions", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.output == qa_page(db, "champions")
    assert result.output.startswith("segment champions")


def test_qa_of_an_unknown_segment_lists_the_known_ones(db):
    result = invoke("qa", "champs", "--db", db)
    names = [r[0] for r in query(db, "select segment_name from main.segment_library")]
    assert_clean_error(result, 1, "no segment 'champs'", *names)


def test_qa_without_a_database_fails_cleanly(tmp_path):
    assert_clean_error(
        invoke("qa", "champions", "--db", tmp_path / "x"), 1, "no database"
    )


def test_qa_needs_a_segment(db):
    assert_clean_error(invoke("qa", "--db", db), 2, "Missing argument 'SEGMENT'")


# ------------------------------------------------------------------------ explain


@pytest.fixture(scope="module")
def mover(db) -> dict:
    """A customer who changed segments between the two builds, with their email."""
    row = query(
        db,
        """
        select identified.email, identified.customer_key
        from main.customer_segment_changes as changes
        inner join intermediate.int_customers_identified as identified
            on changes.customer_key = identified.customer_key
        inner join main.segment_membership as membership
            on changes.customer_key = membership.customer_key
        group by all
        order by count(distinct changes.segment_name) desc, identified.customer_key
        limit 1
        """,
    )[0]
    return {"email": row[0], "key": row[1]}


def test_explain_shows_segments_reasons_primary_and_moves(db, mover):
    # mixed case and spaces: the email is normalised before it is hashed
    result = invoke("explain", f"  {mover['email'].upper()} ", "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    # the key is HMAC-SHA-256(test key, lower(trim(email))), computed here by hmac
    key = identity.key(mover["email"])
    assert key == mover["key"]
    assert out.startswith(f"customer {key} ({mover['email']})")
    primary = query(
        db,
        "select primary_segment from main.customer_segment where customer_key = ?",
        [key],
    )[0][0]
    assert f"primary segment: {primary}" in out
    members = query(
        db,
        "select segment_name, is_primary, match_reason from main.segment_membership "
        "where customer_key = ?",
        [key],
    )
    assert f"segments matched ({len(members)}):" in out
    for name, is_primary, reason in members:
        line = next(x for x in out.splitlines() if x.strip().startswith(name + " "))
        assert line.endswith(reason)
        assert ("primary" in line.split(reason)[0]) == is_primary
    changes = query(
        db,
        "select as_of_date, change_type, segment_name, reason "
        "from main.customer_segment_changes where customer_key = ?",
        [key],
    )
    assert changes, "the fixture customer has moves"
    history = out.split("history of moves:")[1].split("profile:")[0]
    for as_of, change, segment, reason in changes:
        assert f"{as_of}  {change:<7} {segment}" in history
        assert str(reason) in history
    profile = out.split("profile:")[1]
    orders = query(
        db,
        "select orders_count from main.customer_profile where customer_key = ?",
        [key],
    )[0][0]
    assert re.search(rf"^ +orders_count +{orders:,}$", profile, re.MULTILINE)


def test_explain_an_unknown_email_fails_cleanly(db):
    result = invoke("explain", "nobody@nowhere.example", "--db", db)
    assert_clean_error(result, 1, "no customer with email nobody@nowhere.example")


def test_explain_rejects_a_non_email(db):
    assert_clean_error(invoke("explain", "bob", "--db", db), 2, "not an email")


def test_explain_without_a_database_fails_cleanly(tmp_path):
    result = invoke("explain", "a@b.com", "--db", tmp_path / "x.duckdb")
    assert_clean_error(result, 1, "no database")


# ------------------------------------------------------------------------- export


def _audience_emails(db: Path, segment: str, channel: str) -> set[str]:
    rows = query(
        db,
        "select email from activation.audience_members "
        "where segment_name = ? and channel = ?",
        [segment, channel],
    )
    return {r[0] for r in rows}


def test_export_writes_the_segment_audience_for_the_channel(db, tmp_path):
    out = tmp_path / "champions.csv"
    result = invoke(
        "export", "champions", "--channel", "email", "--out", out, "--db", db
    )
    assert result.exit_code == 0, result.output
    expected = _audience_emails(db, "champions", "email")
    assert expected, "the fixture has a champions email audience"
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["Email"] for r in rows} == expected  # klaviyo by default for email
    assert f"{len(expected):,} rows (klaviyo, email)" in result.output


def test_export_in_a_hashed_format_carries_no_email(db, tmp_path):
    out = tmp_path / "meta.csv"
    result = invoke("export", "champions", "--format", "meta", "--out", out, "--db", db)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "@" not in text
    assert len(text.splitlines()) - 1 == len(_audience_emails(db, "champions", "email"))


def test_export_of_an_unknown_segment_lists_the_known_ones(db, tmp_path):
    result = invoke("export", "vips", "--out", tmp_path / "x.csv", "--db", db)
    assert_clean_error(result, 1, "no segment 'vips'", "champions", "lost")
    assert not (tmp_path / "x.csv").exists()


def test_export_on_a_channel_the_segment_does_not_use_fails(db, tmp_path):
    not_sms = query(
        db,
        "select segment_name, channels from main.segment_library "
        "where ',' || channels || ',' not like '%,sms,%' order by priority limit 1",
    )[0]
    result = invoke(
        "export", not_sms[0], "--channel", "sms", "--out", tmp_path / "x", "--db", db
    )
    assert_clean_error(result, 1, "is not sent on sms", not_sms[1])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "fax"], "Invalid value for '--channel'"),
        (["--format", "excel"], "Invalid value for '--format'"),
    ],
)
def test_export_rejects_bad_arguments(db, args, message):
    assert_clean_error(invoke("export", "champions", "--db", db, *args), 2, message)


# ------------------------------------------------------------------------- report


def test_report_writes_the_html_file(db, tmp_path):
    out = tmp_path / "r" / "report.html"
    result = invoke("report", "--db", db, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.exists() and out.stat().st_size > 1_000_000  # plotly.js is inlined
    assert "Segment sizes" in result.output


def test_report_without_a_database_fails_cleanly(tmp_path):
    result = invoke(
        "report", "--db", tmp_path / "x.duckdb", "--out", tmp_path / "r.html"
    )
    assert_clean_error(result, 1, "no database at")
    assert not (tmp_path / "r.html").exists()
