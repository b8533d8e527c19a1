"""segmart's benchmark: one command, every tier, every figure (benchmarks/README.md).

    .venv/bin/python benchmarks/run.py [--tiers S,M,L] [--extra tiny,loop]
        [--only tiny,loop] [--loop-select SELECTOR] [--work-dir DIR]
    make bench [TIERS=S,M]

Per tier it generates the demo exports (``segmart generate``, fixed seed), keeps
the last day apart, and measures on the same files:

1. the floor: one hand-written DuckDB query (``reference_floor.sql``) computing the
   per-customer RFM and margin facts;
2. the same facts in pandas (``reference_pandas.py``);
3. a full ``dbt build`` into a fresh database: wall time, peak memory (the peak
   resident set of the dbt process, from wait4), node time per layer from
   run_results.json;
4. that the floor, pandas and ``customer_profile`` hold the same facts;
5. a daily refresh: the last day's rows are appended to the exports and ``dbt
   build`` runs again on the same database (whatever the project does today:
   incremental models where it has them).

Besides the tiers, in the same run (``--extra``, default ``tiny,loop``; alone:
``--only tiny,loop``, 2-3 minutes):

- ``tiny``: a fresh ``dbt build`` of a 20-order shop into a new database, with no
  partial parse (a new user's first build), and ``dbt parse`` alone;
- ``loop``: the analyst's loop on the demo shop (5,000 customers): after a full
  build, one segment spec is added to segments/ and ``dbt build --select
  LOOP_SELECT`` (``--loop-select``) runs; the spec file is removed afterwards.

Each is timed against its target, with node counts and node time per resource
type and where the wall time went (dbt.log).

Results are merged into ``benchmarks/results.json`` (a tier or row run later
replaces that tier or row only) and the tables in ``benchmarks/README.md`` are
rewritten from it. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import yaml

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(PROJECT_DIR))

from segmart.contract import contract  # noqa: E402
from segmart.dbt import dbt_executable  # noqa: E402

TIERS = {"S": 10_000, "M": 100_000, "L": 1_000_000}
SEED = 7
# The base exports end on BASE_END; the refresh appends BASE_END + 1 day.
BASE_END = date(2026, 6, 30)
GIB = 1024**3
RESULTS_JSON = BENCH_DIR / "results.json"
README = BENCH_DIR / "README.md"
TABLE_START = "<!-- results:start -->"
TABLE_END = "<!-- results:end -->"
TARGETS = {
    "build_vs_floor_max": 3.0,
    "pandas_vs_build_min": 5.0,
    "peak_memory_gib_max": 8.0,
    "refresh_vs_build_max": 0.10,
    "tiny_build_seconds_max": 8.0,
    "analyst_loop_seconds_max": 5.0,
}
# The rows measured besides the tiers (issue #20), run with the tiers by default
# (--extra) or alone (--only tiny,loop).
EXTRAS = ("tiny", "loop")
# "tiny": a fresh `dbt build` of a shop with about TINY_ORDERS orders, the first
# build a new user runs. The generator's order count per customer varies a lot, so
# TINY_GENERATE_CUSTOMERS customers are generated and the exports are cut to the
# first TINY_ORDERS orders and the rows that belong to them.
TINY_ORDERS = 20
TINY_GENERATE_CUSTOMERS = 20
# "loop": the analyst's loop on the demo shop (`make demo`: 5,000 customers, seed
# 7). After a full build, one segment spec is added and the part of the project it
# feeds is rebuilt with the command the docs give. LOOP_SELECT is that command's
# selector, in one place: change it (or pass --loop-select) when models are renamed.
DEMO_CUSTOMERS = 5_000
LOOP_SELECT = "int_segment_candidates+"
LOOP_SPEC_SOURCE = "lost"  # the starter spec the added spec is copied from
LOOP_SPEC_NAME = "zz_bench_spec"
LOOP_SPEC_MARKER = "-- written by benchmarks/run.py (analyst loop); safe to delete"
# dbt resource types, by the prefix of a unique_id in run_results.json.
NODE_TYPES = {
    "model.": "models",
    "seed.": "seeds",
    "snapshot.": "snapshots",
    "test.": "data tests",
    "unit_test.": "unit tests",
    "operation.": "hooks",
    "exposure.": "exposures",
}

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


def log(message: str) -> None:
    stamp = datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", flush=True)


# ------------------------------------------------------------------------------------
# Measuring a subprocess
# ------------------------------------------------------------------------------------


def measured(
    cmd: list[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
    watch_dir: Path | None = None,
) -> dict:
    """Run `cmd`; return its wall time, exit code and peak RSS (GiB).

    The peak is ru_maxrss of the child from wait4: the largest resident set the
    process reached (dbt, DuckDB and the Python models run in that one process).
    On timeout the process group is terminated and `timed_out` is set.
    `watch_dir` (DuckDB's spill folder) is measured every few seconds: the peak
    disk it took is `peak_temp_gib`.
    """
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    timed_out = False
    with open(log_path, "w") as out:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        kill_at = None
        peak_temp = 0
        last_watch = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            now = time.perf_counter()
            if watch_dir is not None and now - last_watch > 5:
                last_watch = now
                peak_temp = max(peak_temp, dir_bytes(watch_dir))
            if timeout and now - start > timeout and not timed_out:
                timed_out = True
                kill_at = now + 15
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
            if kill_at and now > kill_at:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                kill_at = None
            time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    extra = {"peak_temp_gib": round(peak_temp / GIB, 2)} if watch_dir else {}
    return {
        **extra,
        "seconds": round(time.perf_counter() - start, 2),
        "returncode": proc.returncode,
        "peak_rss_gib": round(usage.ru_maxrss * 1024 / GIB, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "timed_out": timed_out,
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "log": str(log_path),
    }


def dir_bytes(path: Path) -> int:
    """Total size of the files in a folder (0 when it does not exist)."""
    total = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(path):
            with contextlib.suppress(OSError):
                total += entry.stat(follow_symlinks=False).st_size
    return total


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
    if stamp_path.exists():
        stamp = json.loads(stamp_path.read_text())
        if {k: stamp.get(k) for k in wanted} == wanted:
            log(f"reusing the exports in {tier_dir}")
            return stamp
    for sub in ("full", "base", "delta"):
        shutil.rmtree(tier_dir / sub, ignore_errors=True)
    tier_dir.mkdir(parents=True, exist_ok=True)
    full = tier_dir / "full"
    log(f"generating {customers:,} customers into {full}")
    segmart_cli = str(Path(sys.executable).parent / "segmart")
    gen = measured(
        [
            segmart_cli,
            "generate",
            "--customers",
            str(customers),
            "--seed",
            str(SEED),
            "--end-date",
            str(BASE_END + timedelta(days=1)),
            "--out",
            str(full),
            "--quiet",
        ],
        tier_dir / "generate.log",
        cwd=PROJECT_DIR,
    )
    if gen["returncode"] != 0:
        raise RuntimeError(f"segmart generate failed: see {gen['log']}")
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


# ------------------------------------------------------------------------------------
# dbt
# ------------------------------------------------------------------------------------


def profiles_dir(settings: dict[str, str], where: Path) -> Path:
    """The project's profiles.yml, with extra DuckDB settings when given."""
    if not settings:
        return PROJECT_DIR
    profiles = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    output = profiles["segmart"]["outputs"]["duckdb"]
    output.setdefault("settings", {}).update(settings)
    where.mkdir(parents=True, exist_ok=True)
    (where / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    return where


def dbt_env(
    db_path: Path, raw_dir: Path, target: Path, args: argparse.Namespace
) -> dict[str, str]:
    """What dbt gets: the profile (a copy with --duckdb-setting), database, exports."""
    env = dict(os.environ)
    env.update(
        {
            "DBT_PROFILES_DIR": str(
                profiles_dir(args.duckdb_settings or {}, target / "profile")
            ),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "0",
            "SEGMART_DB_PATH": str(db_path),
            "SEGMART_RAW_DIR": str(raw_dir),
        }
    )
    return env


def dbt_build(
    db_path: Path,
    raw_dir: Path,
    target: Path,
    args: argparse.Namespace,
    select: list[str] | None = None,
    logs: str = "logs",
) -> dict:
    """`dbt build` of the project, measured (args: timeout, settings, threads).

    `select`: the arguments of ``--select`` (all of the project when None).
    `logs`: dbt's log folder in `target`, emptied first (dbt.log then holds this
    build only: `build_phases` reads it).
    """
    settings = args.duckdb_settings
    env = dbt_env(db_path, raw_dir, target, args)
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").unlink(missing_ok=True)
    cmd = [dbt_executable(), "build", "--project-dir", str(PROJECT_DIR)]
    if select:
        cmd += ["--select", *select]
    if args.dbt_threads:
        cmd += ["--threads", str(args.dbt_threads)]
    for old_log in (target / logs).glob("dbt.log*"):
        old_log.unlink()
    cmd += ["--target-path", str(target), "--log-path", str(target / logs)]
    run = measured(
        cmd,
        target / "build.log",
        env=env,
        cwd=PROJECT_DIR,
        timeout=args.timeout,
        watch_dir=db_path.with_name(db_path.name + ".tmp"),
    )
    run["command"] = shlex.join(
        ["dbt", "build", *(["--select", *select] if select else [])]
    )
    if settings:
        run["duckdb_settings"] = settings
    if args.dbt_threads:
        run["dbt_threads"] = args.dbt_threads
    run.update(node_times(target))
    if run["returncode"] != 0:
        run["progress"] = last_progress_line(target / "build.log")
    return run


def layer_of(unique_id: str, nodes: dict) -> str:
    """staging / intermediate / marts / seeds / landing for a run_results entry."""
    if unique_id.startswith("operation."):
        return "landing"
    node = nodes.get(unique_id, {})
    if unique_id.startswith(("test.", "unit_test.")):
        parents = [p for p in node.get("depends_on", {}).get("nodes", []) if p]
        models = [p for p in parents if p.startswith(("model.", "seed."))]
        return layer_of(models[0], nodes) if models else "other"
    path = node.get("original_file_path", "")
    for layer in ("staging", "intermediate", "marts"):
        if path.startswith(f"models/{layer}/"):
            return layer
    return "seeds" if unique_id.startswith("seed.") else "other"


def node_times(target: Path) -> dict:
    """Sum of node execution times per layer (models and tests apart)."""
    results_path = target / "run_results.json"
    manifest_path = target / "manifest.json"
    if not results_path.exists() or not manifest_path.exists():
        return {}
    results = json.loads(results_path.read_text())
    manifest = json.loads(manifest_path.read_text())
    nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    layers: dict[str, dict[str, float]] = {}
    statuses: dict[str, int] = {}
    for result in results["results"]:
        uid = result["unique_id"]
        kind = "tests" if uid.startswith(("test.", "unit_test.")) else "models"
        if uid.startswith("seed."):
            kind = "models"
        layer = layers.setdefault(layer_of(uid, nodes), {"models": 0.0, "tests": 0.0})
        layer[kind] += result["execution_time"]
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1
    rfm_path = ancestors(manifest, "model.segmart.int_customers_rfm_scored")
    rfm_seconds = sum(
        r["execution_time"]
        for r in results["results"]
        if r["unique_id"] in rfm_path or r["unique_id"].startswith("operation.")
    )
    return {
        "layers": {
            name: {k: round(v, 1) for k, v in times.items()}
            for name, times in sorted(layers.items())
        },
        "by_type": by_type(results["results"]),
        "node_statuses": statuses,
        "rfm_path_node_seconds": round(rfm_seconds, 1),
        "dbt_elapsed_seconds": round(results.get("elapsed_time", 0.0), 1),
    }


def node_type(unique_id: str) -> str:
    """models / seeds / data tests / unit tests / hooks, from a unique_id."""
    for prefix, name in NODE_TYPES.items():
        if unique_id.startswith(prefix):
            return name
    return "other"


def by_type(results: list[dict]) -> dict:
    """Nodes executed and the sum of their execution times, per resource type.

    Nodes that did not run (status ``skipped``, or ``no-op``: exposures) are not
    counted.
    """
    out: dict[str, dict] = {}
    for result in results:
        if result.get("status") in ("skipped", "no-op"):
            continue
        entry = out.setdefault(
            node_type(result["unique_id"]), {"count": 0, "seconds": 0.0}
        )
        entry["count"] += 1
        entry["seconds"] += result.get("execution_time") or 0.0
    order = list(NODE_TYPES.values()) + ["other"]
    return {
        name: {"count": out[name]["count"], "seconds": round(out[name]["seconds"], 2)}
        for name in order
        if name in out
    }


def slowest_nodes(target: Path, count: int = 10) -> list[list]:
    """The `count` nodes with the longest execution time: [name, type, seconds]."""
    results_path = target / "run_results.json"
    if not results_path.exists():
        return []
    results = json.loads(results_path.read_text())["results"]
    results.sort(key=lambda r: -(r.get("execution_time") or 0.0))
    return [
        [
            r["unique_id"].split(".", 2)[-1],
            node_type(r["unique_id"]),
            round(r.get("execution_time") or 0.0, 2),
        ]
        for r in results[:count]
    ]


def ancestors(manifest: dict, unique_id: str) -> set[str]:
    """The model and every model or seed upstream of it."""
    parents = manifest.get("parent_map", {})
    seen: set[str] = set()
    todo = [unique_id]
    while todo:
        node = todo.pop()
        if node in seen or not node.startswith(("model.", "seed.")):
            continue
        seen.add(node)
        todo.extend(parents.get(node, []))
    return seen


def last_progress_line(log_path: Path) -> str:
    """The last 'N of M ...' line dbt printed: how far a failed or capped run got."""
    last = ""
    with contextlib.suppress(OSError), open(log_path, errors="replace") as lines:
        for line in lines:
            if " of " in line and ("START" in line or "OK" in line or "ERROR" in line):
                last = line.strip()
    return last


# ------------------------------------------------------------------------------------
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


COMPARED = (
    "orders_count",
    "first_order_date",
    "last_order_date",
    "net_revenue_cents",
    "contribution_margin_cents",
    "recency_score",
    "frequency_score",
    "monetary_score",
)


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
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)
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
        segmart_cli = str(Path(sys.executable).parent / "segmart")
        result["publish"] = measured(
            [segmart_cli, "publish", "--db", str(db_path), "--to", str(published)],
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


# ------------------------------------------------------------------------------------
# The rows besides the tiers: a 20-order shop's first build, the analyst's loop
# ------------------------------------------------------------------------------------


def generate(customers: int, out: Path, log_path: Path) -> dict:
    """`segmart generate --customers N --seed SEED` (default end date) into out."""
    shutil.rmtree(out, ignore_errors=True)
    segmart_cli = str(Path(sys.executable).parent / "segmart")
    gen = measured(
        [
            segmart_cli,
            "generate",
            "--customers",
            str(customers),
            "--seed",
            str(SEED),
            "--out",
            str(out),
            "--quiet",
        ],
        log_path,
        cwd=PROJECT_DIR,
    )
    if gen["returncode"] != 0:
        raise RuntimeError(f"segmart generate failed: see {gen['log']}")
    return gen


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
    if stamp_path.exists():
        stamp = json.loads(stamp_path.read_text())
        if {k: stamp.get(k) for k in wanted} == wanted:
            log(f"reusing the exports in {tiny_dir / 'raw'}")
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
    if stamp_path.exists():
        stamp = json.loads(stamp_path.read_text())
        if {k: stamp.get(k) for k in wanted} == wanted:
            log(f"reusing the exports in {demo_dir / 'raw'}")
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


def fresh_database(db_path: Path) -> None:
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)


def dbt_parse(db_path: Path, raw_dir: Path, target: Path, args) -> dict:
    """`dbt parse --no-partial-parse`, measured: the parse a first build does."""
    target.mkdir(parents=True, exist_ok=True)
    cmd = [dbt_executable(), "parse", "--no-partial-parse"]
    cmd += ["--project-dir", str(PROJECT_DIR), "--target-path", str(target)]
    cmd += ["--log-path", str(target / "logs")]
    run = measured(
        cmd,
        target / "parse.log",
        env=dbt_env(db_path, raw_dir, target, args),
        cwd=PROJECT_DIR,
        timeout=args.timeout,
    )
    run["command"] = "dbt parse --no-partial-parse"
    perf = target / "perf_info.json"
    if perf.exists():
        info = json.loads(perf.read_text())
        run["perf_info"] = {
            k: round(v, 2) if isinstance(v, float) else v
            for k, v in info.items()
            if not isinstance(v, list | dict)
        }
    return run


def build_phases(target: Path, wall_seconds: float, logs: str = "logs") -> dict:
    """Where a dbt invocation's wall time went, from its debug log (dbt.log).

    - startup: process start to dbt's first log line ("Running with dbt=...")
      (Python imports, CLI), estimated as the wall time less the logged span;
    - parse: that line to "Found N models, ..." (reading the project, the
      manifest; partial parsing when target/ has a partial_parse.msgpack);
    - before_nodes: "Found ..." to the first node's START (on-run-start hooks,
      the adapter's connection and relation cache);
    - nodes: first START to "Finished running N ..." (the DAG, dbt's threads);
    - after: "Finished running" to the last log line (run_results, manifest).
    """
    log_file = target / logs / "dbt.log"
    if not log_file.exists():
        return {}
    stamps: dict[str, float] = {}
    last = None
    with open(log_file, errors="replace") as lines:
        for line in lines:
            head = line[:30]
            when = _log_time(head)
            if when is None:
                continue
            last = when
            if "Running with dbt=" in line:
                stamps = {"start": when}  # a log may hold several invocations
            elif "Found " in line and " models" in line and "found" not in stamps:
                stamps["found"] = when
            elif " START " in line and "first_start" not in stamps:
                stamps["first_start"] = when
            elif re.search(r"Finished running \d", line):
                stamps["finished"] = when
    if "start" not in stamps or last is None:
        return {}
    stamps["last"] = last

    def span(a: str, b: str) -> float | None:
        if a not in stamps or b not in stamps:
            return None
        seconds = stamps[b] - stamps[a]
        return round(seconds + (86400 if seconds < 0 else 0), 2)

    logged = span("start", "last") or 0.0
    return {
        "startup": round(max(wall_seconds - logged, 0.0), 2),
        "parse": span("start", "found"),
        "before_nodes": span("found", "first_start"),
        "nodes": span("first_start", "finished"),
        "after": span("finished", "last"),
    }


def _log_time(head: str) -> float | None:
    """Seconds since midnight of a dbt.log line ("\x1b[0m12:01:02.123456 ...")."""
    text = head.replace("\x1b[0m", "").lstrip()
    try:
        clock = datetime.strptime(text[:15], "%H:%M:%S.%f")
    except ValueError:
        return None
    return (
        clock.hour * 3600 + clock.minute * 60 + clock.second + clock.microsecond / 1e6
    )


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


# ------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------


def machine() -> dict:
    mem = 0
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(mem / GIB, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:,.1f}" if seconds < 100 else f"{seconds:,.0f}"


def run_cell(run: dict | None) -> str:
    if not run or run.get("skipped"):
        return "not run"
    if run.get("timed_out"):
        return f"capped at {fmt_s(run['seconds'])} s"
    if run.get("returncode") != 0:
        return f"failed after {fmt_s(run['seconds'])} s"
    return f"{fmt_s(run['seconds'])} s"


def table(results: dict) -> str:
    tiers = [t for t in TIERS if t in results.get("tiers", {})]
    if not tiers:
        return "No tier measured yet."
    rows = [
        "| | " + " | ".join(tiers) + " |",
        "|---|" + "---|" * len(tiers),
    ]

    def row(label: str, cell) -> None:
        rows.append(
            f"| {label} | "
            + " | ".join(cell(results["tiers"][t]) for t in tiers)
            + " |"
        )

    row("measured", lambda r: r.get("measured_at", "?"))
    row("command", _command)
    row("customers", lambda r: f"{r['customers']:,}")
    row("orders / order lines", lambda r: _rows(r, "orders", "order_lines"))
    row("engagement events", lambda r: f"{r['rows'].get('engagement_events', 0):,}")
    row("exports (CSV)", lambda r: f"{r['exports_gib']} GiB")
    row("**floor** (DuckDB SQL)", lambda r: run_cell(r["floor"]) + " = 1x")
    row(
        "pandas",
        lambda r: _with_ratio(r["pandas"], r["ratios"].get("pandas_vs_floor"), "x"),
    )
    row(
        "full `dbt build`",
        lambda r: _with_ratio(r["build"], r["ratios"].get("build_vs_floor"), "x"),
    )
    row(
        "· of which the RFM path (node time)",
        lambda r: _rfm(r),
    )
    for layer in ("landing", "seeds", "staging", "intermediate", "marts"):
        row(f"· {layer} (node time)", lambda r, layer=layer: _layer(r, layer))
    row(f"· nodes executed: {TYPE_LABEL}", lambda r: _type_counts(r["build"]))
    row(f"· node time: {TYPE_LABEL}", lambda r: _type_seconds(r["build"]))
    row(
        "daily refresh (+1 day)",
        lambda r: _with_ratio(
            r.get("refresh"), r["ratios"].get("refresh_vs_build"), " of build"
        ),
    )
    row("pandas / build", lambda r: _ratio(r["ratios"].get("pandas_vs_build")))
    row(
        "`segmart publish` (DuckDB file + Parquet)",
        lambda r: run_cell(r.get("publish")),
    )
    row("CPU time: floor / pandas / build / refresh", _cpu)
    row("peak memory: dbt build", lambda r: _gib(r["build"]))
    row("peak memory: daily refresh", lambda r: _gib(r.get("refresh")))
    row("peak DuckDB spill to disk: build", lambda r: _temp(r["build"]))
    row("peak memory: floor", lambda r: _gib(r["floor"]))
    row("peak memory: pandas", lambda r: _gib(r["pandas"]))
    row("DuckDB file after refresh", lambda r: f"{r.get('db_gib')} GiB")
    row("floor = pandas = customer_profile", _agree)
    row("load average during build", _load)
    return "\n".join(rows)


def _rows(r: dict, a: str, b: str) -> str:
    return f"{r['rows'].get(a, 0):,} / {r['rows'].get(b, 0):,}"


def _with_ratio(run: dict | None, ratio: float | None, unit: str) -> str:
    cell = run_cell(run)
    return f"{cell} = {ratio}{unit}" if ratio is not None else cell


def _ratio(value: float | None) -> str:
    return f"{value}x" if value is not None else "-"


def _rfm(r: dict) -> str:
    seconds = r["build"].get("rfm_path_node_seconds")
    if seconds is None:
        return "-"
    return f"{fmt_s(seconds)} s = {r['ratios'].get('rfm_path_vs_floor')}x"


def _layer(r: dict, layer: str) -> str:
    times = r["build"].get("layers", {}).get(layer)
    if not times:
        return "-"
    if not times["tests"]:
        return f"{fmt_s(times['models'])} s"
    return f"{fmt_s(times['models'])} s + tests {fmt_s(times['tests'])} s"


def _gib(run: dict | None) -> str:
    if not run or "peak_rss_gib" not in run:
        return "-"
    return f"{run['peak_rss_gib']:.2f} GiB"


def _agree(r: dict) -> str:
    a = r.get("agreement", {})
    if not a:
        return "-"
    pairs = a["mismatched_customers"]
    compared = ", ".join(["floor", *[k.split("_vs_")[1] for k in pairs]])
    if a["agree"]:
        return f"yes, every customer ({compared})"
    return "NO: " + ", ".join(f"{k} {v:,}" for k, v in pairs.items())


def _temp(run: dict | None) -> str:
    if not run or "peak_temp_gib" not in run:
        return "-"
    return f"{run['peak_temp_gib']:.1f} GiB"


def _command(r: dict) -> str:
    text = f"`{r.get('command', '?')}`"
    refresh = r.get("refresh") or {}
    if refresh.get("command"):
        text += f", refresh: `{refresh['command']}`"
    return text


def _cpu(r: dict) -> str:
    runs = [r["floor"], r["pandas"], r["build"], r.get("refresh") or {}]
    return " / ".join(
        f"{fmt_s(run['cpu_seconds'])} s" if "cpu_seconds" in run else "-"
        for run in runs
    )


def _load(r: dict) -> str:
    b = r["build"]
    return f"{b.get('load_average_before')} -> {b.get('load_average_after')}"


# The columns of the per-type rows (NODE_TYPES, less the exposures: they do not run).
TABLE_TYPES = ("models", "seeds", "data tests", "unit tests", "hooks")
TYPE_LABEL = " / ".join(TABLE_TYPES)
EXTRA_LABELS = {
    "tiny": f"first `dbt build` of a {TINY_ORDERS}-order shop, fresh database",
    "loop": "analyst loop: one spec added to the demo shop"
    f" ({DEMO_CUSTOMERS:,} customers), `dbt build --select ...`",
}


def _type_counts(run: dict | None) -> str:
    types = (run or {}).get("by_type")
    if not types:
        return "-"
    return " / ".join(f"{types.get(t, {}).get('count', 0):,}" for t in TABLE_TYPES)


def _type_seconds(run: dict | None) -> str:
    types = (run or {}).get("by_type")
    if not types:
        return "-"
    return (
        " / ".join(fmt_s(types.get(t, {}).get("seconds", 0.0)) for t in TABLE_TYPES)
        + " s"
    )


def _extra_run(name: str, r: dict) -> dict | None:
    return r.get("build") if name == "tiny" else r.get("rebuild")


def _phases(run: dict | None) -> str:
    phases = (run or {}).get("phases")
    if not phases:
        return "-"
    keys = ("startup", "parse", "before_nodes", "nodes", "after")
    return " / ".join(fmt_s(phases.get(k)) for k in keys) + " s"


def extras_table(results: dict) -> str:
    """The rows besides the tiers: one line each against its target, then details."""
    extras = results.get("extras", {})
    rows = [
        "| | wall time | target | measured / target | measured |",
        "|---|---|---|---|---|",
    ]
    targets = {
        "tiny": TARGETS["tiny_build_seconds_max"],
        "loop": TARGETS["analyst_loop_seconds_max"],
    }
    for name in EXTRAS:
        label = EXTRA_LABELS[name]
        r = extras.get(name)
        if name == "loop":
            select = (r or {}).get("select", LOOP_SELECT)
            label = label.replace("--select ...", f"--select {select}")
        if not r:
            rows.append(
                f"| {label} | not yet measured | {fmt_s(targets[name])} s | - | - |"
            )
            continue
        ratio = r.get("vs_target")
        rows.append(
            f"| {label} | {run_cell(_extra_run(name, r))}"
            f" | {fmt_s(r.get('target_seconds', targets[name]))} s"
            f" | {ratio if ratio is not None else '-'} | {r.get('measured_at', '?')} |"
        )
    present = [n for n in EXTRAS if n in extras]
    if not present:
        return "\n".join(rows)
    rows += [
        "",
        "| | " + " | ".join(present) + " |",
        "|---|" + "---|" * len(present),
    ]

    def row(label: str, cell) -> None:
        rows.append(
            f"| {label} | " + " | ".join(cell(n, extras[n]) for n in present) + " |"
        )

    row("command", lambda n, r: f"`{r.get('command', '?')}`")
    row(
        "dbt command timed", lambda n, r: f"`{(_extra_run(n, r) or {}).get('command')}`"
    )
    row("shop", _extra_shop)
    row(
        "phases (dbt.log): startup / parse / before the first node / nodes / after",
        lambda n, r: _phases(_extra_run(n, r)),
    )
    row(
        "`dbt parse --no-partial-parse` alone",
        lambda n, r: run_cell(r.get("parse")) if n == "tiny" else "-",
    )
    row(
        f"nodes executed: {TYPE_LABEL}",
        lambda n, r: _type_counts(_extra_run(n, r)),
    )
    row(f"node time: {TYPE_LABEL}", lambda n, r: _type_seconds(_extra_run(n, r)))
    row(
        "slowest nodes",
        lambda n, r: (
            "<br>".join(
                f"{name} ({kind}) {fmt_s(sec)} s"
                for name, kind, sec in (_extra_run(n, r) or {}).get(
                    "slowest_nodes", []
                )[:3]
            )
            or "-"
        ),
    )
    row(
        "full build first (not the figure)",
        lambda n, r: run_cell(r.get("full_build")) if n == "loop" else "-",
    )
    row("CPU time / peak memory", _extra_cpu)
    row("load average during the timed build", _extra_load)
    return "\n".join(rows)


def _extra_shop(name: str, r: dict) -> str:
    rows = r.get("rows", {})
    if name == "tiny":
        return (
            f"{r.get('orders')} orders ({rows.get('orders', 0)} order rows),"
            f" {rows.get('customers', 0)} customers,"
            f" {rows.get('engagement_events', 0):,} events"
        )
    text = f"{r.get('customers', 0):,} customers, {rows.get('orders', 0):,} order rows"
    if "spec_in_library" in r:
        members = r.get("spec_members")
        text += (
            f"; the new segment has {members:,} members"
            if r["spec_in_library"]
            else "; the new segment is NOT in segment_library"
        )
    return text


def _extra_cpu(name: str, r: dict) -> str:
    run = _extra_run(name, r) or {}
    if "cpu_seconds" not in run:
        return "-"
    return f"{fmt_s(run['cpu_seconds'])} s / {run['peak_rss_gib']:.2f} GiB"


def _extra_load(name: str, r: dict) -> str:
    run = _extra_run(name, r) or {}
    return f"{run.get('load_average_before')} -> {run.get('load_average_after')}"


def write_outputs(results: dict) -> None:
    RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
    text = README.read_text() if README.exists() else ""
    if TABLE_START in text and TABLE_END in text:
        head, rest = text.split(TABLE_START, 1)
        _, tail = rest.split(TABLE_END, 1)
        machine_ = results["machine"]
        block = (
            f"{TABLE_START}\n"
            f"Machine: {machine_['cpus']} cores, {machine_['memory_gib']} GiB"
            f" ({machine_['platform']}), Python {machine_['python']}, DuckDB"
            f" {machine_['duckdb']}. Each column was produced by the command in its"
            f" `command` row (from the project directory); `results.json` has every"
            f" figure.\n\n{table(results)}\n\n"
            f"Besides the tiers (issue #20; `--only tiny,loop` runs them alone):\n\n"
            f"{extras_table(results)}\n{TABLE_END}"
        )
        README.write_text(head + block + tail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tiers", default="S,M,L", help="comma-separated: S,M,L, or none"
    )
    parser.add_argument(
        "--extra",
        default=",".join(EXTRAS),
        help="the rows besides the tiers, comma-separated: tiny (a 20-order shop's"
        " first build), loop (the analyst loop on the demo), or none",
    )
    parser.add_argument(
        "--only",
        default=None,
        metavar="LIST",
        help="run only these tiers and rows, e.g. tiny,loop or S,tiny"
        " (replaces --tiers and --extra)",
    )
    parser.add_argument(
        "--loop-select",
        default=LOOP_SELECT,
        help="what the analyst loop rebuilds after adding a spec: the --select of"
        f" `dbt build` (default: {LOOP_SELECT})",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=Path(os.environ.get("SEGMART_BENCH_DIR", "/tmp/segmart-bench")),
        help="where exports and databases go (L needs ~25 GB free)",
    )
    parser.add_argument(
        "--timeout", type=float, default=None, help="cap per dbt build, seconds"
    )
    parser.add_argument(
        "--pandas-timeout", type=float, default=None, help="cap for pandas, seconds"
    )
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument(
        "--refresh-only",
        action="store_true",
        help="only the daily refresh, on the database of an earlier --skip-refresh run",
    )
    parser.add_argument(
        "--duckdb-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra DuckDB setting for the dbt builds (a copy of profiles.yml),"
        " e.g. max_temp_directory_size=40GB on a shared disk",
    )
    parser.add_argument(
        "--dbt-threads",
        type=int,
        default=None,
        help="dbt --threads for the builds (default: the profile's 2)",
    )
    args = parser.parse_args(argv)
    args.duckdb_settings = dict(
        item.split("=", 1) for item in args.duckdb_setting if "=" in item
    )

    def names(text: str) -> list[str]:
        return [n.strip() for n in text.split(",") if n.strip().lower() != "none"]

    if args.only is not None:
        wanted = names(args.only)
        tiers = [n.upper() for n in wanted if n.upper() in TIERS]
        extras = [n.lower() for n in wanted if n.upper() not in TIERS]
    else:
        tiers = [n.upper() for n in names(args.tiers)]
        extras = [n.lower() for n in names(args.extra)]
        if args.refresh_only:
            extras = []  # a refresh of earlier tier builds only
    unknown = [t for t in tiers if t not in TIERS]
    unknown += [e for e in extras if e not in EXTRAS]
    if unknown:
        parser.error(
            f"unknown tiers or rows {unknown}; choose from {[*TIERS, *EXTRAS]}"
        )
    if not tiers and not extras:
        parser.error("nothing to run")
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results.setdefault("tiers", {})
    results.setdefault("extras", {})
    command = "python benchmarks/run.py " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    # the rows besides the tiers first: a few minutes, and they need no tier data
    for name in extras:
        started = datetime.now(UTC)
        runner = run_tiny if name == "tiny" else run_loop
        extra_result = runner(args.work_dir, args)
        stamp = started.strftime("%Y-%m-%d %H:%M UTC")
        extra_result["measured_at"] = stamp
        extra_result["command"] = command.strip()
        results["extras"][name] = extra_result
        results["machine"] = machine()
        results["measured_at"] = stamp
        results["command"] = command.strip()
        results["targets"] = TARGETS
        write_outputs(results)
        timed = _extra_run(name, extra_result) or {}
        log(
            f"{name}: done, {run_cell(timed)} (target"
            f" {fmt_s(extra_result.get('target_seconds'))} s,"
            f" measured / target {extra_result.get('vs_target')})"
        )
    for tier in tiers:
        started = datetime.now(UTC)
        tier_result = run_tier(tier, args.work_dir, args, results["tiers"].get(tier))
        stamp = started.strftime("%Y-%m-%d %H:%M UTC")
        if args.refresh_only:
            tier_result["refresh"]["measured_at"] = stamp
            tier_result["refresh"]["command"] = command.strip()
        else:
            tier_result["measured_at"] = stamp
            tier_result["command"] = command.strip()
        results["tiers"][tier] = tier_result
        results["machine"] = machine()
        results["measured_at"] = stamp
        results["command"] = command.strip()
        results["targets"] = TARGETS
        write_outputs(results)
        log(f"{tier}: done {json.dumps(tier_result['ratios'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
