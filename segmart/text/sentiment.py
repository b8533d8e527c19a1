"""Sentiment polarity: VADER plus shop evidence from the rule seeds, then the rating.

What the polarity means (the labelling convention of the test fixtures): the
customer's overall stance toward the shop, its products and service.

* ``negative``: dissatisfaction, or a report that something the shop sold or did
  went wrong (broken, faulty, wrong, missing, late, double-charged ...), however
  politely it is put and whatever remedy is asked for;
* ``positive``: praise, thanks or satisfaction is the verdict (a question added to
  praise does not cancel it);
* ``neutral``: questions, requests and routine changes, returns for fit or taste,
  problems the customer calls resolved or harmless, balanced verdicts.

How it is computed (:func:`text_evidence`), every part documented and every word
list in the ``text_sentiment_cues`` seed, not in this module:

1. **VADER** (vaderSentiment, offline, ships its lexicon) compound in [-1, 1] on the
   text with three adjustments that only *remove* evidence:

   a. ``neutral`` cues: a one-word cue is dropped from VADER's lexicon because in a
      shop it names an operation or a product ("please cancel", "free shipping",
      "gift", "charged"; VADER still uses "no" as a negator); a multi-word cue is
      masked from the text ("I'd like to order", "by accident", "for the trouble").
   b. In a *ticket*, sentences ending in ``?`` are not scored: they ask for
      something ("Is the Pro worth the extra $60?"); nor is a sentence that is
      only a ``closing`` cue, optionally followed by one word, the sender's name
      ("Thanks!", "Kind regards, Sam"): courtesy, not praise.
      Reviews are scored whole.
   c. Text that reads as Spanish, French or German (:func:`looks_non_english`)
      gets 0.0 from VADER instead of English false friends (German "die", "war").

2. **Cues**: each ``positive`` / ``negative`` cue found adds / subtracts its weight
   (1 = clear, 0.5 = weak). They carry what VADER misses: problem reports
   ("arrived broken", "never arrived", "still waiting", "wrong item", "charged
   twice"), shop praise ("sturdy", "as described") and es/fr/de polarity words
   ("excelente", "roto", "décevant", "enttäuscht"). A multi-word ``neutral`` cue
   scores nothing but hides the cues it overlaps ("still not sure" is no "still
   not", "leak proof" no "leak"). Negation uses the
   ``text_negation`` seed: a negated negative cue counts for nothing ("not
   broken"), a negated positive cue counts as negative ("nicht zufrieden"). In a
   ticket, positive cues inside a question do not count ("is it sturdy?"); negative
   ones do ("why has it still not arrived?" reports a problem).

3. **Intent**: when the phrase rules alone pick ``complaint`` as the intent, add
   :data:`INTENT_EVIDENCE` (-1). Refund and return requests add nothing by
   themselves: a return for fit is routine; the fault behind a refund is what the
   problem cues catch.

The text score is the sum clipped to [-1, 1] (rounded to 4 decimals); it is the
``sentiment_score`` column. Its polarity (:func:`polarity`) uses
:data:`THRESHOLDS` by source: a review is an opinion, so VADER's own ±0.05 apply;
a ticket is a request whose polite wording nudges VADER ("thanks", "great, and
...") so it needs ±0.35, i.e. at least one clear cue or clearly emotional wording.

4. **Rating** (reviews, 1-5 stars, :func:`with_rating`): the star rating is the
   customer's own verdict: 4-5 positive, 1-2 negative, 3 neutral, and it settles
   mixed texts ("Arrived a day late, product itself is fine", 3 stars, is
   neutral). The text overrides a contrary rating only when it is one-sided (no
   evidence of the other polarity, :attr:`Evidence.mixed` is false) *and* strong
   (|score| >= :data:`RATING_OVERRIDE`): a 1-star "Absolutely love it, best
   purchase ever, thank you!" is a mis-click. The score stays the text's; it is
   never blended with the rating.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from segmart.text.rules import pick_label, tokenize

if TYPE_CHECKING:
    from segmart.text.rules import RuleSet

__all__ = [
    "INTENT_EVIDENCE",
    "NEGATIVE_THRESHOLD",
    "POSITIVE_THRESHOLD",
    "RATING_OVERRIDE",
    "THRESHOLDS",
    "Evidence",
    "looks_non_english",
    "polarity",
    "rating_polarity",
    "sentiment",
    "text_evidence",
    "vader_compound",
    "with_rating",
]

#: VADER's recommended thresholds; used for reviews.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
#: (positive, negative) thresholds on the text score, by source (see module doc).
THRESHOLDS: dict[str, tuple[float, float]] = {
    "review": (POSITIVE_THRESHOLD, NEGATIVE_THRESHOLD),
    "ticket": (0.35, -0.35),
}
#: Added to the text score when the phrase rules pick this intent.
INTENT_EVIDENCE: dict[str, float] = {"complaint": -1.0}
#: Text evidence at least this strong overrides a contrary star rating.
RATING_OVERRIDE = 0.8

_FUNCTION_WORDS = {
    "en": frozenset(
        "the a an and or but i you it is was are my your this that to of for in on "
        "with have has be do does did not no can will would at me we they just so if "
        "am".split()
    ),
    "es": frozenset(
        "el la los las de que y en un una es por para con no muy pero mi me lo al "
        "del se su estaba llego".split()
    ),
    "fr": frozenset(
        "le la les de des du et est un une je pas pour que qui en au avec ne ce mais "
        "tres ai suis".split()
    ),
    "de": frozenset(
        "der die das und ist nicht ein eine ich mit auf den dem zu es sehr aber hat "
        "war fur keine nur".split()
    ),
}
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_SENTENCE_END = frozenset(".!?")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_UNSET = object()


@dataclass(frozen=True)
class Evidence:
    """The parts of a text's sentiment score (see the module doc).

    ``mixed`` is true when the text has evidence of both polarities: VADER found
    positive and negative words, or cues / intent point the other way.
    """

    score: float
    vader: float
    cues: float
    intent: float
    matched: tuple[str, ...] = ()
    mixed: bool = False


@cache
def _default_rules() -> RuleSet:
    from segmart.text.rules import load_rules

    return load_rules()


@lru_cache(maxsize=8)
def _analyzer(neutral_words: frozenset[str]) -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    for word in neutral_words:
        analyzer.lexicon.pop(word, None)
    return analyzer


@lru_cache(maxsize=8)
def _mask_pattern(phrases: tuple[tuple[str, ...], ...]) -> re.Pattern[str] | None:
    if not phrases:
        return None

    def token(t: str) -> str:
        return re.escape(t[:-1]) + r"\w*" if t.endswith("*") else re.escape(t)

    alternatives = sorted(
        (r"\s+".join(token(t) for t in p) for p in phrases), key=len, reverse=True
    )
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.I)


def __getattr__(name: str) -> frozenset[str]:
    # Backward compatibility: the neutral words used to be a constant here; they
    # are now the one-word ``neutral`` rows of the text_sentiment_cues seed.
    if name == "DOMAIN_NEUTRAL":
        return _default_rules().neutral_words
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def looks_non_english(text: str) -> bool:
    """True when Spanish, French or German function words outnumber English ones
    (and there are at least two of them)."""
    folded = text.casefold()
    if not folded.isascii():  # on ASCII, NFKD changes nothing and strips nothing
        folded = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = _WORD.findall(folded)
    english = sum(w in _FUNCTION_WORDS["en"] for w in words)
    foreign = max(
        sum(w in vocab for w in words)
        for lang, vocab in _FUNCTION_WORDS.items()
        if lang != "en"
    )
    return foreign >= 2 and foreign > english


def vader_compound(
    text: str | None, *, source: str = "review", rules: RuleSet | None = None
) -> float:
    """Adjusted VADER compound of ``text`` (module doc, step 1), 4 decimals.

    ``rules`` supplies the ``neutral`` cues (default: the project seeds).
    """
    return _vader(text, source, rules)["compound"]


def _vader(text: str | None, source: str, rules: RuleSet | None) -> dict[str, float]:
    """VADER's scores (compound rounded to 4 decimals) after the step-1 adjustments."""
    nothing = {"compound": 0.0, "pos": 0.0, "neg": 0.0, "neu": 1.0}
    if not text or not text.strip() or looks_non_english(text):
        return nothing
    rules = rules if rules is not None else _default_rules()
    text = text.translate(_QUOTES)
    if source == "ticket":
        statements = [
            s
            for s in _SENTENCE.split(text.strip())
            if not s.rstrip().endswith("?") and not _is_closing(s, rules.closings)
        ]
        text = " ".join(statements)
    pattern = _mask_pattern(rules.neutral_phrases)
    if pattern is not None:
        text = pattern.sub(" ", text)
    if not text.strip():
        return nothing
    scores = dict(_analyzer(rules.neutral_words).polarity_scores(text))
    scores["compound"] = round(float(scores["compound"]), 4)
    return scores


