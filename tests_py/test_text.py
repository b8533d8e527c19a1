"""Tests of segmart.text: redaction, rules, sentiment, LLM path, accuracy.

No network: the LLM tests talk to a fake OpenAI-compatible server on 127.0.0.1.

Accuracy is measured on two labelled sets, reported separately:

* ``fixtures/text_labelled.csv`` (100 texts, "original"): the development set.
  Rules and sentiment cues were tuned while looking at its errors.
* ``fixtures/text_heldout.csv`` (78 texts, "heldout"): written and labelled before
  the sentiment work began and only *measured*, never used to choose a rule, cue,
  weight or threshold. It was measured three times: the baseline, once after the
  sentiment change, and the final run of these tests (its misses were first
  printed by that final run).

Labelling convention (both sets), by meaning, as a careful human would:

* intent, urgency and topic as in ``segmart.text.rules.LABELS``.
* sentiment is the customer's overall stance toward the shop, its products and
  service. **negative**: dissatisfaction, or a report that something the shop sold
  or did went wrong (damaged, faulty or not working, wrong, missing, late or not
  arrived, double-charged, unwanted contact, account locked), however politely
  put and whatever remedy is asked for. **positive**: praise, thanks or
  satisfaction is the verdict; a question added to praise does not cancel it.
  **neutral**: questions, information requests, routine changes (cancel an
  order placed by accident, change an address or a size), returns for fit or
  taste with no fault claimed, status queries without a stated missed date,
  problems the customer says are resolved or harmless, balanced verdicts.
* mixed texts: the overall stance decides. Asking for a remedy for a fault is
  negative; praise with a minor downside and no remedy asked is positive
  ("love the taste but delivery took two weeks", 4 stars); a verdict where
  neither side dominates is neutral. A review's star rating is part of what the
  customer said and settles mixed reviews (4-5 positive, 1-2 negative, 3 neutral).
"""

from __future__ import annotations

import csv
import json
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from segmart.text import (
    LABELS,
    OUTPUT_COLUMNS,
    LLMClassifier,
    LLMConfig,
    classify_text,
    classify_texts,
    load_rules,
    redact,
    redact_with_counts,
    stats_of,
)
from segmart.text.classify import review_intent
from segmart.text.llm import PROMPT_VERSION, SYSTEM_PROMPT, parse_reply
from segmart.text.rules import DEFAULT_SEEDS_DIR, SEED_FILES, tokenize
from segmart.text.sentiment import sentiment, text_evidence, vader_compound

FIXTURE_DIR = Path(__file__).parent / "fixtures"
FIXTURES = {
    "original": FIXTURE_DIR / "text_labelled.csv",
    "heldout": FIXTURE_DIR / "text_heldout.csv",
}
FIXTURE = FIXTURES["original"]
DIMENSIONS = ("intent", "sentiment", "urgency", "topic")
#: Acceptance target of issue #7 (intent and sentiment polarity), on each set.
TARGET = 0.85
#: Regression floors where no target applies or the target is not met; set
#: below the measured figures in round steps (see the report of each test).
FLOORS = {
    ("original", "sentiment_text_only"): 0.90,
    ("heldout", "sentiment_text_only"): 0.75,
    ("heldout", "intent"): 0.70,
    ("original", "urgency"): 0.80,
    ("original", "topic"): 0.70,
}
HELDOUT_INTENT_GAP = (
    "intent phrase tables (text_rules) were written alongside the original "
    "fixture and generalise to new text at ~70-75%, below the 85% target; the "
    "held-out set is not used to tune them (see the report)"
)


# ----------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def rules():
    return load_rules()


