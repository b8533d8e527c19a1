"""Tests of segmart.notify: delivered like a payment provider's webhook.

Plain http only to loopback, every request signed (HMAC-SHA256, checked here
and with the snippet of docs/webhooks.md), redirects not followed, no secret of
the URL in any output, one idempotency key per event across retries. The catch
hook and the helpers are test_notify.py's; no traffic leaves 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import socket
import time
from collections import Counter
from collections.abc import Callable

import pytest
import requests
from click.testing import CliRunner

from segmart.notify import NotifyError, batch_key, notify, read_state
from tests_py import test_notify
from tests_py.test_notify import (
    DOCS,
    SECRET,
    TIMEOUT,
    Hook,
    changes_of,
    make_cli,
    own_key,
    run,
    verify,
    write_feed,
)

sleeps = test_notify.sleeps  # test_notify's fixture


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
