"""One tier: its exports, the floor and pandas, the full build, their agreement,
the daily refresh.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

import duckdb

from benchmarks.common import (
    BASE_END,
    BENCH_DIR,
    GIB,
    PROJECT_DIR,
    SEED,
    TIERS,
    cached,
    fresh_database,
    generate,
    log,
    measured,
    segmart_cli,
)
from benchmarks.facts import COMPARED
from benchmarks.timing import dbt_build
from segmart.contract import contract

# The date that puts a row in the last day (the "daily export delta"): rows whose
# date is after BASE_END are appended by the refresh. Order lines follow their order;
# products are a catalogue snapshot (all in the base).
ROW_DATES = {
    "orders": "coalesce(updated_at, ordered_at)",
    "refunds": "refunded_at",
    "customers": "created_at",
    "engagement_events": "occurred_at",
    "tickets": "created_at",
    "reviews": "created_at",
    "campaigns": "sent_at",
    "suppressions": "suppressed_at",
    "erasure_requests": "requested_at",
    "fx_rates": "rate_date",
}


# ------------------------------------------------------------------------------------
# Data: generate, split off the last day, append it
# ------------------------------------------------------------------------------------


def prepare_data(tier_dir: Path, customers: int) -> dict:
    """Exports ending BASE_END in tier_dir/base, the next day's rows in tier_dir/delta.

    One generation ending BASE_END + 1 day, split by row date, so the appended day
    is consistent with the base (same people, ids and catalogue). Cached: a stamp
    with the same customers, seed and dates skips the work.
    """
    stamp_path = tier_dir / "data.json"
    wanted = {"customers": customers, "seed": SEED, "base_end": str(BASE_END)}
    if (stamp := cached(stamp_path, wanted, tier_dir)) is not None:
        return stamp
    for sub in ("full", "base", "delta"):
        shutil.rmtree(tier_dir / sub, ignore_errors=True)
    tier_dir.mkdir(parents=True, exist_ok=True)
    full = tier_dir / "full"
    log(f"generating {customers:,} customers into {full}")
    gen = generate(
        customers, full, tier_dir / "generate.log", BASE_END + timedelta(days=1)
    )
    log(f"generated in {gen['seconds']:.0f} s; splitting off {BASE_END + timedelta(1)}")
    start = time.perf_counter()
    files = split_last_day(full, tier_dir / "base", tier_dir / "delta")
    shutil.rmtree(full)
    stamp = {
        **wanted,
        "generate_seconds": gen["seconds"],
        "split_seconds": round(time.perf_counter() - start, 1),
        "files": files,
        "base_bytes": sum(p.stat().st_size for p in (tier_dir / "base").iterdir()),
    }
    stamp_path.write_text(json.dumps(stamp, indent=2) + "\n")
    return stamp


def split_last_day(full: Path, base: Path, delta: Path) -> dict:
    """Write base (rows up to BASE_END, with header) and delta (later, no header)."""
    base.mkdir(parents=True)
    delta.mkdir(parents=True)
    counts: dict[str, dict[str, int]] = {}
    con = duckdb.connect()
    try:

        def reader(path: Path) -> str:
            return (
                f"read_csv('{path}', header = true, all_varchar = true, delim = ',',"
                " quote = '\"', escape = '\"')"
            )

        def copy(select: str, out: Path, header: bool) -> int:
            head = "true" if header else "false"
            con.execute(f"copy ({select}) to '{out}' (format csv, header {head})")
            return con.execute(f"select count(*) from ({select})").fetchone()[0]

        for name in contract():
            src = full / f"{name}.csv"
            if not src.exists():
                continue
            if name == "order_lines":
                con.execute(
                    "create or replace temp table base_orders as select distinct"
                    f" order_id from {reader(base / 'orders.csv')}"
                )
                in_base = "order_id in (select order_id from base_orders)"
                cond_base, cond_delta = in_base, f"not ({in_base})"
            elif name in ROW_DATES:
                day = f"try_cast(left({ROW_DATES[name]}, 10) as date)"
                cond_base = f"coalesce({day} <= date '{BASE_END}', true)"
                cond_delta = f"{day} > date '{BASE_END}'"
            else:
                cond_base, cond_delta = "true", "false"
            select = f"select * from {reader(src)} where "
            counts[name] = {
                "base_rows": copy(select + cond_base, base / src.name, True),
                "delta_rows": copy(select + cond_delta, delta / src.name, False),
            }
    finally:
        con.close()
    return counts


@contextlib.contextmanager
def appended(base: Path, delta: Path):
    """Append the delta rows to the base files; truncate them back afterwards."""
    sizes = {p: p.stat().st_size for p in base.glob("*.csv")}
    try:
        for part in delta.glob("*.csv"):
            if part.stat().st_size == 0:
                continue
            with open(base / part.name, "ab") as out, open(part, "rb") as src:
                shutil.copyfileobj(src, out, 16 * 1024 * 1024)
        yield
    finally:
        for path, size in sizes.items():
            os.truncate(path, size)


# The references and their agreement
# ------------------------------------------------------------------------------------


def reference(kind: str, raw_dir: Path, out: Path, timeout: float | None) -> dict:
    script = BENCH_DIR / f"reference_{kind}.py"
    out.unlink(missing_ok=True)
    run = measured(
        [sys.executable, str(script), str(raw_dir), str(out)],
        out.with_suffix(".log"),
        cwd=PROJECT_DIR,
        timeout=timeout,
    )
    run["command"] = f"python benchmarks/{script.name}"
    if run["returncode"] != 0:
        log_text = Path(run["log"]).read_text(errors="replace")
        run["error"] = log_text.strip().splitlines()[-1:] or ["killed"]
    return run


def agreement(floor: Path, pandas: Path | None, db_path: Path | None) -> dict:
    """Compare the facts of every customer across the floor, pandas and dbt."""
    con = duckdb.connect()
    try:
        sources = {
            "floor": f"""
                select * exclude (net_revenue, contribution_margin),
                    cast(round(net_revenue * 100) as bigint) as net_revenue_cents,
                    cast(round(contribution_margin * 100) as bigint)
                        as contribution_margin_cents
                from read_parquet('{floor}')""",
        }
        if pandas is not None and pandas.exists():
            sources["pandas"] = f"select * from read_parquet('{pandas}')"
        if db_path is not None and db_path.exists():
            con.execute(f"attach '{db_path}' as build (read_only)")
            cols = ", ".join(
                c
                for c in COMPARED
                if c not in ("net_revenue_cents", "contribution_margin_cents")
            )
            sources["dbt"] = f"""
                select customer_key, {cols},
                    cast(round(net_revenue * 100) as bigint) as net_revenue_cents,
                    cast(round(contribution_margin * 100) as bigint)
                        as contribution_margin_cents
                from build.main.customer_profile
                where orders_count > 0"""
        for name, sql in sources.items():
            con.execute(f"create temp table {name} as {sql}")
        totals = {}
        for name in sources:
            row = con.execute(
                f"select count(*), sum(orders_count), sum(net_revenue_cents),"
                f" sum(contribution_margin_cents), sum(recency_score),"
                f" sum(frequency_score), sum(monetary_score) from {name}"
            ).fetchone()
            totals[name] = dict(
                zip(
                    [
                        "customers",
                        "orders",
                        "net_revenue_cents",
                        "contribution_margin_cents",
                        "recency_score_sum",
                        "frequency_score_sum",
                        "monetary_score_sum",
                    ],
                    [int(v or 0) for v in row],
                    strict=True,
                )
            )
        mismatches = {}
        for other in sources:
            if other == "floor":
                continue
            diff = " or ".join(f"a.{c} is distinct from b.{c}" for c in COMPARED)
            mismatches[f"floor_vs_{other}"] = con.execute(
                f"select count(*) from floor as a full join {other} as b"
                f" using (customer_key) where {diff}"
            ).fetchone()[0]
        return {
            "totals": totals,
            "mismatched_customers": mismatches,
            "agree": all(v == 0 for v in mismatches.values()),
        }
    finally:
        con.close()


# ------------------------------------------------------------------------------------
# One tier
# ------------------------------------------------------------------------------------


def run_tier(
    tier: str, work_dir: Path, args: argparse.Namespace, previous: dict | None
) -> dict:
    customers = TIERS[tier]
    tier_dir = work_dir / tier
    data = prepare_data(tier_dir, customers)
    base = tier_dir / "base"
    db_path = tier_dir / "segmart.duckdb"
    if args.refresh_only:
        if not previous or previous.get("build", {}).get("returncode") != 0:
            raise SystemExit(f"{tier}: --refresh-only needs an earlier full build")
        if previous.get("refresh"):
            raise SystemExit(f"{tier}: the database already had its refresh")
        result = dict(previous)
        refresh(result, tier, tier_dir, db_path, args)
        result["ratios"] = ratios(result)
        return result
    result: dict = {
        "customers": customers,
        "seed": SEED,
        "rows": {name: c["base_rows"] for name, c in data["files"].items()},
        "appended_day": str(BASE_END + timedelta(days=1)),
        "appended_rows": {name: c["delta_rows"] for name, c in data["files"].items()},
        "exports_gib": round(data["base_bytes"] / GIB, 2),
        "generate_seconds": data["generate_seconds"],
    }
    refs = tier_dir / "refs"
    refs.mkdir(exist_ok=True)
    log(f"{tier}: floor (DuckDB SQL)")
    result["floor"] = reference("duckdb", base, refs / "floor.parquet", None)
    pandas_out = refs / "pandas.parquet"
    if args.skip_pandas:
        result["pandas"] = {"skipped": True}
    else:
        log(f"{tier}: pandas")
        result["pandas"] = reference("pandas", base, pandas_out, args.pandas_timeout)
    fresh_database(db_path)
    log(f"{tier}: full dbt build")
    result["build"] = dbt_build(db_path, base, tier_dir / "target_full", args)
    built = result["build"]["returncode"] == 0
    log(f"{tier}: comparing the facts")
    result["agreement"] = agreement(
        refs / "floor.parquet",
        pandas_out if result["pandas"].get("returncode") == 0 else None,
        db_path if built else None,
    )
    if built:
        log(f"{tier}: segmart publish (BI copy of the marts)")
        published = tier_dir / "published"
        shutil.rmtree(published, ignore_errors=True)
        result["publish"] = measured(
            [segmart_cli(), "publish", "--db", str(db_path), "--to", str(published)],
            tier_dir / "publish.log",
            cwd=PROJECT_DIR,
        )
        result["publish"]["command"] = "segmart publish"
    if built and not args.skip_refresh:
        refresh(result, tier, tier_dir, db_path, args)
    result["db_gib"] = (
        round(db_path.stat().st_size / GIB, 2) if db_path.exists() else None
    )
    result["ratios"] = ratios(result)
    return result


def refresh(
    result: dict, tier: str, tier_dir: Path, db_path: Path, args: argparse.Namespace
) -> None:
    """Append the next day to the exports and dbt build again on the same database."""
    log(f"{tier}: daily refresh (+{result['appended_day']})")
    base, delta = tier_dir / "base", tier_dir / "delta"
    with appended(base, delta):
        result["refresh"] = dbt_build(db_path, base, tier_dir / "target_refresh", args)
    if result["refresh"]["returncode"] == 0:
        con = duckdb.connect(str(db_path), read_only=True)
        try:
            result["refresh"]["as_of_after"] = str(
                con.execute(
                    "select max(as_of_date) from main.customer_profile"
                ).fetchone()[0]
            )
        finally:
            con.close()
    result["db_gib"] = round(db_path.stat().st_size / GIB, 2)


def ratios(r: dict) -> dict:
    floor = r["floor"]["seconds"] if r["floor"].get("returncode") == 0 else None
    build = r["build"]["seconds"] if r["build"].get("returncode") == 0 else None
    pandas = r["pandas"].get("seconds") if r["pandas"].get("returncode") == 0 else None
    refresh = r.get("refresh", {})
    refresh_s = refresh.get("seconds") if refresh.get("returncode") == 0 else None
    out = {}
    if floor and build:
        out["build_vs_floor"] = round(build / floor, 2)
    if floor and pandas:
        out["pandas_vs_floor"] = round(pandas / floor, 2)
    if build and pandas:
        out["pandas_vs_build"] = round(pandas / build, 2)
    if build and refresh_s:
        out["refresh_vs_build"] = round(refresh_s / build, 2)
    if floor and r["build"].get("rfm_path_node_seconds"):
        out["rfm_path_vs_floor"] = round(r["build"]["rfm_path_node_seconds"] / floor, 2)
    return out