def _rows_of(name: str) -> list[dict[str, str]]:
    with open(FIXTURES[name], newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _fixture_rows() -> list[dict[str, str]]:
    return _rows_of("original")


@pytest.fixture(scope="module")
def fixture_rows():
    return _fixture_rows()


def _predict(rows, rules, *, use_rating: bool) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for source in ("ticket", "review"):
        part = [r for r in rows if r["source"] == source]
        table = classify_texts(
            part, rules, source=source, llm=None, use_rating=use_rating
        )
        for row in table.to_pylist():
            out[row["id"]] = row
    return out


_PREDICTIONS: dict[tuple[str, bool], dict[str, dict]] = {}


def _predictions(name: str, rules, *, use_rating: bool = True) -> dict[str, dict]:
    """Predictions for a labelled set, computed once per session. ``use_rating``
    is how the dbt model classifies (reviews carry their star rating)."""
    key = (name, use_rating)
    if key not in _PREDICTIONS:
        _PREDICTIONS[key] = _predict(_rows_of(name), rules, use_rating=use_rating)
    return _PREDICTIONS[key]


@pytest.fixture(scope="module")
def predictions(rules):
    """Predictions on the original fixture as the dbt model makes them."""
    return _predictions("original", rules)


def _report(dim: str, rows, preds, title: str = "") -> float:
    pairs = [(r[dim], preds[r["id"]][dim]) for r in rows]
    acc = sum(a == b for a, b in pairs) / len(pairs)
    print(f"\n{title}{dim}: accuracy {acc:.1%} over {len(pairs)} texts")
    labels = LABELS[dim]
    print("  true \\ predicted  " + " ".join(f"{lab[:10]:>10}" for lab in labels))
    confusion = Counter(pairs)
    for true in labels:
        n = sum(v for (t, _), v in confusion.items() if t == true)
        if not n:
            continue
        ok = confusion[(true, true)]
        cells = " ".join(f"{confusion[(true, p)]:>10}" for p in labels)
        print(f"  {true:<16} {cells}   recall {ok}/{n}")
    misses = [
        f"{r['id']}:{t}->{p}" for r, (t, p) in zip(rows, pairs, strict=True) if t != p
    ]
    print("  misses: " + ", ".join(misses))
    return acc


# --------------------------------------------------------------- fixture
@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_covers_the_labels(name):
    rows = _rows_of(name)
    assert len(rows) >= 60
    assert len({r["id"] for r in rows}) == len(rows)
    for dim in DIMENSIONS:
        values = {r[dim] for r in rows}
        assert values <= set(LABELS[dim]), dim
    assert {r["intent"] for r in rows} == set(LABELS["intent"])
    assert {r["sentiment"] for r in rows} == set(LABELS["sentiment"])
    assert {r["source"] for r in rows} == {"ticket", "review"}
    assert {"es", "fr", "de"} <= {r["lang"] for r in rows}
    for r in rows:
        assert (r["rating"] != "") == (r["source"] == "review"), r["id"]
    bodies = " ".join(r["body"].lower() for r in rows)
    if name == "original":
        assert "don't want a refund" in bodies  # negation
        assert "love the taste but" in bodies  # mixed sentiment
    else:
        assert "no need for a refund" in bodies  # negated request
        assert "not disappointed at all" in bodies  # negated negative
        assert "not great." in bodies  # negated positive
        assert "great kettle, but" in bodies  # mixed sentiment


def _words(text: str) -> tuple[str, ...]:
    return tuple(t for t in tokenize(text) if t[0].isalnum())


def test_heldout_is_new_text():
    """The held-out texts are not copies of the original: no sentence of 6+ words
    is shared (stock sentences such as "I want my money back." may recur)."""
    original, heldout = _rows_of("original"), _rows_of("heldout")
    assert not {r["id"] for r in original} & {r["id"] for r in heldout}

    def sentences(rows):
        out = set()
        for r in rows:
            for part in (r["subject"], r["body"]):
                parts = re.split(r"(?<=[.!?])\s+", part)
                out.update(w for w in map(_words, parts) if len(w) >= 6)
        return out

    assert not sentences(original) & sentences(heldout)


def _seed_phrases() -> dict[str, set[tuple[str, ...]]]:
    """Every phrase of the rule and sentiment-cue seeds, as word tuples."""
    out: dict[str, set[tuple[str, ...]]] = {}
    for name in ("rules", "sentiment_cues", "negation"):
        out[name] = {_words(r["phrase"]) for r in _seed_rows(name)}
    return out


def _phrase_at(phrase: tuple[str, ...], words: tuple[str, ...], i: int) -> bool:
    window = words[i : i + len(phrase)]
    return len(window) == len(phrase) and all(
        w.startswith(p[:-1]) if p.endswith("*") else w == p
        for p, w in zip(phrase, window, strict=True)
    )


@pytest.mark.parametrize("seed", ["rules", "sentiment_cues", "negation"])
def test_no_rule_or_cue_phrase_copies_fixture_text(seed):
    """Rules and cues are general phrases, not the labelled texts. No phrase is a
    whole sentence or subject line of 4+ words of either labelled set (shorter ones
    are stock fragments such as "Back in stock?" or "Avoid."), and no phrase of 5+
    words occurs in a labelled text at all. Wildcards (``kaputt*``) count."""
    phrases = _seed_phrases()[seed]
    sentences = set()
    texts = []
    for name in FIXTURES:
        for r in _rows_of(name):
            for part in (r["subject"], r["body"]):
                parts = re.split(r"(?<=[.!?])\s+", part)
                sentences.update(w for w in map(_words, parts) if len(w) >= 4)
                texts.append(_words(part))
    assert sentences, "the fixtures have no sentences?"
    copies = [
        p
        for p in phrases
        for s in sentences
        if len(p) == len(s) and _phrase_at(p, s, 0)
    ]
    assert not copies
    long_phrases = [p for p in phrases if len(p) >= 5]
    for text in texts:
        assert not [
            p for p in long_phrases for i in range(len(text)) if _phrase_at(p, text, i)
        ]
    # and the check itself bites: a copied sentence would be caught, in both sets
    for name in FIXTURES:
        copied = _words(_rows_of(name)[0]["body"].split(". ")[0])
        assert len(copied) >= 4 and copied in sentences
        assert _phrase_at(copied, copied, 0)


def test_sentiment_cues_are_short_general_phrases():
    rows = _seed_rows("sentiment_cues")
    assert all(1 <= len(_words(r["phrase"])) <= 4 for r in rows)
    kinds = Counter(r["kind"] for r in rows)
    assert set(kinds) == {"positive", "negative", "neutral", "closing"}
    assert {"en", "es", "fr", "de"} <= {r["lang"] for r in rows}


# -------------------------------------------------------------- accuracy
@pytest.mark.parametrize(
    "name",
    [
        "original",
        pytest.param(
            "heldout", marks=pytest.mark.xfail(strict=True, reason=HELDOUT_INTENT_GAP)
        ),
    ],
)
def test_intent_accuracy(name, rules):
    rows = _rows_of(name)
    acc = _report("intent", rows, _predictions(name, rules), f"[{name}] ")
    text_only = _report(
        "intent", rows, _predictions(name, rules, use_rating=False), f"[{name}] "
    )
    print(f"[{name}] intent {acc:.1%} (text only {text_only:.1%})")
    assert acc >= TARGET


def test_heldout_intent_floor(rules):
    rows = _rows_of("heldout")
    assert (
        _report("intent", rows, _predictions("heldout", rules))
        >= FLOORS[("heldout", "intent")]
    )


@pytest.mark.parametrize("name", FIXTURES)
def test_sentiment_accuracy(name, rules):
    """Target on each set as the model runs (reviews use their rating); the
    text-only figure is printed and guarded by a floor."""
    rows = _rows_of(name)
    text_only = _report(
        "sentiment",
        rows,
        _predictions(name, rules, use_rating=False),
        f"[{name}, text only] ",
    )
    rated = _report(
        "sentiment", rows, _predictions(name, rules), f"[{name}, with ratings] "
    )
    print(
        f"[{name}] sentiment {rated:.1%} with review ratings, {text_only:.1%} text only"
    )
    assert text_only >= FLOORS[(name, "sentiment_text_only")]
    assert rated >= text_only
    assert rated >= TARGET


@pytest.mark.parametrize("dim", ["urgency", "topic"])
def test_urgency_and_topic_accuracy_floor(dim, rules):
    assert (
        _report(dim, _fixture_rows(), _predictions("original", rules))
        >= FLOORS[("original", dim)]
    )
    # the held-out figures are reported, not asserted (no target for them)
    _report(dim, _rows_of("heldout"), _predictions("heldout", rules), "[heldout] ")


# -------------------------------------------------------------- negation
def _intent(text: str, rules, source: str = "ticket") -> str:
    return classify_text(text, rules, source=source)["intent"]


@pytest.mark.parametrize(
    "text, not_intent",
    [
        ("I don't want a refund, just a replacement please.", "refund"),
        ("I do not want my money back, I want a new lid.", "refund"),
        ("Ich möchte keine Rückerstattung, nur einen Ersatz.", "refund"),
        ("No refund needed, the parcel turned up.", "refund"),
        ("Refund not needed anymore, thanks.", "refund"),
        ("Please don't cancel anything, I just want to add a mug.", "support"),
    ],
)
def test_negated_request_is_not_that_request(text, not_intent, rules):
    assert _intent(text, rules) != not_intent


@pytest.mark.parametrize(
    "text, intent",
    [
        ("I want a refund, not a replacement.", "refund"),
        ("I still haven't received my refund.", "refund"),
        ("No problem with the size, but I want a refund.", "refund"),
        ("Please cancel my subscription.", "support"),
    ],
)
def test_unnegated_request_is_kept(text, intent, rules):
    assert _intent(text, rules) == intent


def test_negation_of_urgency_and_problem_words(rules):
    plain = classify_text("Please escalate this today.", rules, source="ticket")
    negated = classify_text(
        "No need to escalate this, it is a question about sizes.",
        rules,
        source="ticket",
    )
    assert plain["urgency"] == "high"
    assert negated["urgency"] == "low"
    scores_broken = rules.scores("The lamp is broken.")["intent"]
    scores_not_broken = rules.scores("The lamp is not broken.")["intent"]
    assert scores_broken.get("complaint", 0) > 0
    assert scores_not_broken.get("complaint", 0) == 0
    # topic keeps negated mentions: "not broken" is still about quality
    assert rules.scores("The lamp is not broken.")["topic"].get("quality", 0) > 0


# -------------------------------------------------------- word boundaries
def _single_rule(phrase: str):
    return load_rules(
        [{"dimension": "topic", "label": "pricing", "phrase": phrase, "weight": 1}]
    )


@pytest.mark.parametrize(
    "phrase, text, hit",
    [
        ("cost", "What does shipping cost to Spain?", True),
        ("cost", "I ordered the costume in red.", False),
        ("rapist", "My therapist recommended the weighted blanket.", False),
        ("rapist", "Some rapist review text", True),
        ("refund", "Is this refundable?", False),
        ("refund*", "Is this refundable?", True),
        ("wash*", "It needs to be hand washed.", True),
        ("money back", "I want my money back!", True),
        ("money back", "money, back", False),
        ("rückerstattung", "Wann kommt die RUCKERSTATTUNG?", True),
        ("cafe", "Un CAFÉ délicieux", True),
    ],
)
def test_word_boundaries(phrase, text, hit):
    assert bool(_single_rule(phrase).scores(text)["topic"]) is hit


def test_project_rules_respect_boundaries(rules):
    assert "pricing" not in rules.scores("Love this costume, fits great")["topic"]
    assert rules.scores("What does it cost?")["topic"].get("pricing", 0) > 0


# ------------------------------------------------------------- redaction
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Reach me at jane.doe+shop@example.co.uk.", "Reach me at [EMAIL]."),
        ("Call (555) 123-4567 or 555-123-4567", "Call [PHONE] or [PHONE]"),
        ("My mobile is +44 7700 900123.", "My mobile is [PHONE]."),
        ("Ring +1 415 555 2671 or 555.123.4567", "Ring [PHONE] or [PHONE]"),
        ("Tel 020 7946 0958 / 06 12 34 56 78", "Tel [PHONE] / [PHONE]"),
        ("Handy: +49 30 1234567", "Handy: [PHONE]"),
        ("card 4111 1111 1111 1111 please", "card [CARD] please"),
        ("card 4111-1111-1111-1111", "card [CARD]"),
        ("amex 3782 822463 10005", "amex [CARD]"),
        ("card 4111111111111111 exp 04/27", "card [CARD] exp 04/27"),
        ("Ship to 221B Baker Street, London", "Ship to [ADDRESS], London"),
        ("new address: 42 Oak Lane, Bristol", "new address: [ADDRESS], Bristol"),
        ("send to 1600 Pennsylvania Ave NW, Apt 4", "send to [ADDRESS]"),
        ("it's 123 main st", "it's [ADDRESS]"),
        ("Livrer au 12 rue de la Paix, Paris", "Livrer au [ADDRESS], Paris"),
        ("Bitte an Hauptstraße 5 senden", "Bitte an [ADDRESS] senden"),
        ("Enviar a Calle Mayor 12, Madrid", "Enviar a [ADDRESS], Madrid"),
        ("Where is order #48213?", "Where is order [ORDER]?"),
        ("Cancel order 100234 please", "Cancel order [ORDER] please"),
        ("Order no. 55512 is late", "Order no. [ORDER] is late"),
        ("Any news on ORD-2024-88812?", "Any news on [ORDER]?"),
        ("Mi pedido 123456 no llegó", "Mi pedido [ORDER] no llegó"),
    ],
)
def test_redaction(raw, expected):
    assert redact(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "It was $1,234.50 last week and €24 now, or 1.234,56 € in the EU shop.",
        "Delivered 2024-03-15, promised for 15.03.2024 or 12 March 2025.",
        "We need 50 units, then I'd like to order 5000 units in 2025.",
        "Size 38, 250g bag, 1kg bag, 20% off, #1 fan, 2 weeks on the road.",
        "I need 12 place settings and 3 pairs, in 2023 and 2024.",
        "Tracking 9400 1000 0000 0000 0000 00 says in transit.",
        "Version 2.0.1 of the app, model X-200, call ext. 123.",
        "There was an order-related mix-up, sorry.",
    ],
)
def test_no_redaction(text):
    assert redact(text) == text


