"""Text signals for tickets and reviews: redaction, sentiment, rules, LLM option.

Public API::

    from segmart.text import classify_texts, load_rules, redact
    table = classify_texts(rows, load_rules(), source="ticket")
"""

from segmart.text.classify import (
    OUTPUT_COLUMNS,
    OUTPUT_SCHEMA,
    classify_text,
    classify_texts,
    compose_text,
    stats_of,
)
from segmart.text.llm import PROMPT_VERSION, LLMClassifier, LLMConfig, LLMStats
from segmart.text.redact import redact, redact_with_counts
from segmart.text.rules import LABELS, RuleSet, load_rules

__all__ = [
    "LABELS",
    "OUTPUT_COLUMNS",
    "OUTPUT_SCHEMA",
    "PROMPT_VERSION",
    "LLMClassifier",
    "LLMConfig",
    "LLMStats",
    "RuleSet",
    "classify_text",
    "classify_texts",
    "compose_text",
    "load_rules",
    "redact",
    "redact_with_counts",
    "stats_of",
]
