"""Turn ticket and review texts into structured signals (one row per text).

Pipeline for every text: compose (ticket ``subject`` + ``body``), :func:`redact`,
then classify the redacted text only — with the LLM when one is configured and its
answer is valid, else with the rules. Output columns (:data:`OUTPUT_SCHEMA`):

``id, source, sentiment, sentiment_score, intent, urgency, topic,
recommended_action, classifier, classifier_version, redacted_text``

Rule classifier, per dimension (see :mod:`segmart.text.rules` for matching):

* **sentiment**: VADER combined with the ``text_sentiment_cues`` seed and the
  phrase intent, thresholds by source; a review's star rating decides unless the
  text is decisive, when ``use_rating`` (see :mod:`segmart.text.sentiment`). The
  same rating rule is applied to LLM labels.
* **intent**: best-scoring ``text_rules`` label; when no intent phrase matches, a
  negative text is a ``complaint`` and anything else is ``other``. A review is
  feedback, not a request, so its intent follows its verdict
  (:func:`review_intent`): a refund request stays ``refund``, a comparison stays
  ``comparison`` unless the review is negative; anything else is ``complaint``
  when the review is negative and ``other`` otherwise ("the tutorial video helped
  me" is praise, not a how-to question; "compared to the old version this one is
  flimsy" is a complaint; "arrived a day late, product itself is fine" at 3 stars
  is not).
* **urgency**: best-scoring label, default ``low``; :data:`URGENCY_FLOOR` raises it
  to at least ``medium`` for a refund (ticket or review) and a complaint *ticket*:
  someone must act on those. A complaint in a review is feedback, not a case.
* **topic**: best-scoring label; with no topic phrase, :data:`TOPIC_DEFAULT` gives
  ``quality`` for a review (a review is an opinion of the product) and ``other``
  for a ticket.
* **recommended_action**: first matching row of ``text_actions`` by priority, for
  both classifiers.

A dbt-duckdb Python model calls it like this::

    def model(dbt, session):
        from segmart.text import classify_texts, load_rules
        rules = load_rules(dbt.ref("text_rules"), dbt.ref("text_negation"),
                           dbt.ref("text_actions"), dbt.ref("text_sentiment_cues"))
        return classify_texts(dbt.ref("stg_shop__tickets"), rules, source="ticket",
                              id_column="ticket_id")
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from segmart.text.llm import LLMClassifier
from segmart.text.redact import redact
from segmart.text.rules import RuleSet, load_rules, pick_label, read_table, tokenize
from segmart.text.sentiment import _stars, polarity, text_evidence, with_rating

__all__ = [
    "OUTPUT_COLUMNS",
    "OUTPUT_SCHEMA",
    "classify_text",
    "classify_texts",
    "compose_text",
    "review_intent",
    "rule_labels",
    "stats_of",
]

OUTPUT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("sentiment", pa.string()),
        ("sentiment_score", pa.float64()),
        ("intent", pa.string()),
        ("urgency", pa.string()),
        ("topic", pa.string()),
        ("recommended_action", pa.string()),
        ("classifier", pa.string()),
        ("classifier_version", pa.string()),
        ("redacted_text", pa.string()),
    ]
)
OUTPUT_COLUMNS = tuple(OUTPUT_SCHEMA.names)
SOURCES = ("ticket", "review")
#: Minimum urgency by (source, intent) for the rule classifier.
URGENCY_FLOOR = {
    ("ticket", "complaint"): "medium",
    ("ticket", "refund"): "medium",
    ("review", "refund"): "medium",
}
#: Review intents kept whatever the verdict (comparison only when not negative).
REVIEW_KEPT_INTENTS = frozenset({"refund", "comparison"})
#: Topic when no topic phrase matches, by source.
TOPIC_DEFAULT = {"review": "quality", "ticket": "other"}
_URGENCY_RANK = {"low": 0, "medium": 1, "high": 2}
_STATS_KEY = b"segmart.text.stats"


def compose_text(*parts: str | None) -> str:
    """Join non-empty parts (e.g. subject, body) as separate sentences."""
    out = ""
    for part in parts:
        part = (part or "").strip()
        if not part:
            continue
        if out and out[-1] not in ".!?:;":
            out += "."
        out = f"{out} {part}" if out else part
    return out


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")


def review_intent(phrase_intent: str | None, sentiment: str) -> str:
    """A review's intent from its phrase intent and final sentiment (module doc)."""
    if phrase_intent == "refund":
        return "refund"
    if phrase_intent == "comparison" and sentiment != "negative":
        return "comparison"
    return "complaint" if sentiment == "negative" else "other"


