"""Deliver the segment change feed to a webhook, exactly once per change.

The build writes a JSON Lines change feed: one customer entering or leaving a
segment per line (customer_key, segment_name, change = entered | left, as_of or
changed_at, reason). :func:`notify` POSTs the changes not yet delivered, in
batches, as JSON to a webhook (a Zapier or Make "catch hook", or any endpoint):

.. code-block:: json

    {"batch_id": "<sha256>", "count": 2,
     "changes": [{"idempotency_key": "<sha256>", "customer_key": "...",
                  "segment_name": "win_back", "change": "entered",
                  "as_of": "2026-05-01", "changed_at": "2026-05-01",
                  "reason": "..."}]}

Exactly once, as far as the two ends can make it:

- each change has an idempotency key, sha256("customer_key|segment|change|as_of"),
  and each batch an ``Idempotency-Key`` header (sha256 of its change keys); a
  retried batch carries the same key, so a receiver that saw it already (the
  response was lost to a timeout or a dropped connection) can ignore it;
- a batch is recorded in the state file (JSON Lines, one delivered key per line,
  flushed and fsynced) only after a 2xx response, and a rerun sends only what the
  state file lacks: nothing is sent twice after a success, and nothing is lost
  after a failure or a crash;
- 5xx, 429, timeouts and connection errors are retried with exponential backoff
  (``backoff * 2**n`` seconds, or Retry-After when longer); other 4xx are not
  (retrying a rejected request cannot succeed); after the last retry the run
  stops and reports failure, leaving the rest for the next run;
- a lock file keeps two runs from delivering from one state file at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

CHANGES = ("entered", "left")
USER_AGENT = "segmart-notify/1"


class NotifyError(RuntimeError):
    """The feed, the state file or the settings cannot be used (nothing sent)."""


def change_key(customer_key: str, segment_name: str, change: str, as_of: str) -> str:
    """The idempotency key of one change: sha256 of "customer|segment|change|as_of"."""
    text = f"{customer_key}|{segment_name}|{change}|{as_of}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def batch_key(keys: Sequence[str]) -> str:
    """The Idempotency-Key of a batch: sha256 of its change keys, in order."""
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    """One line of the change feed."""

    customer_key: str
    segment_name: str
    change: str
    as_of: str
    changed_at: str
    reason: str
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> str:
        """This change's idempotency key."""
        return change_key(self.customer_key, self.segment_name, self.change, self.as_of)

    def payload(self) -> dict[str, Any]:
        """The change as sent: its fields and its idempotency key."""
        return {
            "idempotency_key": self.key,
            "customer_key": self.customer_key,
            "segment_name": self.segment_name,
            "change": self.change,
            "as_of": self.as_of,
            "changed_at": self.changed_at,
            "reason": self.reason,
            **dict(self.extra),
        }


def read_feed(path: Path | str) -> list[Change]:
    """Parse a JSON Lines change feed; blank lines are ignored.

    Raises NotifyError naming the line of the first invalid change (before
    anything is sent): a change that cannot be keyed cannot be sent exactly once.
    """
    changes: list[Change] = []
    known = {"customer_key", "segment_name", "change", "as_of", "changed_at", "reason"}
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise NotifyError(f"{path} line {number}: not JSON ({exc})") from exc
            if not isinstance(record, dict):
                raise NotifyError(f"{path} line {number}: not a JSON object")
            as_of = str(record.get("as_of") or record.get("changed_at") or "")
            values = {
                "customer_key": str(record.get("customer_key") or ""),
                "segment_name": str(record.get("segment_name") or ""),
                "change": str(record.get("change") or ""),
            }
            missing = [k for k, v in values.items() if not v]
            if not as_of:
                missing.append("as_of/changed_at")
            if missing:
                raise NotifyError(f"{path} line {number}: missing {', '.join(missing)}")
            if values["change"] not in CHANGES:
                raise NotifyError(
                    f"{path} line {number}: change must be entered or left, "
                    f"not {values['change']!r}"
                )
            changes.append(
                Change(
                    **values,
                    as_of=as_of,
                    changed_at=str(record.get("changed_at") or as_of),
                    reason=str(record.get("reason") or ""),
                    extra=tuple((k, v) for k, v in record.items() if k not in known),
                )
            )
    return changes


