"""The timed dbt commands: a build or a parse, measured, and what its files tell.

Node time per layer and per resource type (run_results.json, manifest.json), the
slowest nodes, and where the wall time went (the phases in dbt.log).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
from datetime import datetime
from pathlib import Path

import yaml

from benchmarks.common import PROJECT_DIR, measured
from segmart import keys
from segmart.dbt import NO_UNIT_TESTS, dbt_executable

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
            **keys.dbt_env(),
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
    # what segmart's own builds run: the unit tests check logic, not the data
    dbt_args = [] if args.with_unit_tests else list(NO_UNIT_TESTS)
    if select:
        dbt_args += ["--select", *select]
    cmd = [dbt_executable(), "build", *dbt_args, "--project-dir", str(PROJECT_DIR)]
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
    run["command"] = shlex.join(["dbt", "build", *dbt_args])
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
