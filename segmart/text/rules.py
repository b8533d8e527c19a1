"""Analyst-editable phrase rules: loading, matching with negation, scoring.

Four dbt seeds drive the rule classifier (see ``seeds/_text__seeds.yml``):

``text_rules``     ``dimension,label,phrase,weight``: a phrase that, when found in a
                   text, adds ``weight`` to ``label`` of ``dimension`` (``intent``,
                   ``urgency`` or ``topic``).
``text_negation``  ``kind,phrase``: negation cues (``before`` a phrase, ``after`` a
                   phrase) and ``breaker`` words that end a cue's scope.
``text_actions``   ``priority,source,intent,urgency,sentiment,topic,action``: the
                   recommended-action table; the first matching row (lowest
                   priority number) wins.
``text_sentiment_cues`` ``kind,phrase,weight,lang``: sentiment evidence that VADER
                   lacks (``positive`` / ``negative`` cues such as "arrived broken",
                   "still waiting", "excelente", "enttäuscht") and shop words VADER
                   must not score (``neutral``: "please", "free", "would like").
                   Used by :mod:`segmart.text.sentiment`; matched like the rules.

Matching (:meth:`RuleSet.scores`):

* Text and phrases are normalised the same way: Unicode NFKC, case-folded, accents
  removed (``café`` = ``cafe``, ``Größe`` = ``grosse``), curly quotes made straight,
  PII placeholders (``[EMAIL]`` ...) dropped. Then they are split into word tokens
  (letters, digits, apostrophes) and punctuation tokens.
* A phrase matches a run of whole tokens, so matches always respect word boundaries:
  ``cost`` does not match ``costume``, ``rapist`` does not match ``therapist``. A token
  ending in ``*`` matches any word starting with it (``deliver*`` matches
  ``delivered``); use it sparingly.
* Within a dimension, overlapping matches keep the longest phrase (then the
  earliest): ``no rush`` (urgency low) hides ``rush`` (urgency high), ``return
  policy`` hides ``return``.
* Negation: a match is dropped when a ``before`` cue ends at most
  :data:`NEGATION_WINDOW` words before it in the same clause ("I **don't** want a
  refund", "**no need to** escalate", "**not** broken"), or an ``after`` cue starts at
  most :data:`NEGATION_WINDOW_AFTER` words after it ("refund **not needed**"). A
  clause ends at punctuation (``. , ; : ! ?``) or a ``breaker`` word (``but``,
  ``received`` ...): "I still haven't **received** my refund" keeps ``refund``.
  Cues written inside a phrase are part of it (``not working``, ``no rush``).
* Negation applies to ``intent`` and ``urgency`` only: a negated mention is still
  about its subject, so ``topic`` keeps it ("it isn't broken" is about quality).
* Each distinct phrase counts once per text, however often it occurs. A label's
  score is the sum of its matched phrases' weights (weights may be negative).
* Sentiment cues (:meth:`RuleSet.cue_matches`) use the same normalising, word
  boundaries, overlap (longest wins: "not worth" hides "worth it") and negation;
  what a negated cue means is decided in :mod:`segmart.text.sentiment`.

Choosing a label (:func:`pick_label`): the highest positive score wins; ties go to
the label listed first in :data:`TIE_BREAK` (the label that is costlier to miss);
no positive score gives ``None`` (the caller applies the documented default).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "ACTIONS",
    "DEFAULT_SEEDS_DIR",
    "LABELS",
    "NEGATION_WINDOW",
    "NEGATION_WINDOW_AFTER",
    "RULES_ENGINE_VERSION",
    "TIE_BREAK",
    "CUE_KINDS",
    "ActionRule",
    "Match",
    "Rule",
    "RuleSet",
    "load_rules",
    "normalise",
    "pick_label",
    "read_table",
    "tokenize",
]

#: Bump when the matching semantics change (the rule-table hash covers edits).
#: 1.1.0: sentiment combines VADER with the text_sentiment_cues seed, the phrase
#: intent and the review rating (see segmart.text.sentiment).
RULES_ENGINE_VERSION = "1.1.0"

#: The fixed label sets, in the order the issue lists them.
LABELS: dict[str, tuple[str, ...]] = {
    "sentiment": ("positive", "neutral", "negative"),
    "intent": (
        "buying",
        "support",
        "complaint",
        "comparison",
        "refund",
        "education",
        "other",
    ),
    "urgency": ("low", "medium", "high"),
    "topic": (
        "pricing",
        "shipping",
        "product_fit",
        "quality",
        "setup",
        "returns",
        "other",
    ),
    "recommended_action": (
        "reply",
        "escalate",
        "send_guide",
        "offer_discount",
        "request_review",
        "none",
    ),
}
ACTIONS = LABELS["recommended_action"]
SOURCES = ("ticket", "review")
#: Dimensions the phrase table may score.
RULE_DIMENSIONS = ("intent", "urgency", "topic")
#: Dimensions where a negated phrase is dropped. A negated mention is still about
#: its subject ("it isn't broken" is about quality), so topic ignores negation.
NEGATED_DIMENSIONS = frozenset({"intent", "urgency"})

#: Tie-break order per dimension: on equal scores the label listed first wins.
#: Money and dissatisfaction first (costlier to miss), "other" last.
TIE_BREAK: dict[str, tuple[str, ...]] = {
    "intent": (
        "refund",
        "complaint",
        "support",
        "buying",
        "comparison",
        "education",
        "other",
    ),
    "urgency": ("high", "medium", "low"),
    "topic": (
        "returns",
        "quality",
        "shipping",
        "pricing",
        "product_fit",
        "setup",
        "other",
    ),
}

#: Words a ``before`` negation cue may reach across ("don't [want a] refund").
NEGATION_WINDOW = 3
#: Words an ``after`` cue may sit after the phrase ("refund [is] not needed").
NEGATION_WINDOW_AFTER = 2
NEGATION_KINDS = ("before", "after", "breaker")
#: Kinds of ``text_sentiment_cues`` rows (see :mod:`segmart.text.sentiment`).
CUE_KINDS = ("positive", "negative", "neutral", "closing")
#: The pseudo-dimension under which sentiment cues are matched.
CUE_DIMENSION = "sentiment"

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_SEEDS_DIR = PROJECT_DIR / "seeds"
SEED_FILES = {
    "rules": "text_rules.csv",
    "negation": "text_negation.csv",
    "actions": "text_actions.csv",
    "sentiment_cues": "text_sentiment_cues.csv",
}

_PLACEHOLDER = re.compile(r"\[(?:EMAIL|PHONE|CARD|ADDRESS|ORDER)\]")
_TOKEN = re.compile(r"[\w']+\*?|[^\w\s]")
_CLAUSE_END = frozenset('.,;:!?¿¡()[]"')
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def normalise(text: str | None) -> str:
    """Normalise text for matching: NFKC, case-fold, strip accents, straight quotes.

    PII placeholders produced by :mod:`segmart.text.redact` are replaced by a space
    so that ``[ORDER]`` never matches a phrase like ``order``.
    """
    if not text:
        return ""
    text = _PLACEHOLDER.sub(" ", text)
    if text.isascii():
        # Same result, faster: on ASCII, NFKC and NFKD change nothing, casefold()
        # is lower() and there are no combining marks to strip.
        return text.translate(_QUOTES).lower()
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(normalise(text)))


def tokenize(text: str | None) -> list[str]:
    """Split normalised text into word tokens and single punctuation tokens.

    Pure, so recent texts are memoised (a text is tokenised by the intent rules
    and again by the sentiment cues); each call returns a new list.
    """
    return list(_tokens(text)) if text else []


def _is_word(token: str) -> bool:
    return token[0].isalnum() or token[0] in "_'"


def _token_matches(pattern: str, token: str) -> bool:
    if pattern.endswith("*") and len(pattern) > 1:
        return token.startswith(pattern[:-1])
    return pattern == token


def _match_at(pattern: Sequence[str], tokens: Sequence[str], i: int) -> bool:
    """True when the token pattern matches ``tokens`` starting at position ``i``."""
    window = tokens[i : i + len(pattern)]
    return len(window) == len(pattern) and all(
        _token_matches(p, t) for p, t in zip(pattern, window, strict=True)
    )


def _is_wild(token: str) -> bool:
    return token.endswith("*") and len(token) > 1


#: A pattern prepared for :meth:`_Index.find`: the pattern, its length, and its
#: tokens as a list when no token is a wildcard (compared as a slice), else None.
_Prepared = tuple[tuple[str, ...], int, list[str] | None]


def _prepare(pattern: tuple[str, ...]) -> _Prepared:
    plain = not any(_is_wild(t) for t in pattern)
    return pattern, len(pattern), list(pattern) if plain else None


class _Index:
    """Token patterns indexed by first token (wildcard-first patterns kept apart)."""

    def __init__(self, patterns: Iterable[tuple[str, ...]]) -> None:
        self.exact: dict[str, list[tuple[str, ...]]] = {}
        self.wild: list[tuple[str, ...]] = []
        for pattern in dict.fromkeys(patterns):
            if pattern[0].endswith("*"):
                self.wild.append(pattern)
            else:
                self.exact.setdefault(pattern[0], []).append(pattern)
        self._exact: dict[str, tuple[_Prepared, ...]] = {
            first: tuple(_prepare(p) for p in group)
            for first, group in self.exact.items()
        }
        # Wildcard-first patterns with the prefix their first token must start
        # with (a cheap test before the token-by-token match).
        self._wild: tuple[tuple[tuple[str, ...], int, str], ...] = tuple(
            (p, len(p), p[0][:-1] if _is_wild(p[0]) else p[0]) for p in self.wild
        )
        self._wild_prefixes = tuple(prefix for _, _, prefix in self._wild)

    def find(self, tokens: Sequence[str]) -> Iterator[tuple[int, int, tuple[str, ...]]]:
        """Yield ``(start, end, pattern)`` for every occurrence of every pattern."""
        if not isinstance(tokens, list):
            tokens = list(tokens)
        exact, wild, prefixes = self._exact, self._wild, self._wild_prefixes
        for i, token in enumerate(tokens):
            # An exact bucket's first token equals ``token``: a one-token pattern
            # matches, a longer one is compared as a slice (or token by token).
            for pattern, n, plain in exact.get(token, ()):
                if n == 1 or (
                    tokens[i : i + n] == plain
                    if plain is not None
                    else _match_at(pattern, tokens, i)
                ):
                    yield i, i + n, pattern
            if not (prefixes and token.startswith(prefixes)):
                continue
            for pattern, n, prefix in wild:
                if token.startswith(prefix) and _match_at(pattern, tokens, i):
                    yield i, i + n, pattern


@dataclass(frozen=True)
class Rule:
    """One row of ``text_rules``: ``phrase`` adds ``weight`` to ``dimension/label``."""

    dimension: str
    label: str
    phrase: str
    weight: float
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class ActionRule:
    """One row of ``text_actions``; ``None`` in a condition field means any value."""

    priority: int
    source: frozenset[str] | None
    intent: frozenset[str] | None
    urgency: frozenset[str] | None
    sentiment: frozenset[str] | None
    topic: frozenset[str] | None
    action: str

    def matches(self, row: Mapping[str, str]) -> bool:
        """True when every condition of this rule accepts ``row``."""
        for name in ("source", "intent", "urgency", "sentiment", "topic"):
            allowed = getattr(self, name)
            if allowed is not None and row.get(name) not in allowed:
                return False
        return True


@dataclass(frozen=True)
class Match:
    """A rule found in a text: token span, and whether negation dropped it."""

    rule: Rule
    start: int
    end: int
    negated: bool = False


@dataclass(frozen=True, repr=False)
class RuleSet:
    """The loaded seeds: phrase rules, negation cues, the action table and the
    sentiment cues (``Rule`` rows with dimension ``sentiment`` and label = kind)."""

    rules: tuple[Rule, ...]
    negation: Mapping[str, tuple[tuple[str, ...], ...]]
    actions: tuple[ActionRule, ...]
    canonical: str = ""
    cues: tuple[Rule, ...] = ()

    def __repr__(self) -> str:
        cues = sum(len(v) for v in self.negation.values())
        return (
            f"RuleSet(version={self.version!r}, rules={len(self.rules)}, "
            f"negation={cues}, actions={len(self.actions)}, "
            f"sentiment_cues={len(self.cues)})"
        )

    @cached_property
    def content_hash(self) -> str:
        """Short sha256 of the canonical seed contents (row order does not matter)."""
        return hashlib.sha256(self.canonical.encode("utf-8")).hexdigest()[:10]

    @property
    def version(self) -> str:
        """``rules-<engine version>+<content hash>``: changes when any seed row does."""
        return f"rules-{RULES_ENGINE_VERSION}+{self.content_hash}"

    @cached_property
    def _cue_index(self) -> dict[str, _Index]:
        return {kind: _Index(self.negation[kind]) for kind in NEGATION_KINDS}

    @cached_property
    def _rule_index(self) -> _Index:
        return _Index([r.tokens for r in self.rules])

    @cached_property
    def _rules_by_tokens(self) -> dict[tuple[str, ...], list[Rule]]:
        return _by_tokens(self.rules)

    @cached_property
    def _scored_cues(self) -> tuple[Rule, ...]:
        """Positive and negative cues, plus multi-word neutral ones: those score
        nothing but shadow the cues they overlap ("still not sure" hides "still
        not", "leak proof" hides "leak")."""
        return tuple(
            c
            for c in self.cues
            if c.label in ("positive", "negative")
            or (c.label == "neutral" and len(c.tokens) > 1)
        )

    @cached_property
    def _cue_rule_index(self) -> _Index:
        return _Index([c.tokens for c in self._scored_cues])

    @cached_property
    def _cues_by_tokens(self) -> dict[tuple[str, ...], list[Rule]]:
        return _by_tokens(self._scored_cues)

    @cached_property
    def neutral_words(self) -> frozenset[str]:
        """Single-word ``neutral`` cues: dropped from VADER's lexicon."""
        return frozenset(
            c.phrase.strip().casefold()
            for c in self.cues
            if c.label == "neutral" and len(c.tokens) == 1
        )

    @cached_property
    def neutral_phrases(self) -> tuple[tuple[str, ...], ...]:
        """Multi-word ``neutral`` cues (tokens): masked before VADER scores a text."""
        return tuple(
            c.tokens for c in self.cues if c.label == "neutral" and len(c.tokens) > 1
        )

    @cached_property
    def closings(self) -> frozenset[tuple[str, ...]]:
        """``closing`` cues (word tokens): a ticket sentence that is only one of
        these, optionally followed by one word (a name), is courtesy and is not
        scored ("Thanks!", "Kind regards, Sam")."""
        return frozenset(
            tuple(t for t in c.tokens if _is_word(t))
            for c in self.cues
            if c.label == "closing"
        )

    def _negation_marks(self, tokens: Sequence[str]) -> tuple[set[int], set[int]]:
        """Token positions where a ``before`` cue ends / an ``after`` cue starts."""
        before = {e - 1 for _, e, _ in self._cue_index["before"].find(tokens)}
        after = {s for s, _, _ in self._cue_index["after"].find(tokens)}
        return before, after

    def _is_break(self, tokens: Sequence[str], i: int, breakers: set[int]) -> bool:
        return tokens[i] in _CLAUSE_END or i in breakers

    def _negated(
        self,
        tokens: Sequence[str],
        start: int,
        end: int,
        before: set[int],
        after: set[int],
        breakers: set[int],
    ) -> bool:
        words = 0
        i = start - 1
        while i >= 0 and words <= NEGATION_WINDOW:
            if self._is_break(tokens, i, breakers):
                break
            if i in before:
                return True
            words += _is_word(tokens[i])
            i -= 1
        words = 0
        i = end
        while i < len(tokens) and words <= NEGATION_WINDOW_AFTER:
            if i in after:
                return True
            if self._is_break(tokens, i, breakers):
                break
            words += _is_word(tokens[i])
            i += 1
        return False

    def matches(self, text: str | Sequence[str]) -> list[Match]:
        """All rule matches in ``text`` after overlap resolution, negated ones flagged.

        ``text`` is a string (normalised and tokenised here) or a token list.
        """
        tokens = tokenize(text) if isinstance(text, str) else list(text)
        return self._resolve(tokens, self._rule_index, self._rules_by_tokens)

    def cue_matches(self, text: str | Sequence[str]) -> list[Match]:
        """Positive and negative sentiment-cue matches in ``text`` (same overlap and
        negation handling as :meth:`matches`; negated ones are flagged, not dropped).
        """
        tokens = tokenize(text) if isinstance(text, str) else list(text)
        return self._resolve(tokens, self._cue_rule_index, self._cues_by_tokens)

    def _resolve(
        self,
        tokens: list[str],
        index: _Index,
        by_tokens: Mapping[tuple[str, ...], list[Rule]],
    ) -> list[Match]:
        found = [
            Match(rule, start, end)
            for start, end, pattern in index.find(tokens)
            for rule in by_tokens[pattern]
        ]
        # Overlaps inside one dimension: longest first, then earliest.
        # The same span under two labels is no overlap: both count.
        kept: list[Match] = []
        spans: dict[str, set[tuple[int, int]]] = {}
        for m in sorted(found, key=lambda m: (m.start - m.end, m.start, m.rule.label)):
            taken = spans.setdefault(m.rule.dimension, set())
            if any(
                (s, e) != (m.start, m.end) and s < m.end and m.start < e
                for s, e in taken
            ):
                continue
            taken.add((m.start, m.end))
            kept.append(m)
        if not kept:  # nothing to check for negation
            return []
        before, after = self._negation_marks(tokens)
        breakers = {s for s, _, _ in self._cue_index["breaker"].find(tokens)}
        out = []
        for m in sorted(kept, key=lambda m: (m.start, m.rule.dimension)):
            neg = self._negated(tokens, m.start, m.end, before, after, breakers)
            out.append(Match(m.rule, m.start, m.end, neg))
        return out

    def scores(self, text: str | Sequence[str]) -> dict[str, dict[str, float]]:
        """Per dimension, the summed weight per label of the counted phrases."""
        result: dict[str, dict[str, float]] = {d: {} for d in RULE_DIMENSIONS}
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for m in self.matches(text):
            key = (m.rule.dimension, m.rule.label, m.rule.tokens)
            negated = m.negated and m.rule.dimension in NEGATED_DIMENSIONS
            if negated or key in seen:
                continue
            seen.add(key)
            per_label = result[m.rule.dimension]
            per_label[m.rule.label] = per_label.get(m.rule.label, 0.0) + m.rule.weight
        return result

    def action_for(self, row: Mapping[str, str]) -> str:
        """The action of the first action-table row matching ``row`` (else ``none``)."""
        for rule in self.actions:
            if rule.matches(row):
                return rule.action
        return "none"


def _by_tokens(rules: Iterable[Rule]) -> dict[tuple[str, ...], list[Rule]]:
    by_tokens: dict[tuple[str, ...], list[Rule]] = {}
    for rule in rules:
        by_tokens.setdefault(rule.tokens, []).append(rule)
    return by_tokens


def pick_label(dimension: str, scores: Mapping[str, float]) -> str | None:
    """Highest positive score; ties by :data:`TIE_BREAK`; ``None`` when none > 0."""
    order = TIE_BREAK[dimension]
    best = [(-s, order.index(label)) for label, s in scores.items() if s > 0]
    if not best:
        return None
    _, idx = min(best)
    return order[idx]


# --------------------------------------------------------------------------- load


def read_table(obj: Any) -> list[dict[str, Any]]:
    """Rows (list of dicts) from a CSV path, a pyarrow Table / RecordBatchReader,
    anything exposing the Arrow C stream (a DuckDB relation), a pandas DataFrame or
    an iterable of mappings."""
    if isinstance(obj, str | Path):
        with open(obj, newline="", encoding="utf-8") as fh:
            return [dict(r) for r in csv.DictReader(fh)]
    if hasattr(obj, "to_pylist"):
        return list(obj.to_pylist())
    if hasattr(obj, "read_all"):
        return list(obj.read_all().to_pylist())
    if hasattr(obj, "__arrow_c_stream__"):
        import pyarrow as pa

        return pa.table(obj).to_pylist()
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):
        return list(obj.to_dict("records"))
    return [dict(r) for r in obj]