def read_state(path: Path | str) -> set[str]:
    """The change keys already delivered (empty when the state file is absent).

    A last line cut short by a crash mid-write is ignored (its batch was not
    recorded, so it is sent again: the receiver's idempotency check covers it).
    A bad line elsewhere is an error: guessing could send things twice.
    """
    path = Path(path)
    if not path.exists():
        return set()
    lines = path.read_text(encoding="utf-8").split("\n")
    delivered: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            delivered.add(json.loads(line)["key"])
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(lines):  # the unterminated last line
                continue
            raise NotifyError(f"state file {path} line {number} is damaged") from exc
    return delivered


def _record(path: Path, keys: Sequence[str], batch: str) -> None:
    """Append delivered keys to the state file, durably (flush + fsync)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = "".join(
        json.dumps({"key": k, "batch": batch, "delivered_at": now}) + "\n" for k in keys
    )
    if path.exists() and path.stat().st_size:
        data = path.read_bytes()
        if not data.endswith(b"\n"):  # a line cut short by a crash: drop it
            os.truncate(path, data.rfind(b"\n") + 1)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


@contextlib.contextmanager
def _locked(state_path: Path) -> Iterator[None]:
    """Hold an exclusive lock next to the state file for the run."""
    lock_path = state_path.with_name(state_path.name + ".lock")
    handle = lock_path.open("a")
    try:
        try:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX: no lock
            pass
        except OSError as exc:
            raise NotifyError(
                f"another notify run is delivering from {state_path}"
            ) from exc
        yield
    finally:
        handle.close()


@dataclass
class NotifyResult:
    """What a notify run did."""

    total: int = 0
    duplicates_in_feed: int = 0
    already_delivered: int = 0
    delivered: int = 0
    pending: int = 0
    batches: int = 0
    requests: int = 0
    ok: bool = True
    error: str = ""


def _retry_after(response: requests.Response) -> float:
    """Seconds asked for by a Retry-After header (0 when absent or a date)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", "0")))
    except ValueError:
        return 0.0


def notify(
    feed_path: Path | str,
    url: str,
    state_path: Path | str,
    batch_size: int = 100,
    max_retries: int = 5,
    timeout: float = 5,
    *,
    sleep: Callable[[float], None] = time.sleep,
    backoff: float = 0.5,
    max_backoff: float = 60.0,
    envelope: bool = True,
    headers: dict[str, str] | None = None,
    session: requests.Session | None = None,
) -> NotifyResult:
    """POST the undelivered changes of `feed_path` to `url`, in batches.

    `timeout` (seconds) applies to connecting and to reading the response.
    `sleep` is called for each backoff (inject a fake in tests). With
    ``envelope=False`` the body is a bare JSON array of changes (Zapier then runs
    the Zap once per change). Returns a :class:`NotifyResult`; ``ok`` is False
    when a batch could not be delivered (the rest stay pending for a rerun).
    Raises NotifyError for an invalid feed, state file or setting.
    """
    if batch_size < 1 or max_retries < 0 or timeout <= 0:
        raise NotifyError("batch_size >= 1, max_retries >= 0 and timeout > 0")
    if not url.startswith(("http://", "https://")):
        raise NotifyError(f"webhook URL must be http(s): {url!r}")
    state_path = Path(state_path)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    changes = read_feed(feed_path)
    result = NotifyResult(total=len(changes))
    unique: dict[str, Change] = {}
    for change in changes:
        if change.key in unique:
            result.duplicates_in_feed += 1
        unique.setdefault(change.key, change)

    own_session = session is None
    http = session or requests.Session()
    if own_session:
        http.mount("http://", HTTPAdapter(max_retries=0))
        http.mount("https://", HTTPAdapter(max_retries=0))
    base_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    base_headers.update(headers or {})
    try:
        with _locked(state_path):
            delivered = read_state(state_path)
            pending = [c for k, c in unique.items() if k not in delivered]
            result.already_delivered = len(unique) - len(pending)
            for start in range(0, len(pending), batch_size):
                batch = pending[start : start + batch_size]
                keys = [c.key for c in batch]
                key = batch_key(keys)
                body = [c.payload() for c in batch]
                if envelope:
                    body = {"batch_id": key, "count": len(batch), "changes": body}
                error = _post(
                    http,
                    url,
                    body,
                    {**base_headers, "Idempotency-Key": key},
                    timeout,
                    max_retries,
                    backoff,
                    max_backoff,
                    sleep,
                    result,
                )
                if error:
                    result.ok = False
                    result.error = error
                    break
                _record(state_path, keys, key)
                result.batches += 1
                result.delivered += len(batch)
            result.pending = len(pending) - result.delivered
    finally:
        if own_session:
            http.close()
    return result


