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

Delivered the way payment providers deliver webhooks (docs/webhooks.md tells a
receiver what to check):

- https only; plain http only to a loopback host (127.0.0.0/8, ::1, localhost);
- no redirect is followed: a 3xx is a failed delivery;
- the URL often carries a secret token, so no message, exception or log line
  shows more of it than ``scheme://host[:port]/…`` (:func:`redact_url`);
- every request is signed with a shared signing secret:
  ``Segmart-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``
  (Stripe's scheme; each attempt is signed afresh, with its own timestamp).

Exactly once, as far as the two ends can make it:

- each change has an idempotency key, sha256("customer_key|segment|change|as_of"),
  and each batch a ``Segmart-Idempotency-Key`` header (also sent as
  ``Idempotency-Key``: sha256 of its change keys); a retried batch carries the
  same key and the same body, so a receiver that saw it already (the response
  was lost to a timeout or a dropped connection) can ignore it;
- a batch is recorded in the state file (JSON Lines, one delivered key per line,
  flushed and fsynced) only after a 2xx response, and a rerun sends only what the
  state file lacks: nothing is sent twice after a success, and nothing is lost
  after a failure or a crash;
- 5xx, 429, timeouts and connection errors are retried with exponential backoff
  (``backoff * 2**n`` seconds, or Retry-After when longer), at most
  ``max_retries`` times; 3xx and other 4xx are not (retrying cannot succeed);
  after the last retry the run stops and reports failure, leaving the rest for
  the next run;
- a lock file keeps two runs from delivering from one state file at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

CHANGES = ("entered", "left")
USER_AGENT = "segmart-notify/1"
SIGNATURE_HEADER = "Segmart-Signature"
IDEMPOTENCY_HEADER = "Segmart-Idempotency-Key"
SECRET_ENV = "SEGMART_WEBHOOK_SECRET"
# The loggers of the HTTP stack that may write a request's path (urllib3 logs
# '"POST /path?query HTTP/1.1" 500' at DEBUG): redacted while notify runs.
HTTP_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
    "requests",
)


class NotifyError(RuntimeError):
    """The feed, the state file or the settings cannot be used (nothing sent)."""


def redact_url(url: str) -> str:
    """`url` as it may be shown: ``scheme://host[:port]/…``.

    No userinfo, path, query or fragment: any of them may hold a secret.
    """
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    scheme = parts.scheme.lower() or "?"
    return f"{scheme}://{host or '?'}{f':{port}' if port else ''}/…"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Raise NotifyError unless `url` is https, or http to a loopback host.

    The message shows the URL redacted (:func:`redact_url`).
    """
    shown = redact_url(url)
    try:
        parts = urllib.parse.urlsplit(url)
        host = (parts.hostname or "").lower()
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        raise NotifyError(f"webhook URL is not a valid URL: {shown}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not host:
        raise NotifyError(f"webhook URL must be https://host/...: {shown}")
    if scheme == "http" and not _is_loopback(host):
        raise NotifyError(
            f"webhook URL must be https (plain http only to 127.0.0.1, ::1 or "
            f"localhost): {shown}"
        )


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Segmart-Signature`` header value for `body` sent at `timestamp`.

    ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
    """
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _Redactor(logging.Filter):
    """Replaces the secret parts of one URL in a log record's message."""

    def __init__(self, scrub: Callable[[str], str]) -> None:
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad record: show nothing of it
            message = f"<unprintable {record.name} log record>"
        record.msg, record.args = self.scrub(message), None
        if record.exc_info or record.exc_text:
            # a traceback may quote the URL: keep only the redacted message
            record.exc_info, record.exc_text = None, None
        return True


def _scrubber(url: str) -> Callable[[str], str]:
    """A function that replaces every secret-bearing part of `url` in a text.

    The whole URL becomes ``scheme://host[:port]/…``, a path (with its query)
    ``/…``, and a query, fragment or user info ``…``.
    """
    shown = redact_url(url)
    secrets = {url: shown}
    try:
        parts = urllib.parse.urlsplit(url)
        prepared = requests.Request("POST", url).prepare()
        secrets.update({prepared.url or "": shown, prepared.path_url: "/…"})
    except (ValueError, requests.RequestException):
        parts = None
    if parts is not None:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        secrets.update({target: "/…", parts.path: "/…"})
        for other in (parts.query, parts.fragment, parts.username, parts.password):
            secrets[other or ""] = "…"
        if "@" in parts.netloc:
            secrets[parts.netloc.rpartition("@")[0]] = "…"
        for text, replacement in list(secrets.items()):
            secrets.setdefault(urllib.parse.unquote(text), replacement)
    # the longest first; "/" alone or tiny fragments would mangle the message
    ordered = sorted(
        ((t, r) for t, r in secrets.items() if len(t) > 2),
        key=lambda item: len(item[0]),
        reverse=True,
    )

    def scrub(text: str) -> str:
        for secret, replacement in ordered:
            text = text.replace(secret, replacement)
        return text

    return scrub


