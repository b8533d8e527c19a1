"""segmart on Spark: the `spark` output of profiles.yml (dbt-spark).

What dbt-spark does not do by itself, in two parts:

1. **Raw tables.** Spark reads no files of the machine that runs dbt, so
   :func:`load` (``segmart load --target spark``) lands the exports exactly as the
   DuckDB build does (the ``land_raw_files`` macro, run by
   :func:`segmart.engines.land_in_duckdb`), writes each landed table as Parquet under
   ``<spark dir>/raw/<table>/`` and registers ``raw.<table>`` over it
   (``dbt run-operation spark_register_raw``). The build then checks that the
   tables exist (``default__land_raw_files``).
2. **dbt-spark's ``method: session``**, patched by :func:`patch_dbt_spark`:
   Python models get the submission method ``session`` (dbt-spark runs them only
   on Databricks, dbt-spark#415), and seed values are quoted (dbt-spark's session
   cursor pastes them into the SQL as they are). ``segmart dbt ARGS`` and
   ``python -m segmart.spark ARGS`` (:func:`run_dbt_cli`) are dbt with the patch,
   run in-process by :func:`segmart.dbt.dbt_main`; :func:`run_spark_dbt` runs
   the latter as the subprocess of :func:`segmart.dbt.run_dbt`.

The local Spark keeps its warehouse, metastore and raw Parquet files under
``SEGMART_SPARK_DIR`` (default ``.spark`` in the project).
"""

from __future__ import annotations

import datetime
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from segmart.contract import PROJECT_DIR
from segmart.dbt import dbt_main, run_dbt


def spark_dir(env: Mapping[str, str] | None = None) -> Path:
    """SEGMART_SPARK_DIR as an absolute path (relative: to the project)."""
    env = os.environ if env is None else env
    path = Path(env.get("SEGMART_SPARK_DIR", ".spark"))
    return path if path.is_absolute() else PROJECT_DIR / path


def write_raw_parquet(db_path: Path, out_dir: Path, schema: str = "raw") -> dict:
    """Write every table of `schema` in the DuckDB file as `out_dir/<table>/`.

    Returns {table: rows}. Timestamps are written as UTC instants, which Spark
    reads as its TIMESTAMP type (a naive DuckDB timestamp would be TIMESTAMP_NTZ).
    A table replaces the folder of its previous load.
    """
    counts: dict[str, int] = {}
    with duckdb.connect(str(db_path), read_only=True) as con:
        con.execute("set timezone = 'UTC'")
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? order by table_name",
                [schema],
            ).fetchall()
        ]
        for table in tables:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            select_list = ", ".join(
                f'timezone(\'UTC\', "{name}") as "{name}"'
                if data_type == "TIMESTAMP"
                else f'"{name}"'
                for name, data_type in columns
            )
            folder = out_dir / table
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(parents=True)
            con.execute(
                f'copy (select {select_list} from "{schema}"."{table}") '
                f"to '{folder / 'part-00000.parquet'}' (format parquet)"
            )
            counts[table] = con.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
    return counts


