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
import logging
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest
import requests
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


# --- delivered like a payment provider's webhook ---------------------------------

PATH_TOKEN = "pathtok-8d41c7e2"  # secrets a webhook URL carries: in its path,
QUERY_TOKEN = "querytok-5b90fa13"  # its query
USER_TOKEN = "usertok-c3e6"  # and its user info
SECRET_PATH = f"/hooks/catch/123/{PATH_TOKEN}/?token={QUERY_TOKEN}"


def docs_verify() -> Callable[..., bool]:
    """verify_signature() exactly as docs/webhooks.md shows it to receivers."""
    (code,) = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - the documentation's own snippet
    return namespace["verify_signature"]


class NoNetwork:
    """A session that records what would have been sent, sends nothing and
    fails as an unreachable host does."""

    def __init__(self) -> None:
        self.posts: list[str] = []

    def post(self, url: str, **kwargs: object):
        self.posts.append(url)
        raise requests.ConnectionError("no network in this test")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hooks/catch/123/tok-9e2/",
        "http://10.0.0.8:8080/tok-9e2",
        "http://localhost.example.com/tok-9e2",
        "http://127.0.0.1.nip.io/tok-9e2",
        "ftp://127.0.0.1/tok-9e2",
    ],
)
def test_plain_http_only_to_loopback_nothing_sent_otherwise(tmp_path, url):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, changes_of(2))
    session = NoNetwork()
    with pytest.raises(NotifyError, match="https") as error:
        notify(feed, url, tmp_path / "s.jsonl", signing_secret=SECRET, session=session)
    assert session.posts == []
    assert "tok-9e2" not in str(error.value)  # the path is redacted


def test_plain_http_to_a_non_loopback_address_is_refused_by_the_command(
    tmp_path,
):
    """0.0.0.0 reaches the hook on 127.0.0.1, but is not a loopback address."""
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, changes_of(2))
    with Hook(path=SECRET_PATH) as hook:
        url = f"http://0.0.0.0:{hook.port}{SECRET_PATH}"
        out = CliRunner().invoke(
            make_cli(),
            ["notify", "--feed", str(feed), "--url", url],
            env={"SEGMART_WEBHOOK_SECRET": SECRET},
        )
        assert out.exit_code != 0
        assert hook.requests == []
    message = out.output.strip()
    assert len(message.splitlines()) == 1 and "https" in message
    assert f"http://0.0.0.0:{hook.port}/…" in message
    assert PATH_TOKEN not in message and QUERY_TOKEN not in message
    assert not (tmp_path / "notify_state.jsonl").exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/hooks/catch/1/x/",
        "http://127.0.0.1:8080/hook",
        "http://127.8.9.10/hook",
        "http://[::1]:8080/hook",
        "http://localhost:8080/hook",
        "HTTP://LOCALHOST/hook",
    ],
)
def test_https_and_loopback_http_are_accepted(tmp_path, url):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, changes_of(1))
    session = NoNetwork()  # the send fails: the URL was accepted
    result = notify(
        feed,
        url,
        tmp_path / "s.jsonl",
        max_retries=0,
        signing_secret=SECRET,
        session=session,
    )
    assert session.posts == [url] and not result.ok


def test_http_to_localhost_delivers(tmp_path, sleeps):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    write_feed(feed, changes_of(2))
    with Hook() as hook:
        url = f"http://localhost:{hook.port}/hook"
        result = notify(
            feed,
            url,
            state,
            timeout=TIMEOUT,
            signing_secret=SECRET,
            sleep=sleeps.append,
        )
    assert result.ok and result.delivered == 2 and len(hook.requests) == 1


def test_a_signing_secret_is_required_nothing_sent_without(tmp_path, monkeypatch):
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, changes_of(2))
    monkeypatch.delenv("SEGMART_WEBHOOK_SECRET", raising=False)
    with Hook() as hook:
        with pytest.raises(NotifyError, match="signing secret"):
            notify(feed, hook.url, tmp_path / "state.jsonl", timeout=TIMEOUT)
        with pytest.raises(NotifyError, match="signing secret"):
            notify(
                feed, hook.url, tmp_path / "state.jsonl", signing_secret="", timeout=1
            )
        out = CliRunner().invoke(
            make_cli(), ["notify", "--feed", str(feed), "--url", hook.url]
        )
        assert hook.requests == []
    assert out.exit_code != 0
    assert "signing secret" in out.output and "SEGMART_WEBHOOK_SECRET" in out.output


