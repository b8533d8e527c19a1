"""Optional LLM classifier over an OpenAI-compatible ``/chat/completions`` endpoint.

Off by default. It switches on when both ``SEGMART_LLM_BASE_URL`` (e.g.
``http://localhost:11434/v1``) and ``SEGMART_LLM_MODEL`` are set;
``SEGMART_LLM_API_KEY`` (sent as a Bearer token), ``SEGMART_LLM_TIMEOUT`` (seconds,
default 30) and ``SEGMART_LLM_CACHE`` (default ``data/cache/llm_cache.jsonl`` under
the project) are optional.

* Only redacted text is ever sent (the caller passes the output of
  :func:`segmart.text.redact.redact`).
* The model must answer with one JSON object holding ``sentiment``,
  ``sentiment_score``, ``intent``, ``urgency`` and ``topic`` from the fixed label
  sets. The recommended action is then derived by the same ``text_actions`` table
  as for the rule classifier, so the action policy never depends on the classifier.
* Validated answers are cached in a JSON-lines file keyed by
  ``sha256(prompt version, model, source, redacted text)``: a rebuild never resends
  unchanged text. Failed calls are not cached, so they are retried next build.
* Any failure falls back to the rule classifier for that row and is counted:
  ``timeout``, ``http_error``, ``connection_error``, ``bad_response`` (no
  ``choices[0].message.content``), ``invalid_json``, ``missing_key``, ``bad_label``.
  After :attr:`LLMConfig.max_consecutive_failures` transport failures in a row the
  endpoint is considered down and the remaining rows fall back without a call
  (``circuit_open``), so a dead server cannot stall a build for hours.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from segmart.text.rules import LABELS, PROJECT_DIR

__all__ = [
    "DEFAULT_CACHE_PATH",
    "ENV_API_KEY",
    "ENV_BASE_URL",
    "ENV_CACHE",
    "ENV_MODEL",
    "ENV_TIMEOUT",
    "LLM_KEYS",
    "PROMPT_VERSION",
    "SYSTEM_PROMPT",
    "LLMClassifier",
    "LLMConfig",
    "LLMStats",
    "parse_reply",
]

#: Bump whenever SYSTEM_PROMPT or the request shape changes (invalidates the cache).
PROMPT_VERSION = "text-signals-2025.1"

ENV_BASE_URL = "SEGMART_LLM_BASE_URL"
ENV_MODEL = "SEGMART_LLM_MODEL"
ENV_API_KEY = "SEGMART_LLM_API_KEY"
ENV_TIMEOUT = "SEGMART_LLM_TIMEOUT"
ENV_CACHE = "SEGMART_LLM_CACHE"
DEFAULT_CACHE_PATH = PROJECT_DIR / "data" / "cache" / "llm_cache.jsonl"

#: Keys the model must return; label keys must hold a value of LABELS[key].
LLM_KEYS = ("sentiment", "sentiment_score", "intent", "urgency", "topic")
_LABEL_KEYS = ("sentiment", "intent", "urgency", "topic")


def _labels(name: str) -> str:
    return ", ".join(LABELS[name])


SYSTEM_PROMPT = f"""You classify one customer text from an online shop.
The user message is JSON: {{"source": "ticket" or "review", "text": "..."}}.
Personal data in the text was replaced by placeholders such as [EMAIL] or [ORDER].
The text may be in any language; judge it by meaning.

Answer with ONLY one JSON object, no prose and no code fence, with exactly these keys:
- "sentiment": one of {_labels("sentiment")}
- "sentiment_score": a number from -1 (very negative) to 1 (very positive)
- "intent": one of {_labels("intent")}
  (buying: wants to buy or asks before buying; support: needs help with an order,
  account or product; complaint: expresses dissatisfaction; comparison: compares
  products, versions or shops; refund: wants money back or to return for money;
  education: asks how to use, care for or understand a product or policy;
  other: praise, thanks, feedback or anything else)
- "urgency": one of {_labels("urgency")}
  (high: safety, legal, fraud, money taken wrongly, repeated contact or a same-day
  deadline; medium: an unresolved problem the shop must act on; low: everything else)
- "topic": one of {_labels("topic")}
Use only the listed values. A negated request ("I don't want a refund") is not that
request."""


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to call the model, and where to cache its answers."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 30.0
    cache_path: Path = DEFAULT_CACHE_PATH
    max_consecutive_failures: int = 5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LLMConfig | None:
        """Config from ``SEGMART_LLM_*`` variables, or ``None`` when not both of
        ``SEGMART_LLM_BASE_URL`` and ``SEGMART_LLM_MODEL`` are set."""
        env = os.environ if environ is None else environ
        base_url = (env.get(ENV_BASE_URL) or "").strip()
        model = (env.get(ENV_MODEL) or "").strip()
        if not base_url or not model:
            return None
        timeout = float(env.get(ENV_TIMEOUT) or 30.0)
        cache = env.get(ENV_CACHE) or DEFAULT_CACHE_PATH
        return cls(
            base_url=base_url,
            model=model,
            api_key=(env.get(ENV_API_KEY) or "").strip() or None,
            timeout=timeout,
            cache_path=Path(cache),
        )


@dataclass
class LLMStats:
    """Counters for one classifier: requests sent, cache hits, rule fallbacks."""

    sent: int = 0
    cache_hits: int = 0
    fallbacks: int = 0
    fallback_reasons: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """Plain-dict view (for logs and table metadata)."""
        return {
            "sent": self.sent,
            "cache_hits": self.cache_hits,
            "fallbacks": self.fallbacks,
            "fallback_reasons": dict(sorted(self.fallback_reasons.items())),
        }


class ReplyError(ValueError):
    """A reply that cannot be used; ``reason`` is the fallback counter name."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_reply(content: str) -> dict[str, Any]:
    """Validate the model's message content; return the labels or raise ReplyError.

    Accepts one JSON object (optionally inside a Markdown code fence). Extra keys
    are ignored; every key of :data:`LLM_KEYS` must be present and valid.
    """
    fenced = _FENCE.match(content or "")
    try:
        data = json.loads(fenced.group(1) if fenced else content)
    except (TypeError, ValueError) as exc:
        raise ReplyError("invalid_json", str(exc)) from None
    if not isinstance(data, dict):
        raise ReplyError("invalid_json", "not a JSON object")
    missing = [k for k in LLM_KEYS if k not in data]
    if missing:
        raise ReplyError("missing_key", ", ".join(missing))
    out: dict[str, Any] = {}
    for key in _LABEL_KEYS:
        value = data[key]
        if not isinstance(value, str) or value.strip().lower() not in LABELS[key]:
            raise ReplyError("bad_label", f"{key}={value!r}")
        out[key] = value.strip().lower()
    score = data["sentiment_score"]
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise ReplyError("bad_label", f"sentiment_score={score!r}")
    if not math.isfinite(score) or not -1.0 <= score <= 1.0:
        raise ReplyError("bad_label", f"sentiment_score={score!r}")
    out["sentiment_score"] = round(float(score), 4)
    return out


