"""Safe publishing for BI tools (segmart/publish.py).

A BI tool reads data/published/segmart.duckdb (read-only) or the Parquet files
under data/published/latest/. These tests hold readers open while builds publish
and check that a reader only ever sees one whole build: the old one while it holds
its connection, the new one once it re-opens, never a mixture or a partial build,
and never a failed build.

Most tests publish small working databases made here (publishing does not care
how the working database was built); one test runs `segmart publish --build` with
dbt, once successfully and once failing.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from segmart import publish as pub
from segmart.cli import main as cli

FIXTURES = Path(__file__).parent / "fixtures"

# A BI tool in another process: it opens the published file read-only once and
# answers on stdin: "id" reads only the build id; "all" reads every table.
READER = r"""
import duckdb, json, sys
con = duckdb.connect(sys.argv[1], read_only=True)
for line in sys.stdin:
    command = line.strip()
    if command == "exit":
        break
    answer = {"build_id": con.execute(
        "select build_id from main.published_build").fetchone()[0]}
    if command == "all":
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables"
            " where table_schema = 'main' order by 1").fetchall()]
        answer["counts"] = {t: con.execute(
            f'select count(*) from main."{t}"').fetchone()[0] for t in tables}
    print(json.dumps(answer), flush=True)
con.close()
"""


class Reader:
    """A read-only DuckDB connection held open by another process."""

    def __init__(self, path: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", READER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, command: str) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the reader died (exit code {self.proc.poll()})"
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin
            self.proc.stdin.write("exit\n")
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def make_work_db(path: Path, customers: int, as_of: str = "2026-06-30") -> None:
    """A working database shaped like a build: marts in main (a table per grain,
    a view), personal data in activation, the build context in intermediate."""
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema intermediate; create schema activation")
        con.execute(
            "create table main.customer_profile as select md5(cast(i as varchar))"
            f" as customer_key, i % 5 + 1 as recency_score from range({customers}) t(i)"
        )
        con.execute(
            "create table main.segment_membership as select customer_key, segment"
            " from main.customer_profile, (values ('a'), ('b')) s(segment)"
        )
        con.execute(
            "create view main.segment_sizes as select segment, count(*) as members"
            " from main.segment_membership group by segment"
        )
        con.execute(
            "comment on column main.customer_profile.customer_key is 'md5 of email'"
        )
        con.execute(
            "create table activation.audience_members as"
            " select 'jane@example.com' as email"
        )
        con.execute(
            "create table intermediate.int_build_context as select"
            f" date '{as_of}' as as_of_date, timestamp '{as_of} 06:00' as built_at"
        )
        # a build that passed, as dbt's hooks record it (macros/build_record.sql)
        con.execute(
            "create schema segmart_meta; create table segmart_meta.build_runs as"
            " select 'inv' as invocation_id, 'build' as command,"
            f" timestamptz '{as_of} 06:00' as started_at,"
            f" timestamptz '{as_of} 06:05' as finished_at,"
            " 'passed' as status, '' as failed_nodes"
        )
    finally:
        con.close()


def published_state(published_dir: Path) -> dict:
    """What a reader opening now sees: the DuckDB file and the latest Parquet."""
    con = duckdb.connect(str(published_dir / pub.PUBLISHED_DB), read_only=True)
    try:
        build_id = con.execute("select build_id from main.published_build").fetchone()
        profile = con.execute("select count(*) from main.customer_profile").fetchone()
    finally:
        con.close()
    latest = pub.latest_build_dir(published_dir)
    return {
        "duckdb_build": build_id[0],
        "duckdb_customers": profile[0],
        "latest": latest.name if latest else None,
        "LATEST": (published_dir / pub.LATEST_FILE).read_text().strip(),
    }


def test_publish_writes_the_marts_to_a_duckdb_file_and_a_parquet_build(tmp_path):
    work = tmp_path / "work.duckdb"
    make_work_db(work, customers=7)
    out = tmp_path / "published"
    done = pub.publish(work, out)

    con = duckdb.connect(str(out / pub.PUBLISHED_DB), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
            " order by 1, 2"
        ).fetchall()
        sizes = con.execute(
            "select segment, members from main.segment_sizes order by 1"
        ).fetchall()
        info = con.execute(
            "select build_id, as_of_date, tables from main.published_build"
        ).fetchone()
        comment = con.execute(
            "select comment from duckdb_columns() where table_name = 'customer_profile'"
            " and column_name = 'customer_key'"
        ).fetchone()[0]
    finally:
        con.close()
    # main only (activation holds emails); the view is materialised as a table
    assert tables == [
        ("main", "customer_profile", "BASE TABLE"),
        ("main", "published_build", "BASE TABLE"),
        ("main", "segment_membership", "BASE TABLE"),
        ("main", "segment_sizes", "BASE TABLE"),
    ]
    assert sizes == [("a", 7), ("b", 7)]
    assert info[0] == done.build_id
    assert str(info[1]) == "2026-06-30"
    assert json.loads(info[2]) == {
        "main.customer_profile": 7,
        "main.segment_membership": 14,
        "main.segment_sizes": 2,
    }
    assert comment == "md5 of email"

    build_dir = out / done.build_id
    assert (out / "latest").is_symlink()
    assert pub.latest_build_dir(out) == build_dir.resolve()
    assert (out / "LATEST").read_text() == done.build_id + "\n"
    manifest = pub.read_manifest(build_dir)
    assert manifest["build_id"] == done.build_id
    assert manifest["files"] == {
        "main.customer_profile": "customer_profile.parquet",
        "main.segment_membership": "segment_membership.parquet",
        "main.segment_sizes": "segment_sizes.parquet",
    }
    con = duckdb.connect()
    try:
        for table, file_name in manifest["files"].items():
            rows = con.execute(
                f"select count(*) from read_parquet('{build_dir / file_name}')"
            ).fetchone()[0]
            assert rows == manifest["tables"][table], table
    finally:
        con.close()
    # nothing temporary is left next to what readers see
    assert sorted(p.name for p in out.iterdir() if p.name != pub.LOCK_FILE) == sorted(
        [pub.PUBLISHED_DB, done.build_id, "latest", "LATEST"]
    )


def test_personal_data_is_never_published(tmp_path):
    work = tmp_path / "work.duckdb"
    make_work_db(work, customers=3)
    with pytest.raises(pub.PublishError, match="personal or raw"):
        pub.publish(work, tmp_path / "published", schemas=("main", "activation"))
    assert not (tmp_path / "published").exists()


def test_a_reader_holding_the_file_keeps_the_whole_old_build(tmp_path):
    work = tmp_path / "work.duckdb"
    out = tmp_path / "published"
    make_work_db(work, customers=100)
    old = pub.publish(work, out)
    reader = Reader(out / pub.PUBLISHED_DB)
    try:
        # the reader has opened the file and read one row, nothing else
        assert reader.ask("id") == {"build_id": old.build_id}
        make_work_db(work, customers=300, as_of="2026-07-01")
        new = pub.publish(work, out)
        # tables it had not read yet still come from the old build, complete
        assert reader.ask("all") == {
            "build_id": old.build_id,
            "counts": {
                "customer_profile": 100,
                "published_build": 1,
                "segment_membership": 200,
                "segment_sizes": 2,
            },
        }
    finally:
        reader.close()
    # a connection opened after the publish sees the new build
    assert published_state(out) == {
        "duckdb_build": new.build_id,
        "duckdb_customers": 300,
        "latest": new.build_id,
        "LATEST": new.build_id,
    }


def test_readers_opening_during_publishes_always_see_one_whole_build(tmp_path):
    work = tmp_path / "work.duckdb"
    out = tmp_path / "published"
    make_work_db(work, customers=10)
    published = {pub.publish(work, out, keep=10).build_id: 10}
    seen: list[tuple] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_duckdb() -> tuple:
        con = duckdb.connect(str(out / pub.PUBLISHED_DB), read_only=True)
        try:
            return con.execute(
                "select (select build_id from main.published_build),"
                " (select count(*) from main.customer_profile),"
                " (select count(*) from main.segment_membership),"
                " (select sum(members) from main.segment_sizes)"
            ).fetchone()
        finally:
            con.close()

    def read_parquet() -> tuple:
        build_dir = pub.latest_build_dir(out)  # resolve once, then read that build
        manifest = pub.read_manifest(build_dir)
        con = duckdb.connect()
        try:
            counts = [
                con.execute(
                    f"select count(*) from read_parquet('{build_dir / name}')"
                ).fetchone()[0]
                for name in manifest["files"].values()
            ]
        finally:
            con.close()
        assert build_dir.name == manifest["build_id"]
        assert counts == [manifest["tables"][t] for t in manifest["files"]]
        return ("parquet", manifest["build_id"], counts[0])

    def keep_reading() -> None:
        while not stop.is_set():
            try:
                seen.append(read_duckdb())
                seen.append(read_parquet())
            except BaseException as error:  # any error is a failed read
                errors.append(error)
                return

    thread = threading.Thread(target=keep_reading)
    thread.start()
    try:
        for customers in (20, 30, 40, 50):
            make_work_db(work, customers=customers)
            published[pub.publish(work, out, keep=10).build_id] = customers
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert len(seen) > 4
    for observation in seen:
        if observation[0] == "parquet":
            _, build_id, customers = observation
            assert published[build_id] == customers
        else:
            build_id, customers, members, sized = observation
            assert published[build_id] == customers, observation
            assert members == sized == 2 * customers, observation


def test_a_failure_while_preparing_switches_nothing(tmp_path, monkeypatch):
    work = tmp_path / "work.duckdb"
    out = tmp_path / "published"
    make_work_db(work, customers=5)
    old = pub.publish(work, out)
    before = published_state(out)
    make_work_db(work, customers=6)
    calls = []
    real_export = pub.export_table

    def failing_export(con, schema, name, path):
        calls.append(name)
        if len(calls) == 2:  # the DuckDB file is written; Parquet is half-written
            raise OSError("disk full")
        real_export(con, schema, name, path)

    monkeypatch.setattr(pub, "export_table", failing_export)
    with pytest.raises(OSError, match="disk full"):
        pub.publish(work, out)
    assert published_state(out) == before
    assert before["duckdb_build"] == old.build_id
    # the half-written build and the temporary DuckDB file are gone
    assert sorted(p.name for p in out.iterdir() if p.name != pub.LOCK_FILE) == sorted(
        [pub.PUBLISHED_DB, old.build_id, "latest", "LATEST"]
    )


def test_two_publishes_into_one_folder_never_interleave(tmp_path):
    work = tmp_path / "work.duckdb"
    out = tmp_path / "published"
    make_work_db(work, customers=2)
    first = pub.publish(work, out)
    with open(out / pub.LOCK_FILE, "a") as handle:  # a publish in progress
        fcntl.flock(handle, fcntl.LOCK_EX)
        with pytest.raises(pub.PublishError, match="another publish"):
            pub.publish(work, out)
    assert published_state(out)["duckdb_build"] == first.build_id
    assert pub.published_builds(out) == [first.build_id]


def test_only_the_newest_parquet_builds_are_kept(tmp_path):
    work = tmp_path / "work.duckdb"
    out = tmp_path / "published"
    make_work_db(work, customers=2)
    ids = [pub.publish(work, out, keep=2).build_id for _ in range(4)]
    assert pub.published_builds(out) == sorted(ids)[-2:] == ids[-2:]
    assert pub.latest_build_dir(out).name == ids[-1]


def test_publish_build_with_dbt_publishes_success_and_never_a_failure(hand, tmp_path):
    out = tmp_path / "published"
    runner = CliRunner()
    # the session's hand build is what the BI tool has open
    first = runner.invoke(cli, ["publish", "--db", str(hand.db_path), "--to", str(out)])
    assert first.exit_code == 0, first.output
    old_id = published_state(out)["duckdb_build"]
    with duckdb.connect(str(hand.db_path), read_only=True) as con:
        old_customers = con.execute(
            "select count(*) from main.customer_profile"
        ).fetchone()[0]
        old_library = con.execute(
            "select count(*) from main.segment_library"
        ).fetchone()[0]
    reader = Reader(out / pub.PUBLISHED_DB)
    try:
        assert reader.ask("id") == {"build_id": old_id}
        work = tmp_path / "work.duckdb"
        common = ["--db", str(work), "--to", str(out)]
        common += ["--target-path", str(tmp_path / "target")]
        built = runner.invoke(
            cli,
            ["publish", "--build", "--raw-dir", str(FIXTURES / "raw" / "profile")]
            + common,
        )
        assert built.exit_code == 0, built.output
        after_build = published_state(out)
        assert after_build["duckdb_build"] != old_id
        assert after_build["latest"] == after_build["duckdb_build"]
        with duckdb.connect(str(work), read_only=True) as con:
            new_customers = con.execute(
                "select count(*) from main.customer_profile"
            ).fetchone()[0]
        assert new_customers != old_customers  # two different builds
        assert after_build["duckdb_customers"] == new_customers

        # the reader still holds the hand build, whole
        held = reader.ask("all")
        assert held["build_id"] == old_id
        assert held["counts"]["customer_profile"] == old_customers
        assert held["counts"]["segment_library"] == old_library

        # a build that fails (no orders export) publishes nothing
        builds_before = pub.published_builds(out)
        failed = runner.invoke(
            cli,
            [
                "publish",
                "--build",
                "--raw-dir",
                str(FIXTURES / "raw" / "missing_orders"),
            ]
            + common,
        )
        assert failed.exit_code != 0
        assert "nothing published" in failed.output
        assert published_state(out) == after_build
        assert pub.published_builds(out) == builds_before
        assert reader.ask("id") == {"build_id": old_id}
    finally:
        reader.close()
