"""The prediction fits alone, on a tier's database (issue #22: "fits stay inside
the L benchmark's memory bound and their time is reported").

    python benchmarks/fits.py DATABASE [--json OUT]

Runs the dbt Python model ``int_customers_predicted`` (its real ``model``
function, unchanged) on the tables it reads in DATABASE, opened read-only: a
small stand-in for dbt's ``dbt`` object hands it ``int_build_context``,
``int_customer_order_facts`` and ``int_orders_margined``. Nothing is written to
the database. A database built before the prediction vars existed gets the
project defaults (segmart.predictions.Settings) for them.

Prints (and writes to --json) the seconds spent reading the input and in the
fits, the customers and orders, and what the model decided. The caller
(benchmarks/run.py, step "fits") measures the process: wall time, CPU time and
peak resident memory, the figure the 8 GiB bound is about.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segmart import predictions  # noqa: E402

MODEL = (
    Path(__file__).resolve().parent.parent
    / "models/intermediate/customers/int_customers_predicted.py"
)
PREDICTION_VARS = {
    "prediction_min_repeat_buyers": predictions.Settings.min_repeat_buyers,
    "prediction_min_history_days": predictions.Settings.min_history_days,
    "prediction_backtest_days": predictions.Settings.backtest_days,
}


class _Dbt:
    """What the model uses of dbt's object: config() and ref()."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.read_seconds = 0.0

    def config(self, **_: object) -> None:
        return None

    def ref(self, name: str) -> duckdb.DuckDBPyRelation:
        if name != "int_build_context":
            return self.con.table(f"intermediate.{name}")
        have = {
            row[0]
            for row in self.con.execute(
                "select column_name from information_schema.columns"
                " where table_name = 'int_build_context'"
            ).fetchall()
        }
        defaults = ", ".join(
            f"{value} as {column}"
            for column, value in PREDICTION_VARS.items()
            if column not in have
        )
        select = "select *" + (f", {defaults}" if defaults else "")
        return self.con.sql(f"{select} from intermediate.int_build_context")


def run(database: Path) -> dict:
    spec = importlib.util.spec_from_file_location("int_customers_predicted", MODEL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    con = duckdb.connect(str(database), read_only=True)
    try:
        orders = con.execute(
            "select count(*) from intermediate.int_orders_margined"
            " where customer_key is not null"
        ).fetchone()[0]
        started = time.perf_counter()
        table = module.model(_Dbt(con), con)
        seconds = time.perf_counter() - started
    finally:
        con.close()
    first = table.slice(0, 1).to_pylist()[0] if table.num_rows else {}
    return {
        "model_seconds": round(seconds, 2),
        "customers": table.num_rows,
        "orders": int(orders),
        "prediction_status": first.get("prediction_status"),
        "count_model": first.get("count_model"),
        "margin_model": first.get("margin_model"),
        "revenue_model": first.get("revenue_model"),
    }


def measure(tier: str, work_dir: Path) -> dict | None:
    """Step "fits" of a tier: this script on the tier's database, measured
    (wall, CPU, peak memory), with the node time of int_customers_predicted in
    the tier's full build (run_results.json). None when the tier has no database.
    """
    from benchmarks.common import PROJECT_DIR, log, measured

    tier_dir = work_dir / tier
    db_path = tier_dir / "segmart.duckdb"
    if not db_path.exists():
        log(f"{tier}: no database at {db_path}; prediction fits not measured")
        return None
    log(f"{tier}: prediction fits alone (benchmarks/fits.py, read-only database)")
    out = tier_dir / "fits.json"
    out.unlink(missing_ok=True)
    run = measured(
        [sys.executable, __file__, str(db_path), "--json", str(out)],
        tier_dir / "fits.log",
        cwd=PROJECT_DIR,
    )
    run["command"] = f"python benchmarks/fits.py {tier}/segmart.duckdb"
    if run["returncode"] == 0 and out.exists():
        run.update(json.loads(out.read_text()))
    run["build_node"] = build_node(tier_dir / "target_full", db_path)
    return run


def build_node(target: Path, db_path: Path) -> dict | None:
    """int_customers_predicted in the tier's full build: its node time, and whether
    that build had the spend models (issue #22) or an older, BG/NBD-only model."""
    results_path = target / "run_results.json"
    if not results_path.exists():
        return None
    results = json.loads(results_path.read_text())
    seconds = next(
        (
            r.get("execution_time")
            for r in results["results"]
            if r["unique_id"] == "model.segmart.int_customers_predicted"
        ),
        None,
    )
    if seconds is None:
        return None
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        current = bool(
            con.execute(
                "select count(*) from information_schema.columns"
                " where table_name = 'int_customers_predicted'"
                " and column_name = 'expected_margin_per_order'"
            ).fetchone()[0]
        )
    finally:
        con.close()
    return {
        "seconds": round(seconds, 2),
        "built_at": results["metadata"].get("generated_at"),
        "with_spend_models": current,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    result = run(args.database)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