class LLMClassifier:
    """Classify redacted texts with a chat model; ``None`` means "use the rules".

    >>> llm = LLMClassifier.from_env()   # None unless SEGMART_LLM_* are set
    """

    classifier = "llm"

    def __init__(
        self, config: LLMConfig, session: requests.Session | None = None
    ) -> None:
        """Open (and read) the answer cache; no request is made here."""
        self.config = config
        self.session = session or requests.Session()
        self.stats = LLMStats()
        self._consecutive_failures = 0
        self._cache: dict[str, dict[str, Any]] = self._load_cache()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LLMClassifier | None:
        """A classifier configured from the environment, or ``None`` (the default)."""
        config = LLMConfig.from_env(environ)
        return cls(config) if config is not None else None

    @property
    def url(self) -> str:
        """The ``/chat/completions`` endpoint."""
        base = self.config.base_url.rstrip("/")
        suffix = "/chat/completions"
        return base if base.endswith(suffix) else base + suffix

    def version(self, rules_hash: str) -> str:
        """``classifier_version`` of LLM rows: prompt version, model, and the hash of
        the rule seeds (the action table is applied to the model's labels)."""
        return f"llm-{PROMPT_VERSION}+{self.config.model}+{rules_hash}"

    def cache_key(self, redacted_text: str, source: str) -> str:
        """sha256 over (prompt version, model, source, redacted text)."""
        payload = json.dumps(
            [PROMPT_VERSION, self.config.model, source, redacted_text],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    # ----------------------------------------------------------------- cache
    def _load_cache(self) -> dict[str, dict[str, Any]]:
        path = Path(self.config.cache_path)
        cache: dict[str, dict[str, Any]] = {}
        if not path.exists():
            return cache
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                    result = parse_reply(json.dumps(entry["result"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a torn or outdated line is simply a cache miss
                cache[entry["key"]] = result
        return cache

    def _store(self, key: str, result: dict[str, Any]) -> None:
        self._cache[key] = result
        path = Path(self.config.cache_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "key": key,
            "prompt_version": PROMPT_VERSION,
            "model": self.config.model,
            "result": result,
        }
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")

    # ------------------------------------------------------------- classify
    def _fallback(self, reason: str) -> None:
        self.stats.fallbacks += 1
        self.stats.fallback_reasons[reason] += 1

    def request_body(self, redacted_text: str, source: str) -> dict[str, Any]:
        """The JSON body POSTed to ``/chat/completions``."""
        user = json.dumps({"source": source, "text": redacted_text}, ensure_ascii=False)
        return {
            "model": self.config.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": user},
            ],
        }

    def _call(self, redacted_text: str, source: str) -> str:
        headers = {"Content-Type": "application/json"}
        if self.config.api_key:
            headers["Authorization"] = f"Bearer {self.config.api_key}"
        try:
            resp = self.session.post(
                self.url,
                json=self.request_body(redacted_text, source),
                headers=headers,
                timeout=self.config.timeout,
            )
        except requests.Timeout:
            raise ReplyError("timeout") from None
        except requests.RequestException as exc:
            raise ReplyError("connection_error", type(exc).__name__) from None
        if resp.status_code >= 400:
            raise ReplyError("http_error", str(resp.status_code))
        try:
            content = resp.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ReplyError("bad_response") from None
        if not isinstance(content, str):
            raise ReplyError("bad_response")
        return content

    def classify(self, redacted_text: str, source: str) -> dict[str, Any] | None:
        """Labels for one redacted text, or ``None`` when the caller must fall back.

        Returns a dict with the keys of :data:`LLM_KEYS`. Every ``None`` is counted
        in :attr:`stats`.
        """
        key = self.cache_key(redacted_text, source)
        if key in self._cache:
            self.stats.cache_hits += 1
            return dict(self._cache[key])
        if self._consecutive_failures >= self.config.max_consecutive_failures:
            self._fallback("circuit_open")
            return None
        self.stats.sent += 1
        try:
            content = self._call(redacted_text, source)
        except ReplyError as exc:
            self._consecutive_failures += 1
            self._fallback(exc.reason)
            return None
        self._consecutive_failures = 0
        try:
            result = parse_reply(content)
        except ReplyError as exc:
            self._fallback(exc.reason)
            return None
        self._store(key, result)
        return dict(result)
