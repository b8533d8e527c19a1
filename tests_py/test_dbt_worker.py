"""segmart.dbt_worker (SEGMART_DBT_WORKER=1): many dbt commands, one dbt process.

The same commands run both ways, in the worker and each in a process of its
own (the dbt program), and must give the same exit codes, results and tables;
after a command the worker has closed the database, so another process can
write it; a busy or dead worker does not stop a command from running.
"""

from __future__ import annotations

import os
import re
import threading

import duckdb
import pytest

from segmart import dbt as segmart_dbt
from segmart.dbt import run_dbt
from segmart.dbt_worker import WORKER_ENV, Worker
from tests_py.conftest import FIXTURES

RAW = FIXTURES / "raw" / "profile"
# a light command that lands the raw files and builds a table and a view
RUN = ["run", "--select", "base_shop__fx_rates", "stg_shop__fx_rates"]


def run_both_ways(tmp_path, args, monkeypatch) -> dict:
    runs = {}
    for mode in ("0", "1"):
        monkeypatch.setenv(WORKER_ENV, mode)
        runs[mode] = run_dbt(
            args,
            db_path=tmp_path / f"w{mode}.duckdb",
            raw_dir=RAW,
            target_path=tmp_path / f"target{mode}",
        )
    return runs


def statuses(run) -> dict:
    return {r["unique_id"]: r["status"] for r in run.results}


def test_a_run_in_the_worker_equals_a_run_of_its_own(tmp_path, monkeypatch):
    runs = run_both_ways(tmp_path, RUN, monkeypatch)
    own, worker = runs["0"], runs["1"]
    assert own.returncode == worker.returncode == 0
    assert statuses(worker) == statuses(own)
    models = {uid for uid in statuses(own) if uid.startswith("model.")}
    assert len(models) == 2
    assert "Completed successfully" in worker.output
    tables = []
    for mode in ("0", "1"):
        # read-write: the worker must have let go of its database
        with duckdb.connect(str(tmp_path / f"w{mode}.duckdb")) as con:
            tables.append(
                con.execute(
                    "select * from staging.stg_shop__fx_rates order by all"
                ).fetchall()
            )
    assert tables[0] == tables[1] and tables[0]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--no-such-option"], "no-such-option"),
        (["run", "--vars", "{a: [}"], "not valid YAML"),
        (["run-operation", "no_such_macro"], "no_such_macro"),
    ],
    ids=["usage", "bad_vars", "unknown_macro"],
)
def test_failures_give_the_programs_exit_code(tmp_path, monkeypatch, args, says):
    runs = run_both_ways(tmp_path, args, monkeypatch)
    assert runs["0"].returncode != 0
    assert runs["1"].returncode == runs["0"].returncode
    assert says in runs["0"].output
    assert says in runs["1"].output


def test_a_failing_model_fails_the_same_way(tmp_path, monkeypatch):
    # an as_of that is not a date fails the build context (int_build_context)
    args = ["run", "--select", "int_build_context", "--vars", "{as_of: 'not a day'}"]
    runs = run_both_ways(tmp_path, args, monkeypatch)
    assert runs["0"].returncode == runs["1"].returncode == 1
    assert statuses(runs["1"]) == statuses(runs["0"])
    assert "error" in set(statuses(runs["1"]).values())


def test_a_command_does_not_see_the_previous_commands_selection(tmp_path, monkeypatch):
    # dbt keeps the selected nodes in a module global, which a run-operation
    # does not set: landing would read them and skip (nothing selected reads raw)
    monkeypatch.setenv(WORKER_ENV, "1")
    selected = run_dbt(
        ["run", "--select", "segment_library"],
        db_path=tmp_path / "a.duckdb",
        raw_dir=RAW,
        target_path=tmp_path / "target_a",
    )
    assert "landing skipped" in selected.output
    landed = run_dbt(
        ["run-operation", "land_raw_files"],
        db_path=tmp_path / "b.duckdb",
        raw_dir=RAW,
        target_path=tmp_path / "target_b",
    )
    assert landed.success, landed.output[-2000:]
    assert "landing skipped" not in landed.output
    with duckdb.connect(str(tmp_path / "b.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.orders").fetchone()[0] > 0


def test_progress_gets_the_same_node_lines(tmp_path, monkeypatch):
    lines = {}
    for mode in ("0", "1"):
        monkeypatch.setenv(WORKER_ENV, mode)
        got: list[str] = []
        run = run_dbt(
            RUN,
            db_path=tmp_path / f"p{mode}.duckdb",
            raw_dir=RAW,
            target_path=tmp_path / f"target{mode}",
            progress=got.append,
        )
        assert run.success
        assert all(line.endswith("\n") and "\x1b" not in line for line in got)
        # "1 of 2 OK created sql table model staging.base_shop__fx_rates ..."
        lines[mode] = [
            re.sub(r"\s*\[.*\]$", "", line.split("  ", 1)[-1].strip())
            for line in got
            if " of " in line and " OK " in line
        ]
    assert lines["1"] == lines["0"]
    assert any("base_shop__fx_rates" in line for line in lines["0"])


def test_a_busy_worker_sends_the_command_to_a_process_of_its_own(tmp_path):
    worker = Worker()
    worker._lock.acquire()  # another thread's command is running
    try:
        assert worker.run(["--version"], dict(os.environ), str(tmp_path)) is None
    finally:
        worker._lock.release()
    worker.stop()


def test_two_threads_at_once_both_run(tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_ENV, "1")
    results = {}

    def build(name):
        results[name] = run_dbt(
            RUN,
            db_path=tmp_path / f"{name}.duckdb",
            raw_dir=RAW,
            target_path=tmp_path / f"target_{name}",
        )

    threads = [threading.Thread(target=build, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[n].returncode for n in ("a", "b")] == [0, 0]


def test_a_dead_worker_is_started_again(tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_ENV, "1")
    first = run_dbt(RUN, db_path=tmp_path / "a.duckdb", raw_dir=RAW)
    assert first.success
    proc = segmart_dbt._worker()._proc
    assert proc is not None and proc.poll() is None
    proc.kill()
    proc.wait()
    again = run_dbt(RUN, db_path=tmp_path / "b.duckdb", raw_dir=RAW)
    assert again.success, again.output[-2000:]
    assert segmart_dbt._worker()._proc is not proc