def test_redaction_counts_and_empty():
    result = redact_with_counts("a@b.io, a@b.io, #12345, (555) 123-4567")
    assert result.counts == Counter({"email": 2, "order": 1, "phone": 1})
    assert redact(None) == "" and redact("") == ""


def test_classifier_sees_only_redacted_text(rules):
    raw = "Refund please! I'm jo@example.com, +44 7700 900123, 12 Baker Street."
    row = classify_text(raw, rules, source="ticket")
    assert row["redacted_text"] == "Refund please! I'm [EMAIL], [PHONE], [ADDRESS]."
    assert "example.com" not in json.dumps(row)
    assert row["intent"] == "refund"


# ----------------------------------------------------- sentiment + action
def test_sentiment_thresholds_and_rating():
    assert sentiment("I absolutely love it, great quality!")[0] == "positive"
    assert sentiment("Terrible, it broke after a day.")[0] == "negative"
    assert sentiment("The parcel arrived on Tuesday.") == ("neutral", 0.0)
    assert sentiment("The parcel arrived on Tuesday.", 5)[0] == "positive"
    assert sentiment("The parcel arrived on Tuesday.", "1")[0] == "negative"
    assert sentiment("The parcel arrived on Tuesday.", 3)[0] == "neutral"
    assert sentiment("The parcel arrived.", 9)[0] == "neutral"  # bad rating


