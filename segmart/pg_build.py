"""Build on PostgreSQL, Python models included: ``segmart pg-build``.

dbt-postgres runs no dbt Python model, and two models are Python:
``int_customers_predicted`` (the BG/NBD fit) and ``int_text_signals`` (the text
classifier). On PostgreSQL they are disabled (dbt_project.yml) and replaced by
SQL stand-ins of the same name (``models/intermediate/postgres/``) that republish
a table ``<model>__py``. :func:`pg_build` fills that table:

1. ``dbt build`` of everything that does not depend on the two models;
2. each model's own file runs here, unchanged: ``dbt.ref()`` gives a DuckDB
   relation over the PostgreSQL table (read with psycopg2), as a dbt-duckdb
   Python model gets, and the table it returns is written to
   ``<schema>.<model>__py`` in PostgreSQL;
3. ``dbt build`` of the two stand-ins and everything downstream.

So the predictions and text signals are computed by the same code from the
same inputs on both engines.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from segmart.contract import PROJECT_DIR
from segmart.dbt import DbtRun, default_target_path, run_dbt
from segmart.engines import PgSettings

PYTHON_MODELS = ("int_customers_predicted", "int_text_signals")

# PostgreSQL type oids -> Arrow types; numeric becomes a double, as a dbt seed's
# decimal column is a DOUBLE on DuckDB. Anything else is read as text.
_ARROW_OF_OID: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int16(),
    23: pa.int32(),
    700: pa.float32(),
    701: pa.float64(),
    1700: pa.float64(),
    25: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


@dataclass
class PgBuildResult:
    """The dbt steps of one pg-build, in order, and the rows each model wrote."""

    steps: list[DbtRun] = field(default_factory=list)
    python_rows: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def success(self) -> bool:
        return self.error is None and all(step.success for step in self.steps)

    @property
    def output(self) -> str:
        text = "\n".join(step.output for step in self.steps)
        return text + (f"\nsegmart pg-build: {self.error}" if self.error else "")

    @property
    def results(self) -> list[dict]:
        return [result for step in self.steps for result in step.results]


def pg_build(
    *,
    settings: PgSettings | None = None,
    dbt_vars: Mapping[str, object] | None = None,
    target_path: Path | None = None,
    full_refresh: bool = False,
    extra_env: Mapping[str, str] | None = None,
    echo: bool = False,
) -> PgBuildResult:
    """dbt build on the `postgres` target in three steps (module docstring)."""
    settings = settings or PgSettings.from_env()
    target_path = target_path or default_target_path()
    env = {
        "SEGMART_TARGET": "postgres",
        "SEGMART_PG_HOST": settings.host,
        "SEGMART_PG_PORT": str(settings.port),
        "SEGMART_PG_USER": settings.user,
        "SEGMART_PG_PASSWORD": settings.password,
        "SEGMART_PG_DB": settings.dbname,
        **dict(extra_env or {}),
    }
    refresh = ["--full-refresh"] if full_refresh else []
    downstream = [f"{name}+" for name in PYTHON_MODELS]

    def dbt(args: list[str]) -> DbtRun:
        return run_dbt(
            args,
            dbt_vars=dict(dbt_vars or {}) or None,
            target_path=target_path,
            extra_env=env,
            echo=echo,
        )

    result = PgBuildResult()
    result.steps.append(dbt(["build", "--exclude", *downstream, *refresh]))
    if not result.success:
        return result
    manifest = json.loads((target_path / "manifest.json").read_text())
    try:
        for name in PYTHON_MODELS:
            result.python_rows[name] = run_python_model(name, manifest, settings)
    except Exception as error:  # noqa: BLE001 - reported, the build stops here
        result.error = f"the Python model failed: {type(error).__name__}: {error}"
        return result
    result.steps.append(dbt(["build", "--select", *downstream, *refresh]))
    return result


# ------------------------------------------------------------ one Python model


def _relation_names(manifest: Mapping[str, Any]) -> dict[str, str]:
    """ref name -> relation name, for the enabled models, seeds and snapshots."""
    return {
        node["name"]: node["relation_name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed", "snapshot")
        and node.get("relation_name")
    }


def run_python_model(
    name: str, manifest: Mapping[str, Any], settings: PgSettings
) -> int:
    """Run the disabled dbt Python model `name` on PostgreSQL data and write its
    result to the stand-in's schema as `<name>__py`; returns its rows."""
    unique_id = f"model.segmart.{name}"
    candidates = [
        node
        for node in manifest.get("disabled", {}).get(unique_id, [])
        if node.get("language") == "python"
    ]
    if not candidates:
        raise RuntimeError(f"no disabled Python model {unique_id} in the manifest")
    python_node = candidates[0]
    stand_in = manifest["nodes"][unique_id]
    relations = _relation_names(manifest)
    conn = settings.connect()
    try:
        with duckdb.connect() as session:

            def load(ref_name: str) -> duckdb.DuckDBPyRelation:
                table = read_pg_table(conn, relations[ref_name])
                return session.from_arrow(table)

            code = (PROJECT_DIR / python_node["original_file_path"]).read_text()
            table = execute_model_code(code, name, load, session)
            write_pg_table(conn, stand_in["schema"], f"{name}__py", table)
        return table.num_rows
    finally:
        conn.close()


