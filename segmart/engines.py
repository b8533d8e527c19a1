"""What the engine modules share: ``segmart.load`` (PostgreSQL),
``segmart.pg_build`` and ``segmart.spark`` each import from here, and this module
imports none of them.

- :class:`LoadError`: the raw files could not be landed;
- :class:`PgSettings`: the connection settings of the ``postgres`` output;
- :func:`land_in_duckdb`: the DuckDB landing macro run into a scratch DuckDB file,
  the first step of every load on a server engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segmart.dbt import run_dbt


class LoadError(RuntimeError):
    """The raw files could not be landed (the message says why)."""


@dataclass(frozen=True)
class PgSettings:
    """Connection settings of the `postgres` output in profiles.yml."""

    host: str = "127.0.0.1"
    port: int = 5433
    user: str = "segmart"
    password: str = "segmart"
    dbname: str = "segmart"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> PgSettings:
        """Read SEGMART_PG_HOST, _PORT, _USER, _PASSWORD and _DB (profiles.yml)."""
        env = os.environ if env is None else env
        return cls(
            host=env.get("SEGMART_PG_HOST", cls.host),
            port=int(env.get("SEGMART_PG_PORT", cls.port)),
            user=env.get("SEGMART_PG_USER", cls.user),
            password=env.get("SEGMART_PG_PASSWORD", cls.password),
            dbname=env.get("SEGMART_PG_DB", cls.dbname),
        )

    def connect(self) -> Any:
        """A psycopg2 connection (psycopg2 comes with the `postgres` extra)."""
        try:
            import psycopg2
        except ImportError as error:  # pragma: no cover - depends on the extra
            raise LoadError(
                "psycopg2 is missing: pip install -e '.[postgres]'"
            ) from error
        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=self.dbname,
        )


def land_in_duckdb(
    raw_dir: Path,
    db_path: Path,
    *,
    dbt_vars: Mapping[str, object] | None = None,
    target_path: Path | None = None,
) -> None:
    """Run the DuckDB landing macro on `raw_dir` into the DuckDB file `db_path`."""
    result = run_dbt(
        ["run-operation", "land_raw_files"],
        db_path=db_path,
        raw_dir=raw_dir,
        dbt_vars=dict(dbt_vars or {}),
        target_path=target_path or db_path.parent / "target",
        extra_env={"SEGMART_TARGET": "duckdb"},
    )
    if not result.success:
        lines = [line for line in result.output.splitlines() if line.strip()]
        raise LoadError("landing the raw files failed:\n" + "\n".join(lines[-15:]))