def _is_closing(sentence: str, closings: frozenset[tuple[str, ...]]) -> bool:
    """True when the sentence's words are a closing formula plus at most one word."""
    words = tuple(t for t in tokenize(sentence) if t[0].isalnum())
    return words in closings or (len(words) > 1 and words[:-1] in closings)


def _question_positions(tokens: Sequence[str]) -> set[int]:
    """Token positions inside sentences that end with ``?``."""
    inside: set[int] = set()
    sentence: list[int] = []
    for i, token in enumerate(tokens):
        sentence.append(i)
        if token in _SENTENCE_END:
            if token == "?":
                inside.update(sentence)
            sentence = []
    return inside


def text_evidence(
    text: str | None,
    rules: RuleSet | None = None,
    *,
    source: str = "review",
    intent: str | None | object = _UNSET,
) -> Evidence:
    """The text's sentiment evidence (module doc, steps 1-3).

    ``intent`` is the intent the phrase rules picked (``None`` when none matched);
    when not given it is computed from ``rules``.
    """
    rules = rules if rules is not None else _default_rules()
    scores = _vader(text, source, rules)
    vader = scores["compound"]
    has_positive, has_negative = scores["pos"] > 0, scores["neg"] > 0
    tokens = tokenize(text)
    questions = _question_positions(tokens) if source == "ticket" else set()
    cue_total = 0.0
    matched: list[str] = []
    counted: set[tuple[str, ...]] = set()
    for m in rules.cue_matches(tokens):
        cue = m.rule
        if cue.label == "neutral" or cue.tokens in counted:
            continue
        if cue.label == "positive" and m.start in questions:
            continue
        counted.add(cue.tokens)
        if cue.label == "negative":
            if m.negated:  # "not broken": no evidence either way
                continue
            cue_total -= cue.weight
            has_negative = True
            matched.append(f"-{cue.phrase}")
        elif m.negated:  # "nicht zufrieden": a negated positive is negative
            cue_total -= cue.weight
            has_negative = True
            matched.append(f"-not {cue.phrase}")
        else:
            cue_total += cue.weight
            has_positive = True
            matched.append(f"+{cue.phrase}")
    if intent is _UNSET:
        intent = pick_label("intent", rules.scores(tokens)["intent"])
    intent_part = INTENT_EVIDENCE.get(intent, 0.0) if isinstance(intent, str) else 0.0
    has_positive |= intent_part > 0
    has_negative |= intent_part < 0
    total = max(-1.0, min(1.0, vader + cue_total + intent_part))
    return Evidence(
        score=round(total, 4),
        vader=vader,
        cues=cue_total,
        intent=intent_part,
        matched=tuple(matched),
        mixed=has_positive and has_negative,
    )