class _DbtShim:
    """The part of a dbt-duckdb Python model's `dbt` object the models use."""

    def __init__(self, load: Callable[[str], Any]) -> None:
        self._load = load
        self.is_incremental = False

    def ref(self, *args: str, **_kwargs: Any) -> Any:
        return self._load(args[-1])

    def source(self, *args: str) -> Any:
        raise RuntimeError(f"source{args}: only staging reads sources")

    def config(self, *_args: Any, **_kwargs: Any) -> None:
        return None


def execute_model_code(
    code: str, name: str, load: Callable[[str], Any], session: Any
) -> pa.Table:
    """Run a dbt Python model file's ``model(dbt, session)``; its result as Arrow."""
    namespace: dict[str, Any] = {"__name__": f"segmart_python_model_{name}"}
    exec(compile(code, f"<dbt Python model {name}>", "exec"), namespace)  # noqa: S102
    returned = namespace["model"](_DbtShim(load), session)
    if isinstance(returned, pa.Table):
        return returned
    for method in ("to_arrow_table", "arrow", "fetch_arrow_table"):
        if hasattr(returned, method):
            return getattr(returned, method)()
    if hasattr(returned, "to_parquet"):  # a pandas DataFrame
        return pa.Table.from_pandas(returned, preserve_index=False)
    raise TypeError(f"model {name} returned {type(returned).__name__}")


# ------------------------------------------------------- PostgreSQL <-> Arrow


def read_pg_table(conn: Any, relation: str) -> pa.Table:
    """A whole PostgreSQL relation as an Arrow table (types: _ARROW_OF_OID)."""
    with conn.cursor() as cursor:
        cursor.execute(f"select * from {relation}")  # noqa: S608 - manifest names
        names = [column.name for column in cursor.description]
        types = [
            _ARROW_OF_OID.get(c.type_code, pa.string()) for c in cursor.description
        ]
        rows = cursor.fetchall()
    conn.rollback()
    columns = []
    for index, arrow_type in enumerate(types):
        values = [row[index] for row in rows]
        if arrow_type == pa.string():
            values = [None if v is None else str(v) for v in values]
        elif pa.types.is_floating(arrow_type):
            values = [None if v is None else float(v) for v in values]
        columns.append(pa.array(values, type=arrow_type))
    return pa.table(dict(zip(names, columns, strict=True)))


def _pg_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "text"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_int8(arrow_type) or pa.types.is_int16(arrow_type):
        return "smallint"
    if pa.types.is_int32(arrow_type):
        return "integer"
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_float32(arrow_type):
        return "real"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if pa.types.is_null(arrow_type):
        return "text"
    raise TypeError(f"no PostgreSQL type for Arrow {arrow_type}")


def write_pg_table(conn: Any, schema: str, table_name: str, table: pa.Table) -> None:
    """Replace `schema.table_name` with the Arrow table (one transaction)."""
    table = table.replace_schema_metadata(None)
    definitions = ", ".join(
        f'"{column.name}" {_pg_type(column.type)}' for column in table.schema
    )
    qualified = f'"{schema}"."{table_name}"'
    with tempfile.TemporaryDirectory(prefix="segmart-py-") as scratch:
        csv_path = Path(scratch) / "table.csv"
        with duckdb.connect() as con:
            con.register("result_table", table)
            select_list = ", ".join(
                f'replace("{column.name}", chr(0), \'\') as "{column.name}"'
                if pa.types.is_string(column.type)
                else f'"{column.name}"'
                for column in table.schema
            )
            con.execute(
                f"copy (select {select_list} from result_table) to '{csv_path}' "
                "(format csv, header false)"
            )
        with conn, conn.cursor() as cursor:
            cursor.execute(f'create schema if not exists "{schema}"')
            cursor.execute(f"drop table if exists {qualified}")
            cursor.execute(f"create table {qualified} ({definitions})")
            with csv_path.open("rb") as handle:
                cursor.copy_expert(
                    f"copy {qualified} from stdin with (format csv)", handle
                )