def rule_labels(
    redacted_text: str,
    rules: RuleSet,
    *,
    source: str,
    rating: object = None,
    use_rating: bool = True,
) -> dict[str, Any]:
    """Rule-classifier labels for an already redacted text (no action, no ids)."""
    tokens = tokenize(redacted_text)
    scores = rules.scores(tokens)
    intent = pick_label("intent", scores["intent"])
    evidence = text_evidence(redacted_text, rules, source=source, intent=intent)
    score = evidence.score
    label = polarity(score, source)
    if use_rating:
        label = with_rating(label, score, rating, mixed=evidence.mixed)
    if source == "review":
        intent = review_intent(intent, label)
    elif intent is None:
        intent = "complaint" if label == "negative" else "other"
    urgency = pick_label("urgency", scores["urgency"]) or "low"
    floor = URGENCY_FLOOR.get((source, intent), "low")
    if _URGENCY_RANK[floor] > _URGENCY_RANK[urgency]:
        urgency = floor
    return {
        "sentiment": label,
        "sentiment_score": score,
        "intent": intent,
        "urgency": urgency,
        "topic": pick_label("topic", scores["topic"]) or TOPIC_DEFAULT[source],
    }


def _row(
    text: str,
    rules: RuleSet,
    *,
    source: str,
    rating: object,
    use_rating: bool,
    llm: LLMClassifier | None,
) -> dict[str, Any]:
    redacted = redact(text)
    labels = llm.classify(redacted, source) if llm is not None else None
    if labels is not None:
        return _llm_row(redacted, labels, rules, source, rating, use_rating, llm)
    return _rule_row(redacted, rules, source, rating, use_rating)


def _llm_row(
    redacted: str,
    labels: dict[str, Any],
    rules: RuleSet,
    source: str,
    rating: object,
    use_rating: bool,
    llm: LLMClassifier,
) -> dict[str, Any]:
    if use_rating:
        labels["sentiment"] = with_rating(
            labels["sentiment"], labels["sentiment_score"], rating
        )
    return _finish(
        redacted, labels, rules, source, llm.classifier, llm.version(rules.content_hash)
    )


def _rule_row(
    redacted: str, rules: RuleSet, source: str, rating: object, use_rating: bool
) -> dict[str, Any]:
    labels = rule_labels(
        redacted, rules, source=source, rating=rating, use_rating=use_rating
    )
    return _finish(redacted, labels, rules, source, "rules", rules.version)


def _finish(
    redacted: str,
    labels: dict[str, Any],
    rules: RuleSet,
    source: str,
    classifier: str,
    version: str,
) -> dict[str, Any]:
    action = rules.action_for({"source": source, **labels})
    return {
        "source": source,
        **labels,
        "recommended_action": action,
        "classifier": classifier,
        "classifier_version": version,
        "redacted_text": redacted,
    }


def classify_text(
    text: str | None,
    rules: RuleSet | None = None,
    *,
    source: str,
    rating: object = None,
    use_rating: bool = True,
    llm: LLMClassifier | None = None,
) -> dict[str, Any]:
    """Classify one raw text; returns every output column except ``id``.

    The text is redacted first; nothing downstream sees the raw text.
    """
    _check_source(source)
    rules = rules if rules is not None else load_rules()
    return _row(
        text or "", rules, source=source, rating=rating, use_rating=use_rating, llm=llm
    )


def _pick(columns: Sequence[str], *candidates: str) -> str | None:
    return next((c for c in candidates if c in columns), None)