def test_rating_settles_mixed_texts_and_decisive_text_wins():
    # the stars are the customer's verdict: they decide a mixed or weak text
    mixed = "Lovely colour, but the zip broke."
    assert sentiment(mixed, 3)[0] == "neutral"
    assert sentiment(mixed, 4)[0] == "positive"
    assert sentiment(mixed, 2)[0] == "negative"
    assert sentiment("I like it.", 1)[0] == "negative"
    assert sentiment("Meh.", 5)[0] == "positive"
    # a one-sided, strong text beats a contrary rating (a mis-click)
    praise = "Absolutely love it, best purchase ever, thank you!"
    assert sentiment(praise, 1)[0] == "positive"
    assert sentiment("Arrived broken, total waste of money. Awful.", 5)[0] == (
        "negative"
    )
    # the score is the text's, never blended with the rating
    assert sentiment(praise, 1)[1] == sentiment(praise)[1] > 0


@pytest.mark.parametrize(
    "text, source, expected",
    [
        # a problem report is negative however politely it is put
        (
            "Hello, my parcel never arrived. Could you check? Thank you.",
            "ticket",
            "negative",
        ),
        (
            "Hi, I was charged twice for one order, please look into it.",
            "ticket",
            "negative",
        ),
        (
            "The teapot lid arrived cracked, can you send a new one?",
            "ticket",
            "negative",
        ),
        ("Still waiting for my order from last month.", "ticket", "negative"),
        (
            "You sent the wrong grinder, I ordered the electric one.",
            "ticket",
            "negative",
        ),
        # polite questions, requests and courtesy formulas are neutral
        (
            "Could you tell me whether the oolong is organic? Thanks!",
            "ticket",
            "neutral",
        ),
        (
            "Hi, I'd like to order two bags of the house blend. Kind regards, Jo",
            "ticket",
            "neutral",
        ),
        ("Is the travel mug leak proof?", "ticket", "neutral"),
        ("I'm still not sure which size to pick, can you advise?", "ticket", "neutral"),
        (
            "Please send me the care instructions for the linen shirt.",
            "ticket",
            "neutral",
        ),
        (
            "I ordered the blue one by accident, can I switch to green?",
            "ticket",
            "neutral",
        ),
        # praise, with or without a question
        (
            "The team was wonderful, thank you so much for the help!",
            "ticket",
            "positive",
        ),
        ("Lovely scarf! Do you also have it in grey?", "ticket", "positive"),
        # negated negatives say nothing bad; negated positives are negative
        (
            "The box was not damaged, I just want to change the colour.",
            "ticket",
            "neutral",
        ),
        ("Not sturdy at all.", "review", "negative"),
        ("Nicht zufrieden mit der Kanne.", "review", "negative"),
        # es / fr / de polarity words (VADER is English-only)
        ("Excelente calidad, lo recomiendo.", "review", "positive"),
        ("Produit décevant, emballage abîmé.", "review", "negative"),
        ("Leider kaputt angekommen.", "review", "negative"),
        ("Très bonne qualité.", "review", "positive"),
        ("No funciona y nadie responde.", "review", "negative"),
        ("Je ne recommande pas.", "review", "negative"),
        # shop praise VADER does not know
        ("Very sturdy and exactly as described.", "review", "positive"),
    ],
)
def test_sentiment_cases(text, source, expected, rules):
    assert sentiment(text, source=source, rules=rules)[0] == expected


