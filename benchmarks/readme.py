"""The results: merged into results.json, and the tables in README.md rewritten.

A tier or row run later replaces that tier or row only.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
from pathlib import Path

import duckdb

from benchmarks.common import (
    BENCH_DIR,
    DEMO_CUSTOMERS,
    EXTRAS,
    GIB,
    LOOP_SELECT,
    TARGETS,
    TIERS,
    TINY_ORDERS,
)

RESULTS_JSON = BENCH_DIR / "results.json"
README = BENCH_DIR / "README.md"
TABLE_START = "<!-- results:start -->"
TABLE_END = "<!-- results:end -->"


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
    fits = results.get("fits", {})
    rows.append(
        "| · prediction fits: int_customers_predicted (node time) | "
        + " | ".join(_fit_node(fits.get(t)) for t in tiers)
        + " |"
    )
    rows.append(
        "| · prediction fits alone (`--only fits`): wall / CPU / peak memory | "
        + " | ".join(_fit_alone(fits.get(t)) for t in tiers)
        + " |"
    )
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


def _fit_node(fits: dict | None) -> str:
    node = (fits or {}).get("build_node")
    if not node:
        return "-"
    cell = f"{fmt_s(node['seconds'])} s"
    return cell if node["with_spend_models"] else f"{cell} (older model: BG/NBD only)"


def _fit_alone(fits: dict | None) -> str:
    if not fits:
        return "not measured"
    if fits.get("returncode") != 0:
        return run_cell(fits)
    return (
        f"{fmt_s(fits['seconds'])} s / {fmt_s(fits['cpu_seconds'])} s /"
        f" {fits['peak_rss_gib']:.2f} GiB ({fits.get('customers', 0):,} customers,"
        f" {fits.get('count_model')}; {fits.get('measured_at', '?')})"
    )


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


def extra_run(name: str, r: dict) -> dict | None:
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
            f"| {label} | {run_cell(extra_run(name, r))}"
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
    row("dbt command timed", lambda n, r: f"`{(extra_run(n, r) or {}).get('command')}`")
    row("shop", _extra_shop)
    row(
        "phases (dbt.log): startup / parse / before the first node / nodes / after",
        lambda n, r: _phases(extra_run(n, r)),
    )
    row(
        "`dbt parse --no-partial-parse` alone",
        lambda n, r: run_cell(r.get("parse")) if n == "tiny" else "-",
    )
    row(
        f"nodes executed: {TYPE_LABEL}",
        lambda n, r: _type_counts(extra_run(n, r)),
    )
    row(f"node time: {TYPE_LABEL}", lambda n, r: _type_seconds(extra_run(n, r)))
    row(
        "slowest nodes",
        lambda n, r: (
            "<br>".join(
                f"{name} ({kind}) {fmt_s(sec)} s"
                for name, kind, sec in (extra_run(n, r) or {}).get("slowest_nodes", [])[
                    :3
                ]
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
    run = extra_run(name, r) or {}
    if "cpu_seconds" not in run:
        return "-"
    return f"{fmt_s(run['cpu_seconds'])} s / {run['peak_rss_gib']:.2f} GiB"


def _extra_load(name: str, r: dict) -> str:
    run = extra_run(name, r) or {}
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


def load_results() -> dict:
    """results.json as it stands, with its tiers and rows (empty when new)."""
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results.setdefault("tiers", {})
    results.setdefault("extras", {})
    results.setdefault("fits", {})
    return results


def record(results: dict, stamp: str, command: str) -> None:
    """Stamp the merged results with this run; write results.json and README.md."""
    results["machine"] = machine()
    results["measured_at"] = stamp
    results["command"] = command
    results["targets"] = TARGETS
    write_outputs(results)
