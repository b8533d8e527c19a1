"""What every part of the benchmark shares: its settings, the log, measuring a process.

Standard library only. The modules of the benchmark (run.py is the command line):
common (this), timing (the timed dbt commands), tiers (one tier: exports, the
references, the build and the refresh), extras (the rows besides the tiers),
readme (results.json and the tables in README.md), facts (the facts compared).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
TIERS = {"S": 10_000, "M": 100_000, "L": 1_000_000}
SEED = 7
# The base exports end on BASE_END; the refresh appends BASE_END + 1 day.
BASE_END = date(2026, 6, 30)
GIB = 1024**3
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


def segmart_cli() -> str:
    """The segmart command of the Python that runs the benchmark."""
    return str(Path(sys.executable).parent / "segmart")


def generate(
    customers: int, out: Path, log_path: Path, end_date: date | None = None
) -> dict:
    """`segmart generate --customers N --seed SEED [--end-date END_DATE]` into out."""
    shutil.rmtree(out, ignore_errors=True)
    cmd = [segmart_cli(), "generate", "--customers", str(customers)]
    cmd += ["--seed", str(SEED)]
    if end_date is not None:
        cmd += ["--end-date", str(end_date)]
    gen = measured(cmd + ["--out", str(out), "--quiet"], log_path, cwd=PROJECT_DIR)
    if gen["returncode"] != 0:
        raise RuntimeError(f"segmart generate failed: see {gen['log']}")
    return gen


def cached(stamp_path: Path, wanted: dict, where: Path) -> dict | None:
    """The stamp of exports made earlier with the `wanted` settings (None: none)."""
    if stamp_path.exists():
        stamp = json.loads(stamp_path.read_text())
        if {k: stamp.get(k) for k in wanted} == wanted:
            log(f"reusing the exports in {where}")
            return stamp
    return None


def fresh_database(db_path: Path) -> None:
    for stale in (db_path, db_path.with_name(db_path.name + ".wal")):
        stale.unlink(missing_ok=True)