def _post(
    http: requests.Session,
    url: str,
    body: Any,
    headers: dict[str, str],
    timeout: float,
    max_retries: int,
    backoff: float,
    max_backoff: float,
    sleep: Callable[[float], None],
    result: NotifyResult,
) -> str:
    """POST one batch with retries; '' on success, else why it failed."""
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    problem = ""
    for attempt in range(max_retries + 1):
        wait = min(max_backoff, backoff * 2**attempt)
        result.requests += 1
        try:
            response = http.post(url, data=data, headers=headers, timeout=timeout)
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            problem = f"{type(exc).__name__}: {exc}"
        except requests.RequestException as exc:
            return f"{type(exc).__name__}: {exc}"
        else:
            status = response.status_code
            if 200 <= status < 300:
                return ""
            problem = f"HTTP {status}: {response.text[:200]}"
            if status != 429 and status < 500:
                return problem
            wait = min(max_backoff, max(wait, _retry_after(response)))
        if attempt < max_retries:
            sleep(wait)
    return f"gave up after {max_retries + 1} attempts; last: {problem}"


def register(cli_group: Any) -> None:
    """Add the ``notify`` command to a click group."""
    import click

    @cli_group.command("notify")
    @click.option(
        "--feed",
        "feed_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        required=True,
        help="JSON Lines segment change feed written by the build.",
    )
    @click.option(
        "--url",
        envvar="SEGMART_WEBHOOK_URL",
        required=True,
        help="Webhook URL (or SEGMART_WEBHOOK_URL).",
    )
    @click.option(
        "--state",
        "state_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Delivery record (default: notify_state.jsonl next to the feed).",
    )
    @click.option("--batch-size", type=click.IntRange(min=1), default=100)
    @click.option("--max-retries", type=click.IntRange(min=0), default=5)
    @click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0)
    @click.option(
        "--no-envelope",
        is_flag=True,
        help="Send each batch as a bare JSON array (one Zap run per change).",
    )
    def notify_command(
        feed_path: Path,
        url: str,
        state_path: Path | None,
        batch_size: int,
        max_retries: int,
        timeout: float,
        no_envelope: bool,
    ) -> None:
        """POST segment changes to a webhook, each exactly once."""
        state = state_path or feed_path.parent / "notify_state.jsonl"
        try:
            result = notify(
                feed_path,
                url,
                state,
                batch_size=batch_size,
                max_retries=max_retries,
                timeout=timeout,
                envelope=not no_envelope,
            )
        except NotifyError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(
            f"{result.delivered} delivered in {result.batches} batch(es), "
            f"{result.already_delivered} already delivered, {result.pending} pending"
        )
        if not result.ok:
            raise click.ClickException(result.error)
