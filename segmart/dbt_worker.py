"""One long-lived dbt process for many runs (``SEGMART_DBT_WORKER=1``).

A dbt command in a fresh process pays for itself before it runs a node: about
1.7 s of imports, and the first compile of every macro template; a small
shop's build is about 13 s, of which about 4 s is that (issue #20). A caller
that runs dbt many times one after another (the test suite's builds, a
`segmart backfill` of many dates) can instead keep one child process that runs
each command with dbt's own :class:`dbtRunner`, one at a time, with the
command's environment and working folder, and its output collected as the
subprocess's was.

:func:`serve` is that child (``python -m segmart.dbt_worker``): it reads one
JSON request per line on stdin (``args``, ``env``, ``cwd``) and answers one
JSON line (``returncode``, ``output``) on the pipe that was its stdout; its own
stdout is pointed at stderr, so nothing a library prints can break the answers.
After each command it closes dbt-duckdb's database, which dbt-duckdb keeps open
for the next command of the process, so the caller can move or open the file.

:class:`Worker` is the caller's side (used by :func:`segmart.dbt.run_dbt`):
one child per calling process, started on first use, started again if it died.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence

WORKER_ENV = "SEGMART_DBT_WORKER"


def enabled(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get(WORKER_ENV, "") == "1"


def _close_duckdb() -> None:
    """Close the database dbt-duckdb keeps open between commands of a process."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # the worker is not only for DuckDB
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if environment is not None:
            environment.close()


def run_one(args: Sequence[str], env: Mapping[str, str], cwd: str) -> tuple[int, str]:
    """One dbt command in this process, as the ``dbt`` program would run it:
    exit code 0 (success), 1 (a node failed) or 2 (dbt could not run)."""
    from dbt import selected_resources
    from dbt.cli.main import dbtRunner

    # what a command leaves in dbt's module state and the next does not set
    # again: a run-operation would see the previous command's selection
    selected_resources.set_selected_resources(set())
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            result = dbtRunner().invoke(list(args))
        code = 0 if result.success else 2 if result.exception is not None else 1
        # what the dbt program prints of an error its log did not show (a usage
        # error: an unknown option)
        message = str(result.exception or "")
        if message and message not in output.getvalue():
            output.write(f"{type(result.exception).__name__}: {message}\n")
    finally:
        _close_duckdb()
    return code, output.getvalue()


def serve() -> None:
    """The child's loop: a request per line on stdin, an answer per line back."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    for line in sys.stdin:
        request = json.loads(line)
        try:
            code, output = run_one(request["args"], request["env"], request["cwd"])
        except BaseException as error:  # noqa: BLE001 (answered, never swallowed)
            code, output = 2, f"segmart dbt worker: {type(error).__name__}: {error}\n"
        answers.write(json.dumps({"returncode": code, "output": output}) + "\n")
        answers.flush()


class Worker:
    """The calling process's dbt child, one command at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen | None = None

    def _started(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "segmart.dbt_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        return self._proc

    def run(
        self, args: Sequence[str], env: Mapping[str, str], cwd: str
    ) -> tuple[int, str] | None:
        """The command's exit code and output; None when the worker is busy
        with another thread's command (the caller then runs its own process)."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            proc = self._started()
            assert proc.stdin is not None and proc.stdout is not None
            request = {"args": list(args), "env": dict(env), "cwd": str(cwd)}
            proc.stdin.write(json.dumps(request) + "\n")
            proc.stdin.flush()
            answer = proc.stdout.readline()
            if not answer:  # the child died mid-command
                proc.wait()
                return 2, f"segmart dbt worker exited with {proc.returncode}\n"
            reply = json.loads(answer)
            return reply["returncode"], reply["output"]
        finally:
            self._lock.release()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()


if __name__ == "__main__":
    serve()
