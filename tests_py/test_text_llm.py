"""Tests of segmart.text: the LLM path and its fallback to the rules.

No network: the LLM tests talk to a fake OpenAI-compatible server on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from segmart.text import LABELS, LLMClassifier, LLMConfig, classify_texts, stats_of
from segmart.text.llm import PROMPT_VERSION, SYSTEM_PROMPT, parse_reply
from tests_py import test_text

# test_text's rules, loaded once for this module too (module scope)
rules = test_text.rules


# ------------------------------------------------------------- LLM path
class FakeLLM:
    """A fake OpenAI-compatible server recording every request."""

    def __init__(self) -> None:
        self.mode = "valid"
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                if fake.mode == "500":
                    self.send_response(500)
                    self.end_headers()
                    return
                if fake.mode == "slow":
                    time.sleep(1.0)
                content = fake.content(body)
                payload = json.dumps(
                    {
                        "choices": [
                            {"message": {"role": "assistant", "content": content}}
                        ]
                    }
                ).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def content(self, body: dict) -> str:
        labels = {
            "sentiment": "negative",
            "sentiment_score": -0.6,
            "intent": "complaint",
            "urgency": "high",
            "topic": "quality",
        }
        if self.mode == "not_json":
            return "Sure! The intent is complaint."
        if self.mode == "bad_label":
            labels["intent"] = "angry_customer"
        if self.mode == "missing_key":
            del labels["topic"]
        if self.mode == "fenced":
            return "```json\n" + json.dumps(labels) + "\n```"
        return json.dumps(labels)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_llm():
    server = FakeLLM()
    yield server
    server.close()


TICKETS = [
    {
        "id": "a",
        "subject": "Broken",
        "body": "The heater is broken. Mail jo@example.com or +44 7700 900123.",
    },
    {"id": "b", "subject": "Card", "body": "Card 4111 1111 1111 1111 was charged."},
    {"id": "c", "subject": "Hi", "body": "How do I descale the machine?"},
]


def _llm(fake: FakeLLM, tmp_path: Path, **kw) -> LLMClassifier:
    config = LLMConfig(
        base_url=fake.url,
        model="fake-model",
        api_key="sk-test",
        timeout=kw.pop("timeout", 5.0),
        cache_path=tmp_path / "cache" / "llm_cache.jsonl",
        **kw,
    )
    return LLMClassifier(config)


def test_llm_valid_reply_is_used_and_cached(fake_llm, tmp_path, rules):
    llm = _llm(fake_llm, tmp_path)
    out = classify_texts(TICKETS, rules, source="ticket", llm=llm).to_pylist()
    assert [r["classifier"] for r in out] == ["llm"] * 3
    assert {r["intent"] for r in out} == {"complaint"}
    assert out[0]["recommended_action"] == "escalate"  # complaint + high
    assert out[0]["classifier_version"] == (
        f"llm-{PROMPT_VERSION}+fake-model+{rules.content_hash}"
    )
    assert (llm.stats.sent, llm.stats.cache_hits, llm.stats.fallbacks) == (3, 0, 0)
    assert len(fake_llm.requests) == 3
    assert fake_llm.headers[0]["Authorization"] == "Bearer sk-test"
    assert fake_llm.requests[0]["model"] == "fake-model"
    # a rebuild with a fresh classifier reads the cache: no new request
    again = _llm(fake_llm, tmp_path)
    table = classify_texts(TICKETS, rules, source="ticket", llm=again)
    assert len(fake_llm.requests) == 3
    assert (again.stats.sent, again.stats.cache_hits) == (0, 3)
    assert stats_of(table)["llm"]["cache_hits"] == 3
    assert table.to_pylist() == out
    # a changed text is a cache miss, and only that one is sent
    changed = [*TICKETS[:2], {**TICKETS[2], "body": "How do I clean it?"}]
    third = _llm(fake_llm, tmp_path)
    classify_texts(changed, rules, source="ticket", llm=third)
    assert (third.stats.sent, third.stats.cache_hits) == (1, 2)
    assert len(fake_llm.requests) == 4


def test_llm_receives_redacted_text_only(fake_llm, tmp_path, rules):
    classify_texts(TICKETS, rules, source="ticket", llm=_llm(fake_llm, tmp_path))
    sent = json.dumps(fake_llm.requests)
    assert "example.com" not in sent and "@" not in sent
    assert "7700" not in sent and "4111" not in sent
    assert "[EMAIL]" in sent and "[PHONE]" in sent and "[CARD]" in sent
    cache = (tmp_path / "cache" / "llm_cache.jsonl").read_text()
    assert "example.com" not in cache and "7700" not in cache


@pytest.mark.parametrize(
    "mode, reason",
    [
        ("not_json", "invalid_json"),
        ("bad_label", "bad_label"),
        ("missing_key", "missing_key"),
        ("500", "http_error"),
    ],
)
def test_llm_bad_replies_fall_back_to_rules(mode, reason, fake_llm, tmp_path, rules):
    fake_llm.mode = mode
    llm = _llm(fake_llm, tmp_path)
    out = classify_texts(TICKETS, rules, source="ticket", llm=llm)
    rule_only = classify_texts(TICKETS, rules, source="ticket", llm=None)
    assert out.to_pylist() == rule_only.to_pylist()
    assert set(out.column("classifier").to_pylist()) == {"rules"}
    assert (llm.stats.sent, llm.stats.fallbacks) == (3, 3)
    assert llm.stats.fallback_reasons == Counter({reason: 3})
    assert stats_of(out)["llm"]["fallbacks"] == 3
    # failures are not cached: the next build asks again
    fake_llm.mode = "valid"
    retry = _llm(fake_llm, tmp_path)
    classify_texts(TICKETS, rules, source="ticket", llm=retry)
    assert (retry.stats.sent, retry.stats.cache_hits) == (3, 0)


def test_llm_timeout_falls_back(fake_llm, tmp_path, rules):
    fake_llm.mode = "slow"
    llm = _llm(fake_llm, tmp_path, timeout=0.2)
    out = classify_texts(TICKETS[:1], rules, source="ticket", llm=llm)
    assert out.column("classifier").to_pylist() == ["rules"]
    assert llm.stats.fallback_reasons == Counter({"timeout": 1})


def test_llm_dead_endpoint_opens_the_circuit(fake_llm, tmp_path, rules):
    fake_llm.mode = "500"
    llm = _llm(fake_llm, tmp_path, max_consecutive_failures=2)
    rows = [{"id": str(i), "body": f"Question number {i}"} for i in range(5)]
    classify_texts(rows, rules, source="ticket", llm=llm)
    assert len(fake_llm.requests) == 2
    assert llm.stats.fallback_reasons == Counter({"http_error": 2, "circuit_open": 3})


def test_llm_unreachable_server_falls_back(tmp_path, rules):
    config = LLMConfig(
        base_url="http://127.0.0.1:9/v1",  # discard port: connection refused
        model="m",
        timeout=1.0,
        cache_path=tmp_path / "c.jsonl",
    )
    llm = LLMClassifier(config)
    out = classify_texts(TICKETS[:1], rules, source="ticket", llm=llm)
    assert out.column("classifier").to_pylist() == ["rules"]
    assert llm.stats.fallbacks == 1


def test_llm_is_off_by_default_and_on_with_env(fake_llm, tmp_path, monkeypatch, rules):
    for var in ("SEGMART_LLM_BASE_URL", "SEGMART_LLM_MODEL", "SEGMART_LLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    assert LLMClassifier.from_env() is None
    out = classify_texts(TICKETS, rules, source="ticket")
    assert set(out.column("classifier").to_pylist()) == {"rules"}
    assert fake_llm.requests == []
    monkeypatch.setenv("SEGMART_LLM_BASE_URL", fake_llm.url)
    assert LLMClassifier.from_env() is None  # the model is required too
    monkeypatch.setenv("SEGMART_LLM_MODEL", "env-model")
    monkeypatch.setenv("SEGMART_LLM_CACHE", str(tmp_path / "env_cache.jsonl"))
    out = classify_texts(TICKETS, rules, source="ticket")
    assert set(out.column("classifier").to_pylist()) == {"llm"}
    assert len(fake_llm.requests) == 3
    assert "Authorization" not in fake_llm.headers[0]
    assert (tmp_path / "env_cache.jsonl").exists()


def test_llm_prompt_and_reply_parsing(tmp_path):
    for name in ("sentiment", "intent", "urgency", "topic"):
        for label in LABELS[name]:
            assert label in SYSTEM_PROMPT
    good = {
        "sentiment": "Positive",
        "sentiment_score": 0.5,
        "intent": "other",
        "urgency": "low",
        "topic": "other",
    }
    assert parse_reply(json.dumps(good))["sentiment"] == "positive"
    assert parse_reply("```json\n" + json.dumps(good) + "\n```")["intent"] == "other"
    for bad in ({**good, "sentiment_score": 3}, {**good, "sentiment_score": True}):
        with pytest.raises(ValueError, match="bad_label"):
            parse_reply(json.dumps(bad))
    with pytest.raises(ValueError, match="invalid_json"):
        parse_reply("[1, 2]")
    llm = LLMClassifier(LLMConfig("http://x", "m1", cache_path=tmp_path / "c"))
    other = LLMClassifier(LLMConfig("http://x", "m2", cache_path=tmp_path / "c"))
    assert llm.cache_key("t", "ticket") != other.cache_key("t", "ticket")
    assert llm.cache_key("t", "ticket") != llm.cache_key("t", "review")
    assert llm.url == "http://x/chat/completions"
