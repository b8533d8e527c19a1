"""Whether this machine has the engines the engine suites build on.

A missing engine skips its suite on a developer's machine, but under CI=true it
fails the run: a CI that skips PostgreSQL or Spark must not pass (`make engines`
installs both).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def postgres_binaries() -> str | None:
    """The folder with initdb, found as scripts/pg_env.sh finds it."""
    configured = os.environ.get("SEGMART_PG_BIN")
    if configured:
        return configured if (Path(configured) / "initdb").exists() else None
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return str(found[-1].parent)
    initdb = shutil.which("initdb")
    return str(Path(initdb).parent) if initdb else None


def require(present: bool, what: str) -> None:
    """Skip the calling test module when `what` is missing; fail it under CI."""
    if present:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            f"CI=true and {what} is missing: `make engines` installs it; "
            "an engine suite must not be skipped in CI",
            pytrace=False,
        )
    pytest.skip(f"{what} is missing", allow_module_level=True)
