"""Tests of segmart.notify: the segment change feed delivered exactly once.

A local catch hook (a thread on 127.0.0.1, random port) fails on cue: 500s,
429s, a response slower than the client's timeout, a dropped connection, a
redirect. Like a real idempotent receiver it processes a request when it
arrives and ignores a batch whose Idempotency-Key it has processed already. The
tests count what it processed, and check the requests' signatures with their
own HMAC. No traffic leaves 127.0.0.1.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from segmart.cli.export import register
from segmart.notify import (
    NotifyError,
    batch_key,
    change_key,
    notify,
    read_feed,
    read_state,
)

TIMEOUT = 1.0  # the client's timeout in these tests; "slow" answers after 2.5 s
SECRET = "whsec_test_4f1d9a"  # the signing secret of these tests
DOCS = Path(__file__).resolve().parents[1] / "docs" / "webhooks.md"


class Hook:
    """A catch hook that misbehaves on cue.

    `script[i]` is what the i-th request gets ("ok" when the script runs out,
    or `after` when given): ok, 500, 429, 400, slow (processed, answered after
    the client gave up), drop (processed, connection closed without an answer),
    cut (connection closed without an answer, not processed), redirect (307 to
    /moved<path>). With `per_key`, the n-th request of each Idempotency-Key gets
    `per_key[n]` instead ("ok" when it runs out). `on_request` is called with
    each request before it is answered. Error answers echo the request's path.
    """

    def __init__(
        self,
        script: list[str] | None = None,
        after: str = "ok",
        *,
        path: str = "/hooks/catch/123/abc/",
        per_key: list[str] | None = None,
        on_request: Callable[[dict], None] | None = None,
    ) -> None:
        self.script = list(script or [])
        self.after = after
        self.path = path
        self.per_key = per_key
        self.on_request = on_request
        self.lock = threading.Lock()
        self.requests: list[dict] = []  # every request received
        self.raw_processed: list[tuple[str, list[str]]] = []  # without dedupe
        self.processed_batches: set[str] = set()
        self.processed: list[str] = []  # change keys, deduplicated by batch key
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{self.path}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> Hook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _process(self, key: str, changes: list[dict]) -> None:
        keys = [c["idempotency_key"] for c in changes]
        self.raw_processed.append((key, keys))
        if key not in self.processed_batches:
            self.processed_batches.add(key)
            self.processed.extend(keys)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, status: int, headers: dict | None = None) -> None:
                body = json.dumps({"status": status, "path": self.path}).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                body = json.loads(raw)
                key = self.headers.get("Idempotency-Key", "")
                changes = body["changes"] if isinstance(body, dict) else body
                with hook.lock:
                    index = len(hook.requests)
                    act = hook.script[index] if index < len(hook.script) else hook.after
                    if hook.per_key is not None:
                        n = sum(r["key"] == key for r in hook.requests)
                        act = hook.per_key[n] if n < len(hook.per_key) else "ok"
                    request = {
                        "key": key,
                        "body": body,
                        "raw": raw,
                        "path": self.path,
                        "act": act,
                        "headers": dict(self.headers),
                    }
                    hook.requests.append(request)
                    if hook.on_request is not None:
                        hook.on_request(request)
                    if act in ("ok", "slow", "drop"):
                        hook._process(key, changes)
                if act == "ok":
                    self._answer(200)
                elif act == "slow":
                    time.sleep(2.5)
                    try:
                        self._answer(200)
                    except OSError:
                        pass
                elif act in ("drop", "cut"):
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif act == "redirect":
                    self._answer(307, {"Location": "/moved" + self.path})
                elif act == "429":
                    self._answer(429, {"Retry-After": "0"})
                else:
                    self._answer(int(act))

        return Handler


def write_feed(path: Path, changes: list[dict]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for change in changes:
            handle.write(json.dumps(change) + "\n")


def changes_of(n: int, start: int = 0, as_of: str = "2026-05-01") -> list[dict]:
    segments = ("win_back", "champions", "at_risk")
    return [
        {
            "customer_key": f"ck{i:04d}",
            "segment_name": segments[i % 3],
            "change": "entered" if i % 4 else "left",
            "as_of": as_of,
            "reason": f"rule matched ({i})",
        }
        for i in range(start, start + n)
    ]


def own_key(change: dict) -> str:
    """The idempotency key, computed here independently of segmart."""
    text = "|".join(
        [
            change["customer_key"],
            change["segment_name"],
            change["change"],
            change["as_of"],
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def sleeps() -> Iterator[list[float]]:
    yield []


def run(feed: Path, hook: Hook, state: Path, sleeps: list[float], **kwargs):
    kwargs.setdefault("batch_size", 5)
    kwargs.setdefault("backoff", 0.1)
    kwargs.setdefault("signing_secret", SECRET)
    return notify(feed, hook.url, state, timeout=TIMEOUT, sleep=sleeps.append, **kwargs)


def verify(secret: str, header: str, raw: bytes) -> bool:
    """The receiver's check, written here from the spec, independently of segmart:
    header "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, '<t>.' + raw body)>".
    """
    fields = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(
        secret.encode(), fields["t"].encode() + b"." + raw, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


# --- keys and feed -------------------------------------------------------------------


def test_change_key_is_sha256_of_the_documented_fields():
    assert change_key("ck1", "win_back", "entered", "2026-05-01") == (
        hashlib.sha256(b"ck1|win_back|entered|2026-05-01").hexdigest()
    )
    assert batch_key(["a", "b"]) == hashlib.sha256(b"a\nb").hexdigest()


def test_read_feed_accepts_changed_at_for_as_of(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        '{"customer_key": "c1", "segment_name": "s", "change": "left",'
        ' "changed_at": "2026-05-02T06:00:00Z", "reason": "r", "priority": 3}\n\n'
    )
    (change,) = read_feed(feed)
    assert change.as_of == "2026-05-02T06:00:00Z"
    assert change.payload()["priority"] == 3  # extra fields pass through
    assert change.key == change_key("c1", "s", "left", "2026-05-02T06:00:00Z")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not JSON"),
        (
            '{"customer_key": "c", "segment_name": "s", "change": "moved", '
            '"as_of": "d"}',
            "change must be entered or left",
        ),
        (
            '{"segment_name": "s", "change": "left", "as_of": "d"}',
            "missing customer_key",
        ),
        (
            '{"customer_key": "c", "segment_name": "s", "change": "left"}',
            "missing as_of/changed_at",
        ),
    ],
)
def test_an_invalid_feed_line_stops_before_anything_is_sent(tmp_path, line, message):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, changes_of(1))
    with feed.open("a") as handle:
        handle.write(line + "\n")
    with Hook() as hook:
        with pytest.raises(NotifyError, match=message):
            notify(feed, hook.url, tmp_path / "state.jsonl", signing_secret=SECRET)
        assert hook.requests == []


# --- exactly once --------------------------------------------------------------------


def test_each_change_delivered_exactly_once_across_failures_and_a_rerun(
    tmp_path, sleeps
):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    changes = changes_of(24)
    write_feed(feed, changes + [changes[7]])  # one line repeated in the feed
    script = ["500", "ok", "slow", "ok", "drop", "ok", "429", "ok", "ok"]
    with Hook(script) as hook:
        result = run(feed, hook, state, sleeps)
        assert result.ok, result.error
        assert (result.total, result.duplicates_in_feed) == (25, 1)
        assert (result.delivered, result.batches, result.pending) == (24, 5, 0)
        assert result.requests == 9  # 5 batches + 4 retries
        assert sleeps == [0.1, 0.1, 0.1, 0.1]  # one first backoff per failure

        # the receiver's dedupe table: each change once, and all of them
        feed_keys = {own_key(c) for c in changes}
        assert Counter(hook.processed) == Counter(dict.fromkeys(feed_keys, 1))
        # without dedupe, the slow and the dropped batch were processed twice,
        # each time under the same Idempotency-Key (a retry, never a new batch)
        twice = Counter(key for key, _ in hook.raw_processed)
        assert sorted(twice.values()) == [1, 1, 1, 2, 2]
        ambiguous = {r["key"] for r in hook.requests if r["act"] in ("slow", "drop")}
        assert {k for k, n in twice.items() if n == 2} == ambiguous
        # among requests the client saw accepted (2xx), each key exactly once
        accepted = [
            c["idempotency_key"]
            for r in hook.requests
            if r["act"] == "ok" and r["key"] not in ambiguous
            for c in r["body"]["changes"]
        ]
        assert len(accepted) == len(set(accepted)) == 14  # batches 1, 4, 5
        first = hook.requests[0]
        assert first["headers"]["Idempotency-Key"] == batch_key(
            [c["idempotency_key"] for c in first["body"]["changes"]]
        )
        assert first["body"]["count"] == 5
        assert first["body"]["changes"][0] == {
            "idempotency_key": own_key(changes[0]),
            "customer_key": "ck0000",
            "segment_name": "win_back",
            "change": "left",
            "as_of": "2026-05-01",
            "changed_at": "2026-05-01",
            "reason": "rule matched (0)",
        }
        assert read_state(state) == feed_keys

        # rerun: nothing left to send
        again = run(feed, hook, state, sleeps)
        assert (again.delivered, again.already_delivered, again.batches) == (0, 24, 0)
        assert len(hook.requests) == 9

        # the next build appends new changes: only those are sent
        write_feed(feed, changes_of(3, start=100, as_of="2026-05-02"))
        third = run(feed, hook, state, sleeps)
        assert (third.delivered, third.already_delivered, third.batches) == (3, 24, 1)
        assert Counter(hook.processed).most_common(1)[0][1] == 1
        assert len(hook.processed) == 27


def test_a_crash_midway_then_a_rerun_delivers_the_rest_once(tmp_path, sleeps):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    changes = changes_of(24)
    write_feed(feed, changes)
    with Hook(["ok", "ok"], after="500") as broken:
        result = run(feed, broken, state, sleeps, max_retries=3)
    assert not result.ok
    assert "gave up after 4 attempts" in result.error and "HTTP 500" in result.error
    assert (result.delivered, result.batches, result.pending) == (10, 2, 14)
    assert result.requests == 6
    assert sleeps == [0.1, 0.2, 0.4]  # exponential backoff
    assert len(read_state(state)) == 10

    with Hook() as healthy:
        rerun = run(feed, healthy, state, sleeps)
    assert rerun.ok and (rerun.delivered, rerun.already_delivered) == (14, 10)
    # across both servers, every change processed exactly once (no dedupe needed:
    # the failed batches were never processed)
    everything = [
        k for _, keys in broken.raw_processed + healthy.raw_processed for k in keys
    ]
    assert Counter(everything) == Counter({own_key(c): 1 for c in changes})
    assert read_state(state) == {own_key(c) for c in changes}


def test_a_client_error_is_not_retried(tmp_path, sleeps):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    write_feed(feed, changes_of(3))
    with Hook(["400"]) as hook:
        result = run(feed, hook, state, sleeps)
    assert not result.ok and result.error.startswith("HTTP 400")
    assert result.requests == 1 and sleeps == []
    assert read_state(state) == set()


def test_retry_after_is_honoured(tmp_path, sleeps):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    write_feed(feed, changes_of(2))

    class SlowDown(Hook):
        def _handler(self):
            base = super()._handler()

            class Handler(base):
                def _answer(self, status, headers=None):
                    if status == 429:
                        headers = {"Retry-After": "7"}
                    super()._answer(status, headers)

            return Handler

    with SlowDown(["429"]) as hook:
        result = run(feed, hook, state, sleeps)
    assert result.ok and sleeps == [7.0]


def test_an_unreachable_hook_is_retried_then_reported(tmp_path, sleeps):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    write_feed(feed, changes_of(2))
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = notify(
        feed,
        f"http://127.0.0.1:{port}/hook",
        state,
        max_retries=2,
        timeout=TIMEOUT,
        sleep=sleeps.append,
        backoff=0.1,
        signing_secret=SECRET,
    )
    assert not result.ok and "ConnectionError" in result.error
    assert result.requests == 3 and sleeps == [0.1, 0.2]
    assert result.pending == 2


def test_bare_array_body_for_zapier(tmp_path, sleeps):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    write_feed(feed, changes_of(2))
    with Hook() as hook:
        assert run(feed, hook, state, sleeps, envelope=False).ok
    (request,) = hook.requests
    assert isinstance(request["body"], list) and len(request["body"]) == 2


# --- the state file --------------------------------------------------------------


def test_a_line_cut_short_by_a_crash_is_ignored_and_closed(tmp_path, sleeps):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    changes = changes_of(2)
    write_feed(feed, changes)
    first = own_key(changes[0])
    state.write_text(json.dumps({"key": first}) + "\n" + '{"key": "ab')
    assert read_state(state) == {first}
    with Hook() as hook:
        result = run(feed, hook, state, sleeps)
    assert (result.already_delivered, result.delivered) == (1, 1)
    assert read_state(state) == {first, own_key(changes[1])}  # file still valid


def test_a_damaged_state_file_is_an_error(tmp_path):
    state = tmp_path / "state.jsonl"
    state.write_text('{"key": "a"}\ngarbage\n{"key": "b"}\n')
    with pytest.raises(NotifyError, match="line 2 is damaged"):
        read_state(state)


def test_two_runs_cannot_share_a_state_file(tmp_path):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    write_feed(feed, changes_of(1))
    with (tmp_path / "state.jsonl.lock").open("a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with Hook() as hook:
            with pytest.raises(NotifyError, match="another notify run"):
                notify(feed, hook.url, state, signing_secret=SECRET)
            assert hook.requests == []


def test_settings_are_checked(tmp_path):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, changes_of(1))
    with pytest.raises(NotifyError, match="http"):
        notify(feed, "ftp://example.com/hook", tmp_path / "s.jsonl", signing_secret="s")
    with pytest.raises(NotifyError, match="batch_size"):
        notify(
            feed,
            "http://127.0.0.1:9/",
            tmp_path / "s.jsonl",
            batch_size=0,
            signing_secret="s",
        )


# --- command line ----------------------------------------------------------------


def make_cli() -> click.Group:
    @click.group()
    def cli() -> None:
        pass

    register(cli)
    return cli


def test_notify_command(tmp_path):
    cli = make_cli()
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, changes_of(3))
    env = {"SEGMART_WEBHOOK_SECRET": SECRET}
    with Hook() as hook:
        ok = CliRunner().invoke(
            cli, ["notify", "--feed", str(feed), "--url", hook.url], env=env
        )
    assert ok.exit_code == 0, ok.output
    assert "3 delivered in 1 batch(es)" in ok.output
    assert len(read_state(tmp_path / "notify_state.jsonl")) == 3
    (request,) = hook.requests
    assert verify(SECRET, request["headers"]["Segmart-Signature"], request["raw"])
    with Hook(after="400") as hook:
        write_feed(feed, changes_of(1, start=50))
        failed = CliRunner().invoke(
            cli,
            ["notify", "--feed", str(feed), "--url", hook.url]
            + ["--signing-secret", "other-secret"],
        )
    assert failed.exit_code == 1 and "HTTP 400" in failed.output
    (request,) = hook.requests  # signed with the option's secret
    assert verify(
        "other-secret", request["headers"]["Segmart-Signature"], request["raw"]
    )