def test_text_evidence_parts(rules):
    e = text_evidence("Hi. The kettle arrived broken.", rules, source="ticket")
    assert "-arrived broken" in e.matched and "-broken" not in e.matched  # longest
    assert e.cues < 0 and e.score < 0 and not e.mixed
    negated = text_evidence("It is not broken, just noisy.", rules, source="ticket")
    assert negated.cues == 0  # a negated problem is no evidence either way
    flipped = text_evidence("Nicht zufrieden.", rules, source="review")
    assert flipped.cues < 0 and flipped.matched == ("-not zufrieden",)
    complaint = text_evidence("This is unacceptable.", rules, source="ticket")
    assert complaint.intent < 0  # the phrase rules pick the complaint intent
    # positive cues inside a ticket question are a request, not praise
    asked = text_evidence("Is the frame sturdy?", rules, source="ticket")
    assert asked.cues == 0
    both = text_evidence("Lovely colour, but the zip broke.", rules, source="review")
    assert both.mixed


@pytest.mark.parametrize(
    "phrase_intent, sentiment_label, expected",
    [
        ("education", "positive", "other"),
        ("support", "negative", "complaint"),
        ("complaint", "neutral", "other"),
        (None, "negative", "complaint"),
        ("comparison", "positive", "comparison"),
        ("comparison", "negative", "complaint"),
        ("refund", "positive", "refund"),
    ],
)
def test_review_intent_follows_the_verdict(phrase_intent, sentiment_label, expected):
    assert review_intent(phrase_intent, sentiment_label) == expected