def polarity(score: float, source: str = "review") -> str:
    """Map a text score to a polarity using :data:`THRESHOLDS` of ``source``."""
    positive, negative = THRESHOLDS.get(source, THRESHOLDS["review"])
    if score >= positive:
        return "positive"
    if score <= negative:
        return "negative"
    return "neutral"


def _stars(rating: object) -> int | None:
    if rating is None or rating == "" or isinstance(rating, bool):
        return None
    try:
        value = round(float(rating))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return value if 1 <= value <= 5 else None


def rating_polarity(rating: object) -> str:
    """Polarity of a 1-5 rating: 4-5 positive, 1-2 negative, else neutral."""
    stars = _stars(rating)
    if stars is None or stars == 3:
        return "neutral"
    return "positive" if stars >= 4 else "negative"


def with_rating(
    label: str, score: float, rating: object, *, mixed: bool = False
) -> str:
    """Combine a text polarity with a star rating (module doc, step 4).

    No valid rating: the text label. Otherwise the rating's polarity, unless the
    text is one-sided (not ``mixed``) with |score| >= :data:`RATING_OVERRIDE`.
    """
    if _stars(rating) is None:
        return label
    if label != "neutral" and not mixed and abs(score) >= RATING_OVERRIDE:
        return label
    return rating_polarity(rating)


def sentiment(
    text: str | None,
    rating: object = None,
    *,
    source: str = "review",
    rules: RuleSet | None = None,
) -> tuple[str, float]:
    """Return ``(polarity, text score)`` of ``text``, combined with a 1-5 ``rating``.

    ``rating`` may be an int, a numeric string or ``None``; values outside 1-5 are
    ignored. ``source`` is ``ticket`` or ``review`` (see the module doc). ``rules``
    supplies the cue, negation and intent seeds (default: the project seeds).
    """
    evidence = text_evidence(text, rules, source=source)
    label = polarity(evidence.score, source)
    label = with_rating(label, evidence.score, rating, mixed=evidence.mixed)
    return label, evidence.score