@contextlib.contextmanager
def _redacted_logs(scrub: Callable[[str], str]) -> Iterator[None]:
    """Redact the URL from what the HTTP stack logs while the block runs."""
    redactor = _Redactor(scrub)
    names = set(HTTP_LOGGERS) | {
        name
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(("urllib3.", "requests."))
    }
    loggers = [logging.getLogger(name) for name in sorted(names)]
    for logger in loggers:
        logger.addFilter(redactor)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redactor)


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
    signing_secret: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    backoff: float = 0.5,
    max_backoff: float = 60.0,
    envelope: bool = True,
    headers: dict[str, str] | None = None,
    session: requests.Session | None = None,
) -> NotifyResult:
    """POST the undelivered changes of `feed_path` to `url`, in batches.

    `url` must be https, or http to a loopback host; redirects are not followed.
    Each request is signed with `signing_secret` (required; see
    :func:`signature`). `timeout` (seconds) applies to connecting and to reading
    the response. `sleep` is called for each backoff and `clock` gives the
    signature's timestamp (inject fakes in tests). With ``envelope=False`` the
    body is a bare JSON array of changes (Zapier then runs the Zap once per
    change). Returns a :class:`NotifyResult`; ``ok`` is False when a batch could
    not be delivered (the rest stay pending for a rerun). Raises NotifyError for
    an invalid feed, state file or setting, before anything is sent. No message
    shows more of `url` than :func:`redact_url` does.
    """
    if batch_size < 1 or max_retries < 0 or timeout <= 0 or backoff < 0:
        raise NotifyError(
            "batch_size >= 1, max_retries >= 0, timeout > 0 and backoff >= 0"
        )
    check_url(url)
    if not signing_secret:
        raise NotifyError(
            f"a signing secret is required (--signing-secret or {SECRET_ENV}): "
            "each request is signed so the receiver can check it came from here"
        )
    state_path = Path(state_path)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    changes = read_feed(feed_path)
    result = NotifyResult(total=len(changes))
    unique: dict[str, Change] = {}
    for change in changes:
        if change.key in unique:
            result.duplicates_in_feed += 1
        unique.setdefault(change.key, change)

    scrub = _scrubber(url)
    own_session = session is None
    http = session or requests.Session()
    if own_session:
        http.mount("http://", HTTPAdapter(max_retries=0))
        http.mount("https://", HTTPAdapter(max_retries=0))
    base_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    base_headers.update(headers or {})
    try:
        with _locked(state_path), _redacted_logs(scrub):
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
                    {**base_headers, "Idempotency-Key": key, IDEMPOTENCY_HEADER: key},
                    _Retry(timeout, max_retries, backoff, max_backoff, sleep),
                    lambda data: signature(signing_secret, int(clock()), data),
                    scrub,
                    result,
                )
                if error:
                    result.ok = False
                    result.error = scrub(error)
                    break
                _record(state_path, keys, key)
                result.batches += 1
                result.delivered += len(batch)
            result.pending = len(pending) - result.delivered
    finally:
        if own_session:
            http.close()
    return result


@dataclass(frozen=True)
class _Retry:
    """How one batch is retried."""

    timeout: float
    max_retries: int
    backoff: float
    max_backoff: float
    sleep: Callable[[float], None]


def _reason(exc: BaseException) -> str:
    """What went wrong under a requests exception, without its URL.

    The exception texts of requests and urllib3 quote the URL (``Max retries
    exceeded with url: /path?query``), so only the operating system's reason
    (``Connection refused``) or a class name is used.
    """
    seen: set[int] = set()
    todo: list[Any] = [exc]
    innermost = exc
    while todo:
        current = todo.pop(0)
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        innermost = current
        if isinstance(current, TimeoutError) or "Timeout" in type(current).__name__:
            return "timed out"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        todo.extend([getattr(current, "reason", None), current.__cause__])
        todo.extend([current.__context__, *current.args])
    return type(innermost).__name__


def _post(
    http: requests.Session,
    url: str,
    body: Any,
    headers: dict[str, str],
    retry: _Retry,
    sign: Callable[[bytes], str],
    scrub: Callable[[str], str],
    result: NotifyResult,
) -> str:
    """POST one batch with retries; '' on success, else why it failed.

    The body and its idempotency key are the same on every attempt; each
    attempt is signed afresh (its own timestamp).
    """
    data = json.dumps(body, separators=(",", ":")).encode("utf-8")
    shown = redact_url(url)
    problem = ""
    for attempt in range(retry.max_retries + 1):
        wait = min(retry.max_backoff, retry.backoff * 2**attempt)
        result.requests += 1
        signed = {**headers, SIGNATURE_HEADER: sign(data)}
        try:
            response = http.post(
                url,
                data=data,
                headers=signed,
                timeout=retry.timeout,
                allow_redirects=False,
            )
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            problem = f"{type(exc).__name__} ({_reason(exc)}) posting to {shown}"
        except requests.RequestException as exc:
            return f"{type(exc).__name__} ({_reason(exc)}) posting to {shown}"
        else:
            status = response.status_code
            if 200 <= status < 300:
                return ""
            if 300 <= status < 400:
                location = response.headers.get("Location", "")
                target = redact_url(urllib.parse.urljoin(url, location))
                return (
                    f"HTTP {status}: {shown} answered with a redirect (to {target}); "
                    "redirects are not followed: give the webhook's final https URL"
                )
            text = scrub(" ".join(response.text[:200].split()))
            problem = f"HTTP {status} from {shown}: {text}"
            if status != 429 and status < 500:
                return problem
            wait = min(retry.max_backoff, max(wait, _retry_after(response)))
        if attempt < retry.max_retries:
            retry.sleep(wait)
    return f"gave up after {retry.max_retries + 1} attempts; last: {problem}"
