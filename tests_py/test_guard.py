"""Nothing leaves after a bad build, and one build at a time (segmart.guard,
macros/build_record.sql).

A real `segmart build` records `passed`; a build that fails (an as_of that is
not a date) records `failed` and its failed nodes, and then `segmart export` and
`segmart publish` stop with a message and a non-zero exit, until a build passes
again. Two `segmart run` on one database at once: one builds, the other stops
at once with a message, and the database is whole afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from segmart import guard
from segmart.cli import main
from segmart.errors import UserError
from tests_py.conftest import FIXTURES

RAW = FIXTURES / "raw" / "profile"


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def records(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select command, status, failed_nodes, finished_at is not null "
            "from segmart_meta.build_runs order by started_at"
        ).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("guard")
    raw = root / "raw"
    shutil.copytree(RAW, raw)
    db = root / "work.duckdb"
    first = invoke("build", "--db", db, "--raw-dir", raw)
    assert first.exit_code == 0, first.output
    after_pass = records(db)
    segment = (
        duckdb.connect(str(db), read_only=True)
        .execute(
            "select segment_name from main.segment_library "
            "where channels like '%email%' order by priority limit 1"
        )
        .fetchone()[0]
    )
    exported = invoke("export", segment, "--db", db, "--out", root / "ok.csv")
    bad = invoke(
        "build", "--db", db, "--raw-dir", raw, "--vars", "{as_of: '2024-02-31'}"
    )
    after_fail = records(db)
    refused_export = invoke("export", segment, "--db", db, "--out", root / "no.csv")
    refused_publish = invoke("publish", "--db", db, "--to", root / "published")
    nothing_published = not (root / "published" / "latest").exists()
    again = invoke("build", "--db", db, "--raw-dir", raw)
    published = invoke("publish", "--db", db, "--to", root / "published")
    return {
        "root": root,
        "after_pass": after_pass,
        "exported": exported,
        "bad": bad,
        "after_fail": after_fail,
        "refused_export": refused_export,
        "refused_publish": refused_publish,
        "nothing_published": nothing_published,
        "again": again,
        "published": published,
    }


def test_a_passed_build_is_recorded_and_exports(built):
    assert built["after_pass"] == [("build", "passed", "", True)]
    assert built["exported"].exit_code == 0, built["exported"].output
    assert (built["root"] / "ok.csv").exists()


def test_a_failed_build_is_recorded_with_its_nodes(built):
    assert built["bad"].exit_code != 0
    command, status, failed, finished = built["after_fail"][-1]
    assert (command, status, finished) == ("build", "failed", True)
    assert "int_build_context" in failed


def test_export_and_publish_refuse_after_a_failed_build(built):
    for result in (built["refused_export"], built["refused_publish"]):
        assert result.exit_code != 0
        assert "failed in: " in result.output and "int_build_context" in result.output
        assert "Traceback" not in result.output
    assert not (built["root"] / "no.csv").exists()
    assert built["nothing_published"]


def test_a_passing_build_lifts_the_refusal(built):
    assert built["again"].exit_code == 0, built["again"].output
    assert built["published"].exit_code == 0, built["published"].output


def test_a_build_that_never_finished_is_refused(tmp_path):
    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create schema segmart_meta; create table segmart_meta.build_runs as "
            "select 'i' as invocation_id, 'build' as command, now() as started_at, "
            "null::timestamptz as finished_at, 'running' as status, "
            "null::varchar as failed_nodes"
        )
    with pytest.raises(UserError, match="did not finish"):
        guard.require_passed_build(db, "export")
    with duckdb.connect(str(db)) as con:
        con.execute("drop table segmart_meta.build_runs")
    with pytest.raises(UserError, match="no record of a dbt build"):
        guard.require_passed_build(db, "export")


def test_a_build_while_another_job_holds_the_database_stops(tmp_path):
    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from segmart import guard\n"
            "with guard.build_lock(Path(sys.argv[1])):\n"
            "    print('held', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = invoke("build", "--db", db, "--raw-dir", RAW)
        assert result.exit_code != 0
        assert "another segmart job is building or reading" in result.output
        assert not db.exists()  # dbt never started
        with pytest.raises(UserError, match="another segmart job is building"):
            with guard.build_lock(db, shared=True):
                pass
    finally:
        holder.kill()
        holder.wait()
    with guard.build_lock(db):  # free again once the holder is gone
        pass


def test_two_runs_at_once_one_builds_the_other_stops(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    db = tmp_path / "w.duckdb"
    env = {**os.environ, "SEGMART_DB_PATH": str(db)}
    command = [sys.executable, "-m", "segmart.cli", "run", "--raw-dir", str(raw)]
    command += ["--history-months", "0", "--out", str(tmp_path / "audiences")]
    first = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    # the second starts once the first holds the lock (its lock file exists)
    deadline = time.monotonic() + 60
    while not Path(f"{db}.lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = subprocess.run(command, env=env, capture_output=True, text=True)
    out_first, _ = first.communicate(timeout=600)
    assert first.returncode == 0, out_first[-3000:]
    assert second.returncode != 0
    assert "another segmart job is building or reading" in second.stderr
    assert records(db)[-1][:2] == ("build", "passed")