def test_review_intent_end_to_end(rules):
    def intent(text, rating):
        row = classify_text(text, rules, source="review", rating=rating)
        return row["intent"]

    assert intent("The how-to video made setup easy, works great.", 5) == "other"
    assert intent("Compared to my old kettle this one is noisy and leaks.", 2) == (
        "complaint"
    )
    assert intent("Compared to my old kettle this one boils much faster.", 5) == (
        "comparison"
    )
    assert intent("The lid broke, I want my money back.", 1) == "refund"


def test_sentiment_adjustments():
    # German "die"/"war" are English negative words: not applied to German text
    assert vader_compound("Sehr gute Qualität, aber der Versand war teuer.") == 0.0
    # a ticket's questions are not scored; a review's are
    question = "Is it worth the extra money? Do you recommend it?"
    assert vader_compound(question, source="ticket") == 0.0
    assert vader_compound(question, source="review") != 0.0
    # shop-sense words are neutral: "please cancel", "free shipping"
    assert vader_compound("Please cancel my order.") == 0.0


@pytest.mark.parametrize(
    "text, source, action",
    [
        ("This is unacceptable, I am contacting a lawyer.", "ticket", "escalate"),
        ("Thank you so much, great service!", "ticket", "request_review"),
        ("How do I descale the machine?", "ticket", "send_guide"),
        (
            "Do you have a student discount on the grinder price?",
            "ticket",
            "offer_discount",
        ),
        ("Where is my parcel? Tracking has not moved.", "ticket", "reply"),
        ("Lovely mug, great quality.", "review", "none"),
        ("Awful, it broke in a week.", "review", "reply"),
    ],
)
def test_recommended_action(text, source, action, rules):
    assert classify_text(text, rules, source=source)["recommended_action"] == action