def _cell(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _parse_rules(rows: Iterable[Mapping[str, Any]]) -> list[Rule]:
    rules: list[Rule] = []
    seen: set[tuple[str, str, tuple[str, ...]]] = set()
    for n, row in enumerate(rows, start=1):
        dim, label, phrase = (_cell(row, k) for k in ("dimension", "label", "phrase"))
        where = f"text_rules row {n} ({dim},{label},{phrase!r})"
        if dim not in RULE_DIMENSIONS:
            raise ValueError(f"{where}: dimension must be one of {RULE_DIMENSIONS}")
        if label not in LABELS[dim]:
            raise ValueError(f"{where}: label must be one of {LABELS[dim]}")
        tokens = tuple(tokenize(phrase))
        if not tokens:
            raise ValueError(f"{where}: empty phrase")
        try:
            weight = float(_cell(row, "weight") or "1")
        except ValueError:
            raise ValueError(f"{where}: weight is not a number") from None
        if not math.isfinite(weight):
            raise ValueError(f"{where}: weight is not finite")
        key = (dim, label, tokens)
        if key in seen:
            raise ValueError(f"{where}: duplicate phrase for this label")
        seen.add(key)
        rules.append(Rule(dim, label, phrase, weight, tokens))
    return rules


def _parse_negation(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple]]:
    cues: dict[str, list[tuple[str, ...]]] = {k: [] for k in NEGATION_KINDS}
    for n, row in enumerate(rows, start=1):
        kind, phrase = _cell(row, "kind"), _cell(row, "phrase")
        if kind not in NEGATION_KINDS:
            raise ValueError(f"text_negation row {n}: kind must be {NEGATION_KINDS}")
        tokens = tuple(tokenize(phrase))
        if not tokens:
            raise ValueError(f"text_negation row {n}: empty phrase")
        cues[kind].append(tokens)
    return cues


