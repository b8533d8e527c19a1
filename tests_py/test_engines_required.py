"""An engine suite skips on a machine without its engine, and fails under CI=true
(issue: a CI without PostgreSQL or Java must not pass)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from segmart.contract import PROJECT_DIR


def collect(module: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist",
         "-p", "no:cacheprovider", f"tests_py/{module}"],
        cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("module", "missing", "message"),
    [
        ("test_postgres.py", "pg", "CI=true and PostgreSQL (initdb) is missing"),
        ("test_spark.py", "java", "CI=true and Java 17 for Spark (java on PATH)"),
    ],
)
def test_a_missing_engine_fails_in_ci_and_skips_elsewhere(
    tmp_path, module, missing, message
):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if missing == "pg":
        env["SEGMART_PG_BIN"] = str(tmp_path)  # a folder without initdb
    else:
        env["PATH"] = str(tmp_path)  # no java on PATH
    local = collect(module, env)
    assert local.returncode in (0, 5), local.stdout + local.stderr
    assert "SKIPPED" in local.stdout, local.stdout
    in_ci = collect(module, {**env, "CI": "true"})
    assert in_ci.returncode not in (0, 5), in_ci.stdout
    assert message in in_ci.stdout + in_ci.stderr
