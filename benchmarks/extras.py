"""The rows besides the tiers: a 20-order shop's first build, the analyst's loop."""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import re
import shlex
import shutil
from pathlib import Path

import duckdb

from benchmarks.common import (
    DEMO_CUSTOMERS,
    LOOP_SPEC_MARKER,
    LOOP_SPEC_NAME,
    LOOP_SPEC_SOURCE,
    PROJECT_DIR,
    SEED,
    TARGETS,
    TINY_GENERATE_CUSTOMERS,
    TINY_ORDERS,
    cached,
    fresh_database,
    generate,
    log,
)
from benchmarks.timing import build_phases, dbt_build, dbt_parse, slowest_nodes
from segmart.contract import contract


def prepare_tiny(tiny_dir: Path) -> dict:
    """Exports of a shop with TINY_ORDERS orders in tiny_dir/raw (cached).

    Generated with TINY_GENERATE_CUSTOMERS customers, then cut: the first
    TINY_ORDERS order ids of orders.csv in file order (every version of them),
    their lines and refunds, the customers who placed them, and the email-keyed
    rows (events, tickets, reviews, suppressions, erasure requests) of those
    customers. The shop's reference data (products, FX rates, campaigns) is kept
    whole, so every reference in the kept rows resolves.
    """
    stamp_path = tiny_dir / "data.json"
    wanted = {
        "generate_customers": TINY_GENERATE_CUSTOMERS,
        "orders_wanted": TINY_ORDERS,
        "seed": SEED,
    }
    if (stamp := cached(stamp_path, wanted, tiny_dir / "raw")) is not None:
        return stamp
    full, raw = tiny_dir / "full", tiny_dir / "raw"
    tiny_dir.mkdir(parents=True, exist_ok=True)
    log(f"generating {TINY_GENERATE_CUSTOMERS} customers into {full}")
    gen = generate(TINY_GENERATE_CUSTOMERS, full, tiny_dir / "generate.log")
    shutil.rmtree(raw, ignore_errors=True)
    raw.mkdir()
    con = duckdb.connect()
    rows: dict[str, int] = {}
    try:

        def reader(name: str) -> str:
            return (
                f"read_csv('{full / name}.csv', header = true, all_varchar = true,"
                " delim = ',', quote = '\"', escape = '\"')"
            )

        order_ids: list[str] = []
        with open(full / "orders.csv", newline="") as orders:
            for row in csv.DictReader(orders):
                if row["order_id"] not in order_ids:
                    order_ids.append(row["order_id"])
                if len(order_ids) == TINY_ORDERS:
                    break
        con.execute("create temp table kept_orders (order_id varchar)")
        con.executemany("insert into kept_orders values (?)", [[i] for i in order_ids])
        con.execute(
            "create temp table kept_customers as select distinct customer_id"
            f" from {reader('orders')} where order_id in (select order_id"
            " from kept_orders) and customer_id is not null"
        )
        con.execute(
            "create temp table kept_emails as"
            f" select lower(trim(email)) as email from {reader('orders')}"
            " where order_id in (select order_id from kept_orders)"
            f" union select lower(trim(email)) from {reader('customers')}"
            " where customer_id in (select customer_id from kept_customers)"
        )
        in_emails = "lower(trim(email)) in (select email from kept_emails)"
        keep = {
            "orders": "order_id in (select order_id from kept_orders)",
            "order_lines": "order_id in (select order_id from kept_orders)",
            "refunds": "order_id in (select order_id from kept_orders)",
            "customers": "customer_id in (select customer_id from kept_customers)",
            "engagement_events": in_emails,
            "tickets": in_emails,
            "reviews": in_emails,
            "suppressions": in_emails,
            "erasure_requests": in_emails,
        }
        for name in contract():
            src = full / f"{name}.csv"
            if not src.exists():
                continue
            select = f"select * from {reader(name)} where {keep.get(name, 'true')}"
            con.execute(
                f"copy ({select}) to '{raw / src.name}' (format csv, header true)"
            )
            rows[name] = con.execute(f"select count(*) from ({select})").fetchone()[0]
    finally:
        con.close()
    shutil.rmtree(full)
    stamp = {
        **wanted,
        "generate_seconds": gen["seconds"],
        "rows": rows,
        "orders": len(order_ids),
    }
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n")
    return stamp


def prepare_demo(demo_dir: Path) -> dict:
    """The demo shop's exports (DEMO_CUSTOMERS, seed SEED) in demo_dir/raw (cached)."""
    stamp_path = demo_dir / "data.json"
    wanted = {"customers": DEMO_CUSTOMERS, "seed": SEED}
    if (stamp := cached(stamp_path, wanted, demo_dir / "raw")) is not None:
        return stamp
    demo_dir.mkdir(parents=True, exist_ok=True)
    log(f"generating {DEMO_CUSTOMERS:,} customers into {demo_dir / 'raw'}")
    gen = generate(DEMO_CUSTOMERS, demo_dir / "raw", demo_dir / "generate.log")
    con = duckdb.connect()
    try:
        rows = {
            p.stem: con.execute(
                f"select count(*) from read_csv('{p}', header = true,"
                " all_varchar = true)"
            ).fetchone()[0]
            for p in sorted((demo_dir / "raw").glob("*.csv"))
        }
    finally:
        con.close()
    stamp = {**wanted, "generate_seconds": gen["seconds"], "rows": rows}
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n")
    return stamp