def test_each_request_is_signed_with_hmac_sha256_of_timestamp_and_body(
    tmp_path, sleeps
):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    write_feed(feed, changes_of(3))
    with Hook(["500"]) as hook:
        before = int(time.time())
        result = run(feed, hook, state, sleeps, batch_size=2)
        after = int(time.time())
    assert result.ok and len(hook.requests) == 3  # batch 1 twice, batch 2
    documented = docs_verify()
    for request in hook.requests:
        header = request["headers"]["Segmart-Signature"]
        match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
        assert match, header
        t, v1 = int(match[1]), match[2]
        assert before <= t <= after
        raw = request["raw"]
        # recomputed here with hmac/hashlib from the raw body as received
        expected = hmac.new(
            SECRET.encode(), f"{t}.".encode() + raw, hashlib.sha256
        ).hexdigest()
        assert hmac.compare_digest(expected, v1)
        assert verify(SECRET, header, raw)
        assert documented(SECRET, header, raw)
        # a tampered body, timestamp or secret fails verification
        tampered = raw.replace(b'"count":', b'"count":1')
        assert tampered != raw and json.loads(raw)["changes"]
        assert not verify(SECRET, header, tampered)
        assert not documented(SECRET, header, tampered)
        assert not verify(SECRET, header, raw + b" ")
        assert not verify(SECRET, header.replace(f"t={t}", f"t={t + 1}"), raw)
        assert not verify("another-secret", header, raw)
        # the documented tolerance window: stale signatures are rejected
        assert documented(SECRET, header, raw, now=t + 299)
        assert not documented(SECRET, header, raw, now=t + 301)
    # the retry carries the same body, freshly signed
    first, retry = hook.requests[:2]
    assert first["raw"] == retry["raw"] and first["act"] == "500"


def test_the_documented_worked_example_verifies():
    text = DOCS.read_text()
    header = re.search(r"header\s+`(t=\d+,v1=[0-9a-f]{64})`", text)[1]
    body = re.search(r"raw body `(\{.*?\})`", text)[1].encode()
    secret = re.search(r"secret `(\w+)`", text)[1]
    t = int(header.split(",")[0][2:])
    assert docs_verify()(secret, header, body, now=t)
    assert verify(secret, header, body)


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(tmp_path, sleeps):
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    write_feed(feed, changes_of(2))
    with Hook(["redirect"], path=SECRET_PATH) as hook:
        result = run(feed, hook, state, sleeps)
    assert not result.ok
    assert "redirect" in result.error and "307" in result.error
    assert f"http://127.0.0.1:{hook.port}/…" in result.error
    assert [r["path"] for r in hook.requests] == [SECRET_PATH]  # not followed
    assert sleeps == [] and result.requests == 1  # not retried
    assert read_state(state) == set() and result.pending == 2


def refused_url(path: str) -> str:
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