def _parse_cues(rows: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """``text_sentiment_cues`` rows as :class:`Rule` (dimension ``sentiment``,
    label = kind). ``weight`` (default 1) must be > 0 for positive and negative
    cues and is ignored (0) for neutral and closing ones. A phrase may appear once
    per file."""
    cues: list[Rule] = []
    seen: dict[tuple[str, ...], str] = {}
    for n, row in enumerate(rows, start=1):
        kind, phrase = _cell(row, "kind"), _cell(row, "phrase")
        where = f"text_sentiment_cues row {n} ({kind},{phrase!r})"
        if kind not in CUE_KINDS:
            raise ValueError(f"{where}: kind must be one of {CUE_KINDS}")
        tokens = tuple(tokenize(phrase))
        if not tokens:
            raise ValueError(f"{where}: empty phrase")
        if tokens in seen:
            raise ValueError(f"{where}: phrase already listed as {seen[tokens]}")
        seen[tokens] = kind
        weight = 0.0
        if kind in ("positive", "negative"):
            try:
                weight = float(_cell(row, "weight") or "1")
            except ValueError:
                raise ValueError(f"{where}: weight is not a number") from None
            if not (math.isfinite(weight) and weight > 0):
                raise ValueError(f"{where}: weight must be a positive number")
        cues.append(Rule(CUE_DIMENSION, kind, phrase, weight, tokens))
    return cues


def _parse_condition(value: str, allowed: tuple[str, ...], where: str):
    if value in ("", "*"):
        return None
    values = frozenset(v.strip() for v in value.split("|"))
    bad = sorted(values - set(allowed))
    if bad:
        raise ValueError(f"{where}: {bad} not in {allowed}")
    return values


def _parse_actions(rows: Iterable[Mapping[str, Any]]) -> list[ActionRule]:
    actions: list[ActionRule] = []
    priorities: set[int] = set()
    for n, row in enumerate(rows, start=1):
        where = f"text_actions row {n}"
        try:
            priority = int(float(_cell(row, "priority")))
        except ValueError:
            raise ValueError(f"{where}: priority is not an integer") from None
        if priority in priorities:
            raise ValueError(f"{where}: duplicate priority {priority}")
        priorities.add(priority)
        action = _cell(row, "action")
        if action not in ACTIONS:
            raise ValueError(f"{where}: action must be one of {ACTIONS}")
        conditions = {
            name: _parse_condition(_cell(row, name), allowed, where)
            for name, allowed in (
                ("source", SOURCES),
                ("intent", LABELS["intent"]),
                ("urgency", LABELS["urgency"]),
                ("sentiment", LABELS["sentiment"]),
                ("topic", LABELS["topic"]),
            )
        }
        actions.append(ActionRule(priority=priority, action=action, **conditions))
    return sorted(actions, key=lambda a: a.priority)


def _canonical(
    rules: list[Rule],
    negation: dict[str, list[tuple]],
    actions: list[ActionRule],
    cues: list[Rule],
) -> str:
    def fs(v: frozenset[str] | None) -> list[str] | None:
        return None if v is None else sorted(v)

    doc = {
        "rules": sorted(
            [r.dimension, r.label, list(r.tokens), r.weight] for r in rules
        ),
        "negation": {k: sorted(list(t) for t in v) for k, v in negation.items()},
        "actions": [
            [a.priority, fs(a.source), fs(a.intent), fs(a.urgency)]
            + [fs(a.sentiment), fs(a.topic), a.action]
            for a in actions
        ],
        "sentiment_cues": sorted([c.label, list(c.tokens), c.weight] for c in cues),
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def load_rules(
    rules: Any = None,
    negation: Any = None,
    actions: Any = None,
    sentiment_cues: Any = None,
    *,
    seeds_dir: str | Path | None = None,
) -> RuleSet:
    """Load and validate the four text seeds into a :class:`RuleSet`.

    Each argument is a CSV path, a pyarrow Table / RecordBatchReader, a DuckDB
    relation (what ``dbt.ref('text_rules')`` gives a dbt-duckdb Python model), a
    pandas DataFrame or a list of dicts. ``None`` reads the seed CSV of that name
    from ``seeds_dir`` (default: the project's ``seeds/``), so callers written for
    the first three seeds keep working and get the project's sentiment cues.
    Invalid rows raise :class:`ValueError` naming the row.
    """
    base = Path(seeds_dir) if seeds_dir is not None else DEFAULT_SEEDS_DIR

    def rows(obj: Any, name: str) -> list[dict[str, Any]]:
        return read_table(base / SEED_FILES[name] if obj is None else obj)

    parsed_rules = _parse_rules(rows(rules, "rules"))
    parsed_neg = _parse_negation(rows(negation, "negation"))
    parsed_actions = _parse_actions(rows(actions, "actions"))
    parsed_cues = _parse_cues(rows(sentiment_cues, "sentiment_cues"))
    return RuleSet(
        rules=tuple(parsed_rules),
        negation={k: tuple(v) for k, v in parsed_neg.items()},
        actions=tuple(parsed_actions),
        canonical=_canonical(parsed_rules, parsed_neg, parsed_actions, parsed_cues),
        cues=tuple(parsed_cues),
    )