def run_tiny(work_dir: Path, args: argparse.Namespace) -> dict:
    """A fresh `dbt build` of a TINY_ORDERS-order shop into a new database."""
    tiny_dir = work_dir / "tiny"
    data = prepare_tiny(tiny_dir)
    db_path = tiny_dir / "segmart.duckdb"
    target = tiny_dir / "target"
    fresh_database(db_path)
    shutil.rmtree(target, ignore_errors=True)  # no partial parse: a first build
    log(f"tiny: fresh dbt build of a {data['orders']}-order shop")
    result: dict = {
        "orders": data["orders"],
        "rows": data["rows"],
        "generated_customers": data["generate_customers"],
        "seed": SEED,
    }
    build = dbt_build(db_path, tiny_dir / "raw", target, args)
    build["phases"] = build_phases(target, build["seconds"])
    build["slowest_nodes"] = slowest_nodes(target)
    result["build"] = build
    log("tiny: dbt parse --no-partial-parse (alone)")
    result["parse"] = dbt_parse(db_path, tiny_dir / "raw", tiny_dir / "parse", args)
    result["target_seconds"] = TARGETS["tiny_build_seconds_max"]
    if build["returncode"] == 0:
        result["vs_target"] = round(build["seconds"] / result["target_seconds"], 2)
    return result


def spec_file(name: str) -> Path:
    return PROJECT_DIR / "segments" / f"{name}.sql"


def bench_spec_text() -> str:
    """LOOP_SPEC_SOURCE's spec renamed LOOP_SPEC_NAME, with an unused priority."""
    priorities = [
        int(m)
        for path in (PROJECT_DIR / "segments").glob("*.sql")
        if path.stem != LOOP_SPEC_NAME
        for m in re.findall(r"'priority'\s*:\s*(\d+)", path.read_text())
    ]
    text = spec_file(LOOP_SPEC_SOURCE).read_text()
    text = text.replace(
        f"segment_spec__{LOOP_SPEC_SOURCE}()", f"segment_spec__{LOOP_SPEC_NAME}()"
    )
    text = text.replace(f"'name': '{LOOP_SPEC_SOURCE}'", f"'name': '{LOOP_SPEC_NAME}'")
    text, replaced = re.subn(
        r"'priority'\s*:\s*\d+", f"'priority': {max(priorities) + 1}", text
    )
    if replaced != 1 or f"segment_spec__{LOOP_SPEC_NAME}()" not in text:
        raise RuntimeError(
            f"segments/{LOOP_SPEC_SOURCE}.sql: cannot derive the bench spec from it"
            " (macro name or priority not found)"
        )
    return f"{{#- {LOOP_SPEC_MARKER} -#}}\n{text}"


@contextlib.contextmanager
def added_spec():
    """segments/LOOP_SPEC_NAME.sql for the duration of the block, then removed."""
    path = spec_file(LOOP_SPEC_NAME)
    if path.exists():
        if LOOP_SPEC_MARKER not in path.read_text():
            raise SystemExit(f"{path} exists and was not written by the benchmark")
        path.unlink()  # left by a run that was killed
    try:
        path.write_text(bench_spec_text())
        yield path
    finally:
        path.unlink(missing_ok=True)


def run_loop(work_dir: Path, args: argparse.Namespace) -> dict:
    """The analyst's loop on the demo shop: full build, add a spec, rebuild its part."""
    demo_dir = work_dir / "demo"
    data = prepare_demo(demo_dir)
    db_path = demo_dir / "segmart.duckdb"
    target = demo_dir / "target"
    raw = demo_dir / "raw"
    fresh_database(db_path)
    result: dict = {
        "customers": DEMO_CUSTOMERS,
        "seed": SEED,
        "rows": data["rows"],
        "select": args.loop_select,
    }
    log("loop: full dbt build of the demo shop")
    full = dbt_build(db_path, raw, target, args)
    full["phases"] = build_phases(target, full["seconds"])
    result["full_build"] = full
    if full["returncode"] != 0:
        return result
    select = shlex.split(args.loop_select)
    log(f"loop: add segments/{LOOP_SPEC_NAME}.sql, dbt build --select {select}")
    with added_spec():
        # the same target folder: dbt parses only what changed, as for an analyst
        rebuild = dbt_build(
            db_path, raw, target, args, select=select, logs="logs_rebuild"
        )
    rebuild["phases"] = build_phases(target, rebuild["seconds"], "logs_rebuild")
    rebuild["slowest_nodes"] = slowest_nodes(target)
    result["rebuild"] = rebuild
    if rebuild["returncode"] == 0:
        # the rebuild did the analyst's work: the new segment is in the library
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            row = con.execute(
                "select customers_count from main.segment_library"
                " where segment_name = ?",
                [LOOP_SPEC_NAME],
            ).fetchone()
        finally:
            con.close()
        result["spec_in_library"] = row is not None
        result["spec_members"] = row[0] if row else None
    result["target_seconds"] = TARGETS["analyst_loop_seconds_max"]
    if rebuild["returncode"] == 0:
        result["vs_target"] = round(rebuild["seconds"] / result["target_seconds"], 2)
    return result