@pytest.mark.parametrize("failure", ["500", "refused", "redirect", "cut"])
def test_no_secret_of_the_url_in_any_output(tmp_path, capfd, caplog, failure):
    """Everything a failing run shows (result, exception, command output,
    stdout/stderr, logs at DEBUG from every logger) holds no secret of the URL."""
    caplog.set_level(logging.DEBUG)  # urllib3 logs request lines at DEBUG
    feed = tmp_path / "feed.jsonl"
    write_feed(feed, changes_of(2))
    shown: list[str] = []
    with Hook(after=failure, path=SECRET_PATH) as hook:
        url = hook.url if failure != "refused" else refused_url(SECRET_PATH)
        url = url.replace("http://", f"http://admin:{USER_TOKEN}@")
        result = notify(
            feed,
            url,
            tmp_path / "direct.jsonl",
            max_retries=1,
            timeout=TIMEOUT,
            signing_secret=SECRET,
            sleep=lambda _: None,
        )
        assert not result.ok
        shown.append(result.error)
        out = CliRunner().invoke(
            make_cli(),
            ["notify", "--feed", str(feed), "--url", url]
            + ["--max-retries", "1", "--timeout", str(TIMEOUT)],
            env={"SEGMART_WEBHOOK_SECRET": SECRET},
        )
    assert out.exit_code == 1
    shown += [out.output, repr(out.exception), str(out.exception)]
    if hasattr(out, "stderr_bytes") and out.stderr_bytes:
        shown.append(out.stderr_bytes.decode())
    captured = capfd.readouterr()
    shown += [captured.out, captured.err, caplog.text]
    shown += [record.getMessage() for record in caplog.records]
    everything = "\n".join(shown)
    assert "127.0.0.1" in everything  # the host is shown...
    for secret in (PATH_TOKEN, QUERY_TOKEN, USER_TOKEN, SECRET):  # ...not these
        assert secret not in everything, f"{secret} leaked:\n{everything}"
    if failure == "500":
        assert "HTTP 500" in result.error and "gave up after 2 attempts" in result.error
    elif failure == "redirect":
        assert "redirect" in result.error
    else:
        assert "ConnectionError" in result.error
    if failure != "refused":
        assert [r["act"] for r in hook.requests].count("ok") == 0


def test_retries_keep_the_idempotency_key_and_deliver_each_event_once(tmp_path):
    """Each batch fails twice (a 500, then a connection closed unanswered), then
    succeeds: each is delivered, recorded once and only after its 2xx, every
    attempt with the same key and body; a second run sends nothing."""
    feed, state = tmp_path / "feed.jsonl", tmp_path / "state.jsonl"
    changes = changes_of(5)
    write_feed(feed, changes)
    recorded_at_request: list[set[str]] = []
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:  # real, tiny delays
        sleeps.append(seconds)
        time.sleep(seconds)

    hook = Hook(
        per_key=["500", "cut"],
        on_request=lambda _: recorded_at_request.append(read_state(state)),
    )
    with hook:
        result = notify(
            feed,
            hook.url,
            state,
            batch_size=2,
            max_retries=3,
            backoff=0.01,
            timeout=TIMEOUT,
            signing_secret=SECRET,
            sleep=sleep,
        )
        assert result.ok, result.error
        assert (result.delivered, result.batches, result.requests) == (5, 3, 9)
        assert sleeps == [0.01, 0.02] * 3  # exponential backoff per batch

        by_key: dict[str, list[dict]] = {}
        for request in hook.requests:
            by_key.setdefault(request["headers"]["Segmart-Idempotency-Key"], [])
            by_key[request["headers"]["Segmart-Idempotency-Key"]].append(request)
        assert len(by_key) == 3
        for key, attempts in by_key.items():
            assert [r["act"] for r in attempts] == ["500", "cut", "ok"]
            assert {r["raw"] for r in attempts} == {attempts[0]["raw"]}
            change_keys = [c["idempotency_key"] for c in attempts[0]["body"]["changes"]]
            assert key == batch_key(change_keys)
            assert {r["headers"]["Idempotency-Key"] for r in attempts} == {key}
            assert all(
                verify(SECRET, r["headers"]["Segmart-Signature"], r["raw"])
                for r in attempts
            )
        # nothing was recorded before its 2xx: at each attempt, the batch's
        # changes were not yet in the ledger
        for request, recorded in zip(hook.requests, recorded_at_request, strict=True):
            keys = {c["idempotency_key"] for c in request["body"]["changes"]}
            assert not keys & recorded

        # the receiver processed each change once; the ledger holds each once
        feed_keys = {own_key(c) for c in changes}
        assert Counter(hook.processed) == Counter(dict.fromkeys(feed_keys, 1))
        ledger = [json.loads(line)["key"] for line in state.read_text().splitlines()]
        assert Counter(ledger) == Counter(dict.fromkeys(feed_keys, 1))

        again = notify(
            feed, hook.url, state, timeout=TIMEOUT, signing_secret=SECRET, sleep=sleep
        )
        assert again.ok and (again.delivered, again.already_delivered) == (0, 5)
        assert len(hook.requests) == 9  # nothing new sent
