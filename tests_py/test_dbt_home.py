"""segmart.dbt's SEGMART_DBT_HOME: builds of many databases share dbt's parse.

The database file is moved to the home's fixed path for the run and back after
it; these tests check the file handling without dbt. That the parse is reused
is checked on real builds (test_archetypes.py).
"""

from __future__ import annotations

import pytest

from segmart.contract import PROJECT_DIR
from segmart.dbt import _in_dbt_home, _parse_key


def test_database_and_its_log_go_home_and_come_back(tmp_path):
    home, target = tmp_path / "home", tmp_path / "target"
    db = tmp_path / "shop" / "w.duckdb"
    db.parent.mkdir()
    db.write_bytes(b"database")
    db.with_name("w.duckdb.wal").write_bytes(b"log")
    with _in_dbt_home(home, db, target, "k") as (path, saved):
        assert path == home / "segmart.duckdb"
        assert saved is None
        assert not db.exists()
        assert path.read_bytes() == b"database"
        assert (home / "segmart.duckdb.wal").read_bytes() == b"log"
        path.write_bytes(b"built")
    assert db.read_bytes() == b"built"
    assert db.with_name("w.duckdb.wal").read_bytes() == b"log"
    assert sorted(p.name for p in home.iterdir()) == []


def test_a_failed_run_still_puts_the_database_back(tmp_path):
    db = tmp_path / "w.duckdb"
    with (
        pytest.raises(RuntimeError),
        _in_dbt_home(tmp_path / "home", db, tmp_path / "target", "k") as (path, _),
    ):
        path.write_bytes(b"half built")
        raise RuntimeError("dbt was killed")
    assert db.read_bytes() == b"half built"


def test_a_file_left_at_home_by_a_killed_run_is_not_taken(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "segmart.duckdb").write_bytes(b"someone else's")
    (home / "segmart.duckdb.wal").write_bytes(b"someone else's log")
    db = tmp_path / "new.duckdb"  # a fresh database: no file yet
    with _in_dbt_home(home, db, tmp_path / "target", "k") as (path, _):
        assert not path.exists()
        assert not (home / "segmart.duckdb.wal").exists()
    assert not db.exists()


def test_the_parse_is_saved_once_per_key_and_offered_after(tmp_path):
    home, target = tmp_path / "home", tmp_path / "target"
    target.mkdir()
    with _in_dbt_home(home, tmp_path / "a.duckdb", target, "k") as (_, saved):
        assert saved is None
        (target / "partial_parse.msgpack").write_bytes(b"parse 1")
    with _in_dbt_home(home, tmp_path / "b.duckdb", target, "k") as (_, saved):
        assert saved == home / "k.msgpack"
        assert saved.read_bytes() == b"parse 1"
    # an old file in the target (not written by this run) is not saved
    with _in_dbt_home(home, tmp_path / "c.duckdb", target, "other") as (_, saved):
        assert saved is None
    assert not (home / "other.msgpack").exists()


def test_the_key_changes_with_vars_and_with_any_parsed_file(tmp_path):
    import shutil

    project = tmp_path / "project"
    shutil.copytree(
        PROJECT_DIR,
        project,
        ignore=shutil.ignore_patterns(".venv", "target", "*.duckdb*", ".git", "data"),
    )
    plain = ["dbt", "build"]
    key = _parse_key(project, plain)
    assert _parse_key(project, plain) == key
    assert _parse_key(project, [*plain, "--vars", '{"as_of": "2026-01-01"}']) != key
    spec = project / "segments" / "extra.sql"
    spec.write_text("-- a new spec\n")
    assert _parse_key(project, plain) != key