# --------------------------------------------------------- API, versions
def test_classify_texts_accepts_arrow_and_duckdb(rules):
    table = pa.table(
        {
            "ticket_id": [101, 102],
            "subject": ["Refund", None],
            "body": ["I want my money back.", "How do I clean the grinder?"],
        }
    )
    out = classify_texts(table, rules, source="ticket", llm=None)
    assert tuple(out.column_names) == OUTPUT_COLUMNS
    assert out.column("id").to_pylist() == ["101", "102"]
    assert out.column("intent").to_pylist() == ["refund", "education"]
    assert set(out.column("classifier").to_pylist()) == {"rules"}
    assert set(out.column("classifier_version").to_pylist()) == {rules.version}
    relation = duckdb.sql(
        "select 'r1' as review_id, 'Great jacket' as body, 5 as rating"
    )
    reviews = classify_texts(relation, rules, source="review", llm=None)
    assert reviews.to_pylist()[0]["sentiment"] == "positive"
    assert stats_of(reviews)["by_classifier"] == {"rules": 1}
    with pytest.raises(ValueError):
        classify_texts([{"id": 1, "body": "x"}], rules, source="email", llm=None)
    assert classify_texts([], rules, source="ticket", llm=None).num_rows == 0


def test_repeated_texts_classify_as_each_row_alone(rules):
    """classify_texts classifies each distinct (redacted text, star rating) once
    and points the repeats at that result. No row may notice: every row of a
    table full of repeats equals that row classified alone, with and without
    ratings, from Python rows and from Arrow."""
    mixed = "Arrived a day late, product itself is fine."
    bodies = [
        mixed,
        "Love it, best purchase ever, thank you!",
        "Order #48213 arrived broken, I want my money back.",
        "Order #90117 arrived broken, I want my money back.",  # same once redacted
        "Call me on +44 7700 900123 about the refund.",
        None,
    ]
    ratings = [1, 5, 3, None, "4", 4.6, 2, "", "x", 0, 7]
    reviews = [
        {"id": f"r{i}", "body": bodies[i % len(bodies)], "rating": ratings[i % 11]}
        for i in range(66)
    ]
    tickets = [
        {"id": i, "subject": subject, "body": body}
        for i, (subject, body) in enumerate(
            [("Refund", b) for b in bodies] * 3 + [(None, b) for b in bodies] * 2
        )
    ]
    cases = [("review", reviews, True), ("review", reviews, False)]
    cases += [("ticket", tickets, True)]
    for source, rows, use_rating in cases:
        kw = {"source": source, "llm": None, "use_rating": use_rating}
        together = classify_texts(rows, rules, **kw)
        for row, got in zip(rows, together.to_pylist(), strict=True):
            alone = classify_texts([row], rules, **kw).to_pylist()
            assert [got] == alone, row
        distinct = {(r["redacted_text"], r["sentiment"]) for r in together.to_pylist()}
        assert len(distinct) < len(rows)  # the repeats were there to be reused
    # the rating is part of the key: the same text gets different verdicts
    verdicts = {
        r["sentiment"]
        for r in classify_texts(reviews, rules, source="review", llm=None).to_pylist()
        if r["redacted_text"] == mixed
    }
    assert verdicts == {"positive", "neutral", "negative"}
    # an Arrow table (read by column) gives the rows a list of dicts gives
    clean = [r for r in reviews if r["rating"] is None or isinstance(r["rating"], int)]
    kw = {"source": "review", "llm": None}
    arrow = classify_texts(pa.Table.from_pylist(clean), rules, **kw)
    assert arrow.to_pylist() == classify_texts(clean, rules, **kw).to_pylist()