def classify_texts(
    rows: Iterable[Mapping[str, Any]] | pa.Table | Any,
    rules: RuleSet | Any = None,
    *,
    source: str,
    id_column: str | None = None,
    text_columns: Sequence[str] | None = None,
    rating_column: str | None = "rating",
    use_rating: bool = True,
    llm: LLMClassifier | None | str = "auto",
) -> pa.Table:
    """Classify many texts; one output row per input row, in input order.

    ``rows`` is a list of dicts, a pyarrow Table / RecordBatchReader or a DuckDB
    relation. ``rules`` is a :class:`RuleSet`, ``None`` (the project seeds) or a
    ``text_rules`` table in any form :func:`load_rules` accepts. ``id_column``
    defaults to ``id`` or ``<source>_id``; ``text_columns`` to ``subject`` and
    ``body`` (those present) or ``text``. ``rating_column`` is read when present.
    ``llm="auto"`` uses :meth:`LLMClassifier.from_env` (off unless configured);
    pass ``None`` to force the rules or a classifier instance to use it.

    LLM counters (sent, cache_hits, fallbacks) are in ``llm.stats`` and in the
    schema metadata under ``segmart.text.stats`` together with rows per classifier.
    """
    _check_source(source)
    if not isinstance(rules, RuleSet):
        rules = load_rules(rules)
    if isinstance(llm, str):
        if llm != "auto":
            raise ValueError("llm must be 'auto', None or an LLMClassifier")
        llm = LLMClassifier.from_env()
    columns, n_rows, column = _read_columns(rows)
    if n_rows:
        id_column = id_column or _pick(columns, "id", f"{source}_id")
        if id_column is None or id_column not in columns:
            raise ValueError(f"no id column (looked for id, {source}_id)")
        if text_columns is None:
            text_columns = [c for c in ("subject", "body") if c in columns]
            text_columns = text_columns or [c for c in ("text",) if c in columns]
        missing = [c for c in text_columns if c not in columns]
        if not text_columns or missing:
            wanted = missing or "subject/body/text"
            raise ValueError(f"text columns not found: {wanted}")
    texts = [column(c) for c in text_columns or ()] if n_rows else []
    ratings = column(rating_column) if rating_column and n_rows else None
    # Each distinct (text, star rating) is classified once: the result of a row is
    # a pure function of its text and its rating (which counts only through
    # _stars). Rows then point at their result (``index``). The LLM is still asked
    # once per row, in row order, so its requests, cache and counters are as if
    # each row were classified alone.
    redacted_of: dict[str, str] = {}
    rule_result_of: dict[tuple[str, int | None], int] = {}
    results: list[dict[str, Any]] = []
    index: list[int] = []
    for i in range(n_rows):
        text = compose_text(*(col[i] for col in texts))
        rating = ratings[i] if ratings is not None else None
        redacted = redacted_of.get(text)
        if redacted is None:
            redacted = redacted_of[text] = redact(text)
        labels = llm.classify(redacted, source) if llm is not None else None
        if labels is not None:
            index.append(len(results))
            results.append(
                _llm_row(redacted, labels, rules, source, rating, use_rating, llm)
            )
            continue
        key = (redacted, _stars(rating) if use_rating else None)
        at = rule_result_of.get(key)
        if at is None:
            at = rule_result_of[key] = len(results)
            results.append(_rule_row(redacted, rules, source, rating, use_rating))
        index.append(at)
    ids = column(id_column) if n_rows else []
    stats: dict[str, Any] = {
        "rows": n_rows,
        "by_classifier": dict(Counter(results[i]["classifier"] for i in index)),
        "llm": llm.stats.as_dict() if llm is not None else None,
    }
    take = pa.array(index, pa.int64())
    arrays = [pa.array([None if v is None else str(v) for v in ids], pa.string())]
    for field in list(OUTPUT_SCHEMA)[1:]:
        values = pa.array([r[field.name] for r in results], field.type)
        arrays.append(values.take(take))
    table = pa.Table.from_arrays(arrays, schema=OUTPUT_SCHEMA)
    return table.replace_schema_metadata({_STATS_KEY: json.dumps(stats).encode()})


def _read_columns(
    rows: Any,
) -> tuple[list[str], int, Callable[[str], list[Any]]]:
    """Column names, row count and a column reader (values as Python objects).

    An Arrow table or batch is read column by column; anything else through
    :func:`read_table`, whose first row names the columns (a column missing from
    a later row reads as ``None`` there).
    """
    if isinstance(rows, pa.Table | pa.RecordBatch) and len(
        set(rows.column_names)
    ) == len(rows.column_names):
        names = list(rows.column_names)

        def arrow_column(name: str) -> list[Any]:
            if name not in names:
                return [None] * rows.num_rows
            return rows.column(name).to_pylist()

        return names, rows.num_rows, arrow_column
    data = read_table(rows)

    def row_column(name: str) -> list[Any]:
        return [row.get(name) for row in data]

    return (list(data[0].keys()) if data else []), len(data), row_column


def stats_of(table: pa.Table) -> dict[str, Any]:
    """The ``segmart.text.stats`` metadata written by :func:`classify_texts`."""
    meta = table.schema.metadata or {}
    return json.loads(meta.get(_STATS_KEY, b"{}"))
