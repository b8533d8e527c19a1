"""``segmart build`` and ``segmart backfill`` without the command line: the dbt
arguments, the as_of dates, and the builds themselves (through
:func:`segmart.dbt.run_dbt`, with an optional progress callback per build)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from segmart.dbt import NO_UNIT_TESTS, DbtRun, run_dbt
from segmart.errors import UserError
from segmart.guard import build_lock

Progress = Callable[[str], None]


def parse_vars(text: str | None) -> dict[str, Any]:
    """dbt vars given as YAML text; ValueError when it is not a YAML mapping."""
    if not text:
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"not YAML: {error}") from error
    if not isinstance(value, dict):
        raise ValueError("give a mapping, e.g. '{as_of: 2026-03-31}'")
    return value


def check_raw_dir(raw_dir: Path) -> Path:
    """The raw folder, absolute; a clear error when there is none."""
    if not raw_dir.is_dir():
        raise UserError(
            f"no raw folder at {raw_dir}: export your files there or run "
            "`segmart generate --out` for demo data"
        )
    return raw_dir.resolve()


def backfill_dates(start: date, end: date, every: int) -> list[date]:
    """start, start + every, ... up to end (inclusive), oldest first; ValueError
    when start is after end."""
    if start > end:
        raise ValueError(f"--from {start} is after --to {end}")
    dates, day = [], start
    while day <= end:
        dates.append(day)
        day += timedelta(days=every)
    return dates


@dataclass
class Build:
    """What to build: the database, the raw folder and dbt's options."""

    db: Path
    raw_dir: Path
    dbt_vars: dict[str, Any] = field(default_factory=dict)
    select: Sequence[str] = ()
    exclude: Sequence[str] = ()
    full_refresh: bool = False
    target_path: Path | None = None

    def args(self, full_refresh: bool | None = None) -> list[str]:
        """``dbt build`` with the selection (and --full-refresh), unit tests
        left out (segmart.dbt.NO_UNIT_TESTS)."""
        args = ["build", *NO_UNIT_TESTS]
        if self.select:
            args += ["--select", *self.select]
        if self.exclude:
            args += ["--exclude", *self.exclude]
        if self.full_refresh if full_refresh is None else full_refresh:
            args.append("--full-refresh")
        return args


def build(
    spec: Build,
    *,
    as_of: str | None = None,
    full_refresh: bool | None = None,
    progress: Progress | None = None,
) -> DbtRun:
    """One ``dbt build`` of `spec` (at `as_of`, when given), holding the
    database's lock (a UserError when another job holds it)."""
    dbt_vars = dict(spec.dbt_vars)
    if as_of is not None:
        dbt_vars["as_of"] = as_of
    with build_lock(spec.db.resolve()):
        return run_dbt(
            spec.args(full_refresh),
            db_path=spec.db.resolve(),
            raw_dir=check_raw_dir(spec.raw_dir),
            dbt_vars=dbt_vars,
            target_path=spec.target_path,
            progress=progress,
        )


def backfill_plan(start: date, end: date, every: int, latest: bool) -> list[str | None]:
    """The as_of dates of a backfill, oldest first; None: the newest data."""
    plan: list[str | None] = [d.isoformat() for d in backfill_dates(start, end, every)]
    return [*plan, None] if latest else plan


def backfill(
    spec: Build,
    plan: Sequence[str | None],
    progress_for: Callable[[int, str | None], Progress | None] = lambda n, d: None,
) -> tuple[str | None, DbtRun] | None:
    """Build `plan`'s dates in order into one database, --full-refresh only for
    the first; stop at the first failure and return its (as_of, run), else None.

    `progress_for(number, as_of)` gives each build's progress callback.
    """
    for number, as_of in enumerate(plan, start=1):
        result = build(
            spec,
            as_of=as_of,
            full_refresh=spec.full_refresh and number == 1,
            progress=progress_for(number, as_of),
        )
        if not result.success:
            return as_of, result
    return None
