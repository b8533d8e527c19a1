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

After each tier's build, and alone with ``--only fits`` (on the databases of the
tiers in ``--tiers`` built earlier), step ``fits``: the prediction model
``int_customers_predicted`` run alone on the tier's database, read-only
(``fits.py``): wall time, CPU time and peak memory, against the 8 GiB bound.

Results are merged into ``benchmarks/results.json`` (a tier or row run later
replaces that tier or row only) and the tables in ``benchmarks/README.md`` are
rewritten from it. Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path

# `python benchmarks/run.py`: the project folder, for segmart and benchmarks.*
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import EXTRAS, LOOP_SELECT, TIERS, log  # noqa: E402
from benchmarks.extras import run_loop, run_tiny  # noqa: E402
from benchmarks.fits import measure as measure_fits  # noqa: E402
from benchmarks.readme import (  # noqa: E402
    extra_run,
    fmt_s,
    load_results,
    record,
    run_cell,
)
from benchmarks.tiers import run_tier  # noqa: E402


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
    parser.add_argument(
        "--with-unit-tests",
        action="store_true",
        help="run the dbt unit tests in every timed build (default: left out, as "
        "segmart run and segmart build leave them out)",
    )
    args = parser.parse_args(argv)
    args.duckdb_settings = dict(
        item.split("=", 1) for item in args.duckdb_setting if "=" in item
    )

    def names(text: str) -> list[str]:
        return [n.strip() for n in text.split(",") if n.strip().lower() != "none"]

    fits_only: list[str] = []
    if args.only is not None:
        wanted = names(args.only)
        if "fits" in [n.lower() for n in wanted]:
            fits_only = [n.upper() for n in names(args.tiers)]
            wanted = [n for n in wanted if n.lower() != "fits"]
        tiers = [n.upper() for n in wanted if n.upper() in TIERS]
        extras = [n.lower() for n in wanted if n.upper() not in TIERS]
    else:
        tiers = [n.upper() for n in names(args.tiers)]
        extras = [n.lower() for n in names(args.extra)]
        if args.refresh_only:
            extras = []  # a refresh of earlier tier builds only
    unknown = [t for t in [*tiers, *fits_only] if t not in TIERS]
    unknown += [e for e in extras if e not in EXTRAS]
    if unknown:
        parser.error(
            f"unknown tiers or rows {unknown}; choose from {[*TIERS, *EXTRAS]}"
        )
    if not tiers and not extras and not fits_only:
        parser.error("nothing to run")
    results = load_results()
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
        record(results, stamp, command.strip())
        timed = extra_run(name, extra_result) or {}
        log(
            f"{name}: done, {run_cell(timed)} (target"
            f" {fmt_s(extra_result.get('target_seconds'))} s,"
            f" measured / target {extra_result.get('vs_target')})"
        )
    results.setdefault("fits", {})
    for tier in fits_only:
        fits_step(results, tier, args, command)
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
        record(results, stamp, command.strip())
        log(f"{tier}: done {json.dumps(tier_result['ratios'])}")
        if tier_result.get("build", {}).get("returncode") == 0:
            fits_step(results, tier, args, command)
    return 0


def fits_step(results: dict, tier: str, args: argparse.Namespace, command: str) -> None:
    """Step "fits" of one tier, merged into results["fits"][tier]."""
    started = datetime.now(UTC)
    fits = measure_fits(tier, args.work_dir)
    if fits is None:
        return
    stamp = started.strftime("%Y-%m-%d %H:%M UTC")
    fits["measured_at"] = stamp
    fits["command_run"] = command.strip()
    results["fits"][tier] = fits
    record(results, stamp, command.strip())
    log(f"{tier}: prediction fits {run_cell(fits)}, {fits.get('peak_rss_gib')} GiB")


if __name__ == "__main__":
    sys.exit(main())