def _seed_rows(name: str) -> list[dict]:
    path = DEFAULT_SEEDS_DIR / SEED_FILES[name]
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_classifier_version_tracks_rule_contents(tmp_path, rules):
    rows = _seed_rows("rules")
    same = load_rules(pa.Table.from_pylist(rows))  # as dbt.ref() would pass it
    assert same.version == rules.version
    assert load_rules(list(reversed(rows))).version == rules.version  # order-free
    edited = [dict(r) for r in rows]
    edited[0]["weight"] = str(float(edited[0]["weight"]) + 1)
    assert load_rules(edited).version != rules.version
    csv_path = tmp_path / "text_rules.csv"
    with open(csv_path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows + [{**rows[0], "phrase": "brand new phrase"}])
    assert load_rules(csv_path).version != rules.version
    actions = _seed_rows("actions")
    actions[-1]["action"] = "reply"
    assert load_rules(actions=actions).version != rules.version
    out = classify_texts(
        [{"id": 1, "body": "hi"}], load_rules(edited), source="ticket", llm=None
    )
    assert out.column("classifier_version")[0].as_py() != rules.version


def test_sentiment_cue_seed_default_explicit_and_versioned(rules):
    cues = _seed_rows("sentiment_cues")
    # as the dbt model passes it: dbt.ref("text_sentiment_cues")
    assert load_rules(sentiment_cues=pa.Table.from_pylist(cues)).version == (
        rules.version
    )
    # a caller that passes only the first three seeds gets the project's cues
    three = load_rules(
        pa.Table.from_pylist(_seed_rows("rules")),
        _seed_rows("negation"),
        _seed_rows("actions"),
    )
    assert three.version == rules.version and len(three.cues) == len(cues)
    edited = [dict(r) for r in cues]
    first_scored = next(r for r in edited if r["kind"] == "negative")
    first_scored["weight"] = str(float(first_scored["weight"]) + 1)
    assert load_rules(sentiment_cues=edited).version != rules.version
    # the seed drives the classifier: without the cue the word says nothing
    assert sentiment("Excelente.", rules=rules)[0] == "positive"
    without = load_rules(sentiment_cues=[r for r in cues if r["phrase"] != "excelente"])
    assert sentiment("Excelente.", rules=without)[0] == "neutral"


@pytest.mark.parametrize(
    "rows, message",
    [
        ([{"kind": "happy", "phrase": "x", "weight": 1}], "row 1.*kind"),
        ([{"kind": "positive", "phrase": " ", "weight": 1}], "row 1.*empty"),
        ([{"kind": "negative", "phrase": "x", "weight": 0}], "row 1.*positive"),
        ([{"kind": "negative", "phrase": "x", "weight": "lots"}], "row 1.*number"),
        (
            [
                {"kind": "positive", "phrase": "Génial", "weight": 1},
                {"kind": "negative", "phrase": "genial", "weight": 1},
            ],
            "row 2.*already listed",
        ),
    ],
)
def test_invalid_cue_rows_are_rejected(rows, message):
    with pytest.raises(ValueError, match=f"text_sentiment_cues {message}"):
        load_rules(sentiment_cues=rows)


@pytest.mark.parametrize(
    "row",
    [
        {"dimension": "mood", "label": "other", "phrase": "x", "weight": 1},
        {"dimension": "intent", "label": "angry", "phrase": "x", "weight": 1},
        {"dimension": "intent", "label": "other", "phrase": "  ", "weight": 1},
        {"dimension": "intent", "label": "other", "phrase": "x", "weight": "lots"},
    ],
)
def test_invalid_rule_rows_are_rejected(row):
    with pytest.raises(ValueError, match="text_rules row 1"):
        load_rules([row])


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
