"""Run dbt with the project's profile against a chosen database and raw folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from segmart.contract import PROJECT_DIR


@dataclass
class DbtRun:
    """What one dbt invocation did."""

    returncode: int
    output: str
    results: list[dict] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.returncode == 0

    def status_of(self, name_fragment: str) -> list[str]:
        """Statuses of the nodes whose unique_id contains `name_fragment`."""
        return [r["status"] for r in self.results if name_fragment in r["unique_id"]]


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project venv), else PATH's."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: Sequence[str],
    *,
    db_path: Path | None = None,
    raw_dir: Path | None = None,
    dbt_vars: dict[str, object] | None = None,
    project_dir: Path = PROJECT_DIR,
    target_path: Path | None = None,
    extra_env: dict[str, str] | None = None,
    echo: bool = False,
    executable: Sequence[str] | None = None,
) -> DbtRun:
    """Invoke dbt (e.g. ``["build"]``) in a subprocess and collect its results.

    The database file and raw folder are passed as SEGMART_DB_PATH and
    SEGMART_RAW_DIR, exactly as a user would set them. `executable` replaces the
    dbt command (e.g. ``segmart.spark``'s dbt with Python models on Spark). A
    subprocess keeps each build's DuckDB connection out of the caller's process.
    """
    env = dict(os.environ)
    env.update(
        {"DBT_PROFILES_DIR": str(project_dir), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    )
    if db_path is not None:
        env["SEGMART_DB_PATH"] = str(db_path)
    if raw_dir is not None:
        env["SEGMART_RAW_DIR"] = str(raw_dir)
    env.update(extra_env or {})
    target = target_path or project_dir / "target"
    command = list(executable) if executable else [dbt_executable()]
    cli = [*command, *args, "--project-dir", str(project_dir)]
    cli += ["--target-path", str(target), "--log-path", str(target / "logs")]
    if dbt_vars:
        cli += ["--vars", json.dumps(dbt_vars)]
    proc = subprocess.run(
        cli,
        cwd=project_dir,
        env=env,
        stdout=None if echo else subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    results: list[dict] = []
    run_results = target / "run_results.json"
    if run_results.exists():
        results = json.loads(run_results.read_text()).get("results", [])
    return DbtRun(proc.returncode, proc.stdout or "", results)
