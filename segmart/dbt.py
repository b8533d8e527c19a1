"""The one place segmart runs dbt.

- :func:`run_dbt`: every command and engine runs dbt through it, in a
  subprocess, with the project's profile against a chosen database and raw
  folder. Quiet (output collected), echoed (dbt writes to the terminal), or
  streamed line by line to a ``progress`` callback (the progress bar of
  ``segmart build``). With ``SEGMART_DBT_WORKER=1`` a collected command runs
  in the caller's long-lived dbt process instead (:mod:`segmart.dbt_worker`):
  the same dbt program, without a new process's imports for every command.
- :func:`dbt_main`: dbt's own command line in *this* process, the one in-process
  branch. It exists for the Spark target: dbt-spark's ``method: session`` runs
  every statement and the Python models on a Spark session inside the dbt
  process, so segmart's additions to dbt-spark (``segmart.spark.patch_dbt_spark``)
  must be applied in that process before dbt starts. :func:`run_dbt` reaches it
  as the program of its subprocess (``python -m segmart.spark``, which applies
  the patch and calls :func:`dbt_main`); ``segmart dbt ARGS`` and
  scripts/spark_dbt.py are dbt's command line itself, so they call it directly.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from segmart import dbt_worker, keys
from segmart.contract import PROJECT_DIR

# dbt's log line of a finished node: "12 of 80 OK created ..." (not "... START").
# What segmart's own builds (segmart run, build, backfill) leave out: the unit
# tests check the models' logic on hand-made rows, not the shop's data, so they run
# in `make test` (tests_py/test_unit_tests.py) and in a plain `dbt build`, not in
# every production build, where they were a third of a small shop's build time.
NO_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
# A folder of the caller's own (a test worker, a script building many shops one
# after another): every DuckDB build then runs at one fixed path in it, so dbt's
# saved parse is reused across databases (see :func:`_in_dbt_home`).
DBT_HOME_ENV = "SEGMART_DBT_HOME"
# Vars the project reads from the environment when --vars does not set them
# (int_build_context, land_raw_files). run_dbt passes them that way: a new value
# then re-parses the one file that reads it, where a new --vars re-parses the
# whole project (a history of monthly as_of builds parsed it once a month).
_VARS_FROM_ENV = {"as_of": "SEGMART_AS_OF", "raw_dir": "SEGMART_RAW_DIR"}
# What dbt parses: a change to any of these files is a change to the parse.
_PARSED = ("models", "macros", "tests", "seeds", "segments", "analyses", "snapshots")
_PARTIAL_PARSE_FILE = "partial_parse.msgpack"
_NODE_DONE = re.compile(r"\b(\d+) of (\d+) (?!START\b)[A-Z]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


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


def closing_lines(output: str, *, warnings: bool = True) -> list[str]:
    """A successful run's closing lines: its ``Done. PASS=`` line (and, with
    `warnings`, the ``Warning in`` lines of tests that warned)."""
    return [
        line
        for line in output.splitlines()
        if "Done. PASS=" in line or (warnings and "Warning in" in line)
    ]


def error_lines(output: str) -> list[str]:
    """A failed run's errors: from dbt's ``Completed with`` on, else its last 40
    lines; then segmart's reading of DuckDB's file errors (:func:`file_hints`)."""
    lines = output.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if "Completed with" in line),
        max(0, len(lines) - 40),
    )
    return lines[start:] + file_hints(output)


# DuckDB's reader errors on a raw export (raised while landing, where a macro
# cannot catch them): they name the file, but their fixes are DuckDB's options.
_FILE_ERRORS = (
    (
        re.compile(r'Error when sniffing file "([^"]+)"'),
        "could not be read as CSV: look for a quote opened and never closed, a mix "
        "of Windows (CRLF) and Unix (LF) line endings (save the file again with "
        "one kind), or a delimiter other than the csv_delimiter var.",
    ),
    (
        re.compile(r"(?:Unexpected end of|Input is not a) GZIP stream: (\S+)"),
        "is not a readable gzip file (cut short, or not compressed although named "
        ".gz): export or download it again.",
    ),
)


def file_hints(output: str) -> list[str]:
    """What to do about each raw export DuckDB could not read, one line a file."""
    hints: dict[str, None] = {}
    for pattern, advice in _FILE_ERRORS:
        for path in pattern.findall(output):
            hints[f"segmart: {path} {advice}"] = None
    return list(hints)


def nodes_done(line: str) -> tuple[int, int] | None:
    """(node number, of how many) when a dbt log line says a node finished."""
    match = _NODE_DONE.search(line)
    return (int(match.group(1)), int(match.group(2))) if match else None


def default_target_path(project_dir: Path = PROJECT_DIR) -> Path:
    """Where dbt writes its artifacts when no --target-path is given: dbt's own
    DBT_TARGET_PATH when set (the test workers set one each), else target/."""
    configured = os.environ.get("DBT_TARGET_PATH")
    return Path(configured) if configured else project_dir / "target"


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project venv), else PATH's."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def _vars_text(dbt_vars: dict[str, object]) -> str:
    """--vars as YAML flow text: JSON for JSON values, and dates stay dates."""
    try:
        return json.dumps(dbt_vars)
    except TypeError:  # a date (e.g. `--vars '{as_of: 2026-03-31}'`)
        import yaml

        return yaml.safe_dump(
            dbt_vars, default_flow_style=True, width=float("inf")
        ).strip()


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
    progress: Callable[[str], None] | None = None,
    executable: Sequence[str] | None = None,
) -> DbtRun:
    """Invoke dbt (e.g. ``["build"]``) in a subprocess and collect its results.

    The database file and raw folder are passed as SEGMART_DB_PATH and
    SEGMART_RAW_DIR, exactly as a user would set them; so are the vars
    ``as_of`` and ``raw_dir`` (SEGMART_AS_OF, SEGMART_RAW_DIR), so that a new
    value does not make dbt parse the whole project again. `executable` replaces the
    dbt command (``segmart.spark``'s dbt with Python models on Spark). A
    subprocess keeps each build's DuckDB connection out of the caller's process;
    so does the dbt worker (SEGMART_DBT_WORKER=1, :mod:`segmart.dbt_worker`),
    which runs the collected commands of the dbt program one after another.

    Output: collected into the result; with `echo`, written to this process's
    terminal instead; with `progress`, dbt runs without colours and each line of
    its log goes to ``progress(line)`` as it comes (and into the result).
    """
    env = dict(os.environ)
    env.update(
        {"DBT_PROFILES_DIR": str(project_dir), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    )
    if progress is not None:
        env["DBT_USE_COLORS"] = "false"
    if db_path is not None:
        env["SEGMART_DB_PATH"] = str(db_path)
    if raw_dir is not None:
        env["SEGMART_RAW_DIR"] = str(raw_dir)
    env.update(keys.dbt_env())
    env.update(extra_env or {})
    dbt_vars = dict(dbt_vars or {})
    for name, env_name in _VARS_FROM_ENV.items():
        if name in dbt_vars:
            value = dbt_vars.pop(name)
            env[env_name] = "" if value is None else str(value)
    target = target_path or default_target_path(project_dir)
    command = list(executable) if executable else [dbt_executable()]
    cli = [*command, *args, "--project-dir", str(project_dir)]
    cli += ["--target-path", str(target), "--log-path", str(target / "logs")]
    if dbt_vars:
        cli += ["--vars", _vars_text(dbt_vars)]
    home = os.environ.get(DBT_HOME_ENV)
    on_duckdb = (
        env.get("SEGMART_TARGET", "duckdb") == "duckdb" and "--target" not in args
    )
    if home and db_path is not None and executable is None and on_duckdb:
        parse_key = _parse_key(project_dir, cli)
        with _in_dbt_home(Path(home), Path(db_path), target, parse_key) as (
            path,
            saved,
        ):
            env["SEGMART_DB_PATH"] = str(path)
            if saved is not None:
                env["DBT_PARTIAL_PARSE_FILE_PATH"] = str(saved)
            return _run(cli, project_dir, env, target, echo, progress)
    return _run(cli, project_dir, env, target, echo, progress)


def _parse_key(project_dir: Path, cli: Sequence[str]) -> str:
    """What a saved parse depends on besides the environment dbt tracks itself:
    the project folder, every parsed file's content and the command's --vars."""
    digest = hashlib.sha256(str(project_dir.resolve()).encode())
    vars_at = [i for i, arg in enumerate(cli) if arg == "--vars"]
    for i in vars_at:
        digest.update(cli[i + 1].encode())
    files = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in _PARSED:
        files += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file())
    for path in files:
        if path.exists():
            digest.update(str(path.relative_to(project_dir)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


@contextmanager
def _in_dbt_home(
    home: Path, db_path: Path, target: Path, parse_key: str
) -> Iterator[tuple[Path, Path | None]]:
    """Run one DuckDB build in `home` (:data:`DBT_HOME_ENV`).

    dbt reuses a saved parse only when the profile is the same, and the
    database's path is part of it: every build here runs at ``home/segmart.duckdb``.
    The database file (and a write-ahead log, if any) is moved there for the
    run and back after it, whatever happens. DuckDB keeps no database name
    in its views, so the file works at either path. Yields that path and the
    saved parse for `parse_key` (None before the first build with it); after
    the run, this run's parse is saved under the key when none was.
    """
    home.mkdir(parents=True, exist_ok=True)
    at_home = home / "segmart.duckdb"
    own = db_path.resolve()
    own.parent.mkdir(parents=True, exist_ok=True)
    saved = home / f"{parse_key}.msgpack"
    pairs = [(Path(f"{own}{s}"), Path(f"{at_home}{s}")) for s in ("", ".wal")]
    for _, there in pairs:
        there.unlink(missing_ok=True)  # left by a run that was killed
    for here, there in pairs:
        if here.exists():
            shutil.move(here, there)
    written = target / _PARTIAL_PARSE_FILE
    before = written.stat().st_mtime_ns if written.exists() else None
    try:
        yield at_home, (saved if saved.exists() else None)
    finally:
        for here, there in pairs:
            if there.exists():
                shutil.move(there, here)
        fresh = written.exists() and written.stat().st_mtime_ns != before
        if fresh and not saved.exists():
            shutil.copyfile(written, saved)


def _run(
    cli: list[str],
    project_dir: Path,
    env: dict[str, str],
    target: Path,
    echo: bool,
    progress: Callable[[str], None] | None,
) -> DbtRun:
    """Run dbt's command line `cli` and read its run_results.json: in the
    caller's long-lived dbt process when SEGMART_DBT_WORKER=1 (the dbt program,
    output not echoed, that process free; `progress` then gets the lines when
    the command has ended), else in a process of its own."""
    ran = None
    if not echo and cli[0] == dbt_executable() and dbt_worker.enabled(env):
        ran = _worker().run(cli[1:], env, str(project_dir))
    if ran is not None:
        returncode, output = ran
        if progress is not None:  # the lines come when the command has ended
            output = _ANSI.sub("", output)
            for line in output.splitlines(keepends=True):
                progress(line)
    elif progress is None:
        proc = subprocess.run(
            cli,
            cwd=project_dir,
            env=env,
            stdout=None if echo else subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        returncode, output = proc.returncode, proc.stdout or ""
    else:
        returncode, output = _stream(cli, project_dir, env, progress)
    results: list[dict] = []
    run_results = target / "run_results.json"
    if run_results.exists():
        results = json.loads(run_results.read_text()).get("results", [])
    return DbtRun(returncode, output, results)


_WORKER: dbt_worker.Worker | None = None


def _worker() -> dbt_worker.Worker:
    """This process's dbt worker (segmart.dbt_worker), started on first use."""
    global _WORKER
    if _WORKER is None:
        _WORKER = dbt_worker.Worker()
        atexit.register(_WORKER.stop)
    return _WORKER


def _stream(
    cli: list[str], cwd: Path, env: dict[str, str], progress: Callable[[str], None]
) -> tuple[int, str]:
    """Run `cli`, handing each (colourless) line to `progress`; exit code, log."""
    proc = subprocess.Popen(
        cli,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = _ANSI.sub("", raw)
        lines.append(line)
        progress(line)
    return proc.wait(), "".join(lines)


def dbt_main(args: Sequence[str], *, prepare: Callable[[], None] | None = None) -> int:
    """dbt's command line in this process, after `prepare()`; the exit code.

    The in-process branch (module docstring): only for a process that is dbt,
    the subprocess of :func:`run_dbt` on Spark or ``segmart dbt``.
    """
    from dbt.cli.main import dbtRunner

    os.environ.update(keys.dbt_env())
    if prepare is not None:
        prepare()
    result = dbtRunner().invoke(list(args))
    if result.success:
        return 0
    return 2 if result.exception is not None else 1
