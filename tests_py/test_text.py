"""Tests of segmart.text: redaction, rules, the classification API, accuracy.

Sentiment and the recommended action are tested in test_text_sentiment.py, the
LLM path in test_text_llm.py.

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
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from segmart.text import (
    LABELS,
    OUTPUT_COLUMNS,
    classify_text,
    classify_texts,
    load_rules,
    redact,
    redact_with_counts,
    stats_of,
)
from segmart.text.rules import DEFAULT_SEEDS_DIR, SEED_FILES, tokenize
from segmart.text.sentiment import sentiment

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
