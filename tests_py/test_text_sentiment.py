"""Tests of segmart.text: sentiment, review intent and the recommended action.

The labelling convention, and the accuracy on the labelled sets, are in
test_text.py.
"""

from __future__ import annotations

import pytest

from segmart.text import classify_text
from segmart.text.classify import review_intent
from segmart.text.sentiment import sentiment, text_evidence, vader_compound
from tests_py import test_text

# test_text's rules, loaded once for this module too (module scope)
rules = test_text.rules


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