def load(
    raw_dir: Path,
    *,
    dbt_vars: Mapping[str, object] | None = None,
    schema: str = "raw",
    location: Path | None = None,
    target_path: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Land `raw_dir` in schema `raw` of the Spark target; rows per table.

    The Parquet files go to `location` (default ``<spark dir>/raw``).
    """
    from segmart.engines import LoadError, land_in_duckdb

    env = {**os.environ, **dict(extra_env or {})}
    location = (location or spark_dir(env) / "raw").resolve()
    with tempfile.TemporaryDirectory(prefix="segmart-land-") as scratch:
        db_path = Path(scratch) / "land.duckdb"
        land_in_duckdb(
            raw_dir.resolve(),
            db_path,
            dbt_vars={**dict(dbt_vars or {}), "raw_schema": schema},
            target_path=Path(scratch) / "target",
        )
        counts = write_raw_parquet(db_path, location, schema=schema)
    result = run_spark_dbt(
        [
            "run-operation",
            "spark_register_raw",
            "--args",
            f"{{location: '{location}', tables: [{', '.join(counts)}]}}",
        ],
        dbt_vars={**dict(dbt_vars or {}), "raw_schema": schema},
        target_path=target_path,
        extra_env=extra_env,
    )
    if not result.success:
        lines = [line for line in result.output.splitlines() if line.strip()]
        raise LoadError(
            "registering the raw tables on Spark failed:\n" + "\n".join(lines[-15:])
        )
    return counts


def run_spark_dbt(
    args: Sequence[str],
    *,
    dbt_vars: Mapping[str, object] | None = None,
    target_path: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
):
    """run_dbt() on the `spark` target, its subprocess ``python -m segmart.spark``
    (dbt with the patch: Python models and seeds on ``method: session``)."""
    env = {"SEGMART_TARGET": "spark", **dict(extra_env or {})}
    env["SEGMART_SPARK_DIR"] = str(spark_dir({**os.environ, **env}))
    return run_dbt(
        args,
        dbt_vars=dict(dbt_vars or {}) or None,
        target_path=target_path,
        extra_env=env,
        executable=[sys.executable, "-m", "segmart.spark"],
    )


# --------------------------------------------------------------- Python models


# dbt-spark's wrapper of a compiled Python model ends by calling the model on the
# Spark session; segmart calls it as a dbt-duckdb model instead.
_MODEL_CALL = "dbt = dbtObj(spark.table)\ndf = model(dbt, spark)\n"


class SessionPythonJobHelper:
    """Runs a compiled Python model in this process, next to dbt's Spark session.

    The model file runs unchanged, as on DuckDB: ``dbt.ref()`` gives a DuckDB
    relation over the Spark table (collected as Arrow), ``session`` is that
    DuckDB connection, and the Arrow table (or relation) the model returns
    becomes a Spark DataFrame, which dbt-spark's own code saves as the model's
    table. So the predictions and text signals come from the same code on every
    engine. The inputs are collected into this process: fine for what the two
    models read (one row per customer, per ticket and per review), as on DuckDB.
    """

    def __init__(self, parsed_model: dict, credentials: Any) -> None:
        method = getattr(credentials, "method", None)
        if str(getattr(method, "value", method)) != "session":
            raise RuntimeError(
                f"segmart: Python model {parsed_model.get('alias')!r} uses "
                "submission_method 'session', which needs the profile's "
                f"`method: session` (this target uses {method!r})"
            )
        self.name = parsed_model.get("alias") or "python_model"

    def submit(self, compiled_code: str) -> None:
        from pyspark.sql import SparkSession

        if _MODEL_CALL not in compiled_code:
            raise RuntimeError(
                "segmart: this dbt-spark version wraps Python models differently; "
                "segmart.spark.SessionPythonJobHelper needs updating"
            )
        session = SparkSession.builder.getOrCreate()

        def run_model(dbt_class: Any, model: Any) -> Any:
            with duckdb.connect() as con:

                def load(relation: str) -> duckdb.DuckDBPyRelation:
                    return con.from_arrow(session.table(relation).toArrow())

                result = model(dbt_class(load), con)
                if not isinstance(result, pa.Table):
                    result = result.to_arrow_table()
                return session.createDataFrame(result)

        code = compiled_code.replace(
            _MODEL_CALL, "df = __segmart_run_model__(dbtObj, model)\n"
        )
        namespace = {
            "spark": session,
            "__segmart_run_model__": run_model,
            "__name__": "__dbt_python_model__",
        }
        exec(compile(code, f"<dbt python model {self.name}>", "exec"), namespace)


def _quote_binding(value: Any) -> str | float:
    """A seed value as Spark SQL: strings quoted with their quotes and
    backslashes escaped, null as null (dbt-spark's session method quotes neither,
    so `Can't Lose` breaks the statement)."""
    from dbt.adapters.spark.session import NUMBERS

    if value is None:
        return "null"
    if isinstance(value, NUMBERS):
        return float(value)
    if isinstance(value, datetime.datetime):
        return f"'{value.strftime('%Y-%m-%d %H:%M:%S.%f')[:-3]}'"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def patch_dbt_spark() -> None:
    """Two additions to dbt-spark's ``method: session`` (idempotent):

    - submission method ``session`` for Python models, the default on
      ``method: session`` targets (:class:`SessionPythonJobHelper`);
    - seed values quoted and escaped (:func:`_quote_binding`).
    """
    from dbt.adapters.spark.impl import SparkAdapter
    from dbt.adapters.spark.session import SessionConnectionWrapper

    if getattr(SparkAdapter, "_segmart_patched", False):
        return
    helpers = SparkAdapter.python_submission_helpers.fget
    default = SparkAdapter.default_python_submission_method.fget

    def python_submission_helpers(self: Any) -> dict:
        return {**helpers(self), "session": SessionPythonJobHelper}

    def default_python_submission_method(self: Any) -> str:
        method = getattr(self.config.credentials, "method", None)
        if str(getattr(method, "value", method)) == "session":
            return "session"
        return default(self)

    SparkAdapter.python_submission_helpers = property(python_submission_helpers)
    SparkAdapter.default_python_submission_method = property(
        default_python_submission_method
    )
    SessionConnectionWrapper._fix_binding = classmethod(
        lambda cls, value: _quote_binding(value)
    )
    SparkAdapter._segmart_patched = True


def _patch_if_available() -> None:
    try:
        patch_dbt_spark()
    except ImportError:  # no dbt-spark: other targets need nothing added
        pass


def run_dbt_cli(args: Sequence[str]) -> int:
    """dbt's command line, with :func:`patch_dbt_spark` applied; the exit code.

    The in-process branch of :mod:`segmart.dbt` (:func:`segmart.dbt.dbt_main`):
    the patch must be in the process that holds dbt's Spark session.
    """
    return dbt_main(args, prepare=_patch_if_available)


if __name__ == "__main__":
    sys.exit(run_dbt_cli(sys.argv[1:]))
