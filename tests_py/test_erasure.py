"""Erasure travels through time: a request that arrives on the fourth build
removes the person from every table the builds keep (history, holdouts, change
records), from the change-feed files, the audience files and the published builds.

Three monthly `segmart run`s (as_of pinned through SEGMART_AS_OF) each publish;
then an erasure request for a customer who is in the history, the holdouts, the
change records and an audience file is appended to the exports, and the fourth
run and publish follow. Every table outside `raw` and `staging` (which keep the
exports and the request itself), but the erasure list (its key), and every file
written are searched for the email, the customer_key, the phone, the full name and
the hashed email of the ad-platform files.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import duckdb
import pytest

from segmart.generate import generate
from segmart.publish import publish
from segmart.run import run_pipeline
from tests_py import identity

DATES = (date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31))
KEPT_SCHEMAS = ("raw", "staging")  # the exports and the request itself
# the request as a key: the list the builds forget from (intermediate)
ERASURE_LIST = "intermediate.int_erased_customers"


def one(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("erasure")
    raw, db = root / "raw", root / "work.duckdb"
    audiences, published = root / "out" / "audiences", root / "published"
    generate(raw, customers=400, seed=11, progress=False)
    patch = pytest.MonkeyPatch()
    for day in DATES:
        patch.setenv("SEGMART_AS_OF", day.isoformat())
        assert run_pipeline(raw, db, audiences) == 0
        publish(db, published, keep=10, build_id=f"b{day:%Y%m%d}")
    patch.delenv("SEGMART_AS_OF")
    # someone every kept table and an audience file knows about
    person = one(
        db,
        """
        select people.email, people.customer_key, people.phone,
            people.first_name, people.last_name
        from intermediate.int_customers_identified as people
        where people.phone is not null and people.last_name is not null
          and people.customer_key in (
              select customer_key from main.customer_segment_changes
          )
          and people.customer_key in (
              select customer_key from activation.segment_holdouts
          )
          and people.email in (select email from activation.audience_members)
          -- a name nobody else has, so a row with it can only be theirs
          and (people.first_name, people.last_name) in (
              select (first_name, last_name) from intermediate.int_customers_identified
              group by first_name, last_name having count(*) = 1
          )
          and people.customer_key in (
              select customer_key from main.segment_membership_history
              group by customer_key having count(distinct as_of_date) = 3
          )
        order by people.customer_key
        limit 1
        """,
    )
    assert person, "the fixture has nobody in changes, holdouts and an audience"
    email, key, phone, first, last = person[0]
    before = {
        "history": one(
            db,
            "select count(distinct as_of_date) from main.segment_membership_history "
            f"where customer_key = '{key}'",
        )[0][0],
        "files": files_mentioning(root / "out", [email]),
    }
    with (raw / "erasure_requests.csv").open("a", encoding="utf-8") as handle:
        handle.write(f"{email.upper()},2026-06-20T09:00:00Z\n")
    assert run_pipeline(raw, db, audiences) == 0
    publish(db, published, keep=10, build_id="b20260630")
    patch.undo()
    return {
        "root": root,
        "db": db,
        "published": published,
        "email": email,
        "key": key,
        "phone": phone,
        "name": (first.lower(), last.lower()),
        "before": before,
    }


def files_mentioning(folder: Path, needles: list[str]) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace").lower()
            if any(needle.lower() in text for needle in needles):
                found.append(str(path.relative_to(folder)))
    return found


def rows_mentioning(con: duckdb.DuckDBPyConnection, relation: str, w: dict) -> int:
    first, last = w["name"]
    return con.execute(
        f"select count(*) from {relation} as t where "
        "contains(lower(cast(t as varchar)), ?) "
        "or contains(lower(cast(t as varchar)), ?) "
        "or contains(cast(t as varchar), ?) "
        "or (contains(lower(cast(t as varchar)), ?) "
        "    and contains(lower(cast(t as varchar)), ?))",
        [w["email"], w["key"], w["phone"], first, last],
    ).fetchone()[0]


def test_the_person_was_known_before_the_request(world):
    # the key is the test installation's keyed hash, computed independently
    assert world["key"] == identity.key(world["email"])
    assert world["before"]["history"] == len(DATES)
    assert world["before"]["files"], "no audience file held the email before"


def test_no_table_outside_raw_and_staging_holds_the_person(world):
    with duckdb.connect(str(world["db"]), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema not in {KEPT_SCHEMAS}"
        ).fetchall()
        assert len(tables) > 30
        holding = [
            f"{schema}.{name}"
            for schema, name in tables
            if f"{schema}.{name}" != ERASURE_LIST
            and rows_mentioning(con, f'"{schema}"."{name}"', world)
        ]
        assert rows_mentioning(con, ERASURE_LIST, world) == 1
    assert holding == []


def test_history_holdouts_and_changes_forgot_every_date(world):
    key = world["key"]
    for relation in (
        "main.segment_membership_history",
        "main.customer_segment_changes",
        "activation.segment_holdouts",
    ):
        got = one(
            world["db"], f"select count(*) from {relation} where customer_key = '{key}'"
        )
        assert got == [(0,)], relation
    # the other customers' history is kept: every date is still there
    dates = one(
        world["db"],
        "select count(distinct as_of_date) from main.segment_membership_history",
    )
    assert dates == [(len(DATES) + 1,)]


def test_no_file_written_holds_the_person(world):
    hashed = hashlib.sha256(world["email"].encode()).hexdigest()
    needles = [world["email"], world["key"], world["phone"], hashed]
    assert files_mentioning(world["root"] / "out", needles) == []


def test_no_published_build_holds_the_person(world):
    published = world["published"]
    con = duckdb.connect()
    try:
        for parquet in sorted(published.glob("*/*.parquet")):
            literal = "'" + str(parquet) + "'"
            assert rows_mentioning(con, f"read_parquet({literal})", world) == 0, parquet
        con.execute(f"attach '{published / 'segmart.duckdb'}' as pub (read_only)")
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'pub'"
        ).fetchall()
        for schema, name in tables:
            assert rows_mentioning(con, f'pub."{schema}"."{name}"', world) == 0, name
    finally:
        con.close()
    # the builds from before the request held the key, so they are gone
    assert sorted(p.name for p in published.iterdir() if p.name.startswith("b")) == [
        "b20260630"
    ]
