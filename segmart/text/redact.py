"""PII redaction for free text (support tickets, reviews).

Every classifier (rules and LLM) sees only the output of :func:`redact`, and the
``redacted_text`` column is the only copy of the text that leaves a classified row.

What is replaced, in this order (earlier kinds win where patterns overlap):

==============  ==========================================================
``[EMAIL]``     ``name@domain.tld``
``[CARD]``      13-19 digits, optionally grouped by single spaces or dashes,
                not part of a longer digit run (so long tracking numbers stay)
``[ORDER]``     ``#1234`` (3+ digits), ``ORD-...`` ids, and the number after
                ``order`` / ``order no.`` / ``pedido`` / ``commande`` /
                ``Bestellung`` (4+ digits; the word itself is kept so the text
                still reads "my order [ORDER]"); not when followed by a unit
                ("order 5000 units")
``[PHONE]``     ``+<country> ...`` / ``00<country> ...`` with 8-15 digits;
                US ``(555) 123-4567``, ``555-123-4567``, ``555.123.4567``,
                ``+1 555 123 4567``; national numbers starting with ``0``
                (``020 7946 0958``, ``07700 900123``, ``06 12 34 56 78``)
``[ADDRESS]``   house number + street name + suffix (``12 Baker Street``,
                ``42 Oak Lane``, ``123 main st``), optional ``Apt/Suite/Unit``;
                ``12 rue de la Paix``; ``Hauptstraße 5``; ``Calle Mayor 12``
==============  ==========================================================

Deliberately *not* redacted: prices (``$1,234.50``, ``€24``), dates
(``2024-03-15``, ``15.03.2024``, ``12 March 2025``), quantities (``50 units``),
years, sizes, percentages and product codes. Personal names and postcodes are not
detected (see the module tests for the exact behaviour).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["PLACEHOLDERS", "Redaction", "redact", "redact_with_counts"]

PLACEHOLDERS: dict[str, str] = {
    "email": "[EMAIL]",
    "card": "[CARD]",
    "order": "[ORDER]",
    "phone": "[PHONE]",
    "address": "[ADDRESS]",
}

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"
)

# 13-19 digits: one run, groups of four (4-4-4-4, 4-4-4-4-3, ...) or Amex 4-6-5;
# never part of a longer digit run (so long tracking numbers stay readable).
_CARD = re.compile(
    r"(?<![\d])(?<!\d[ -])"
    r"(?:\d{13,19}|(?:\d{4}[ -]){3}\d{1,4}(?:[ -]\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{4,5})"
    r"(?![ -]?\d)"
)

_UNITS = (
    r"units?|pcs|pieces?|items?|bags?|boxes|box|packs?|cases?|bottles?|cups?|"
    r"kg|g|grams?|lbs?|oz|ml|l|litres?|liters?|x\b"
)
_ORDER_HASH = re.compile(r"(?<![\w&])#\s?\d{3,}\b")
_ORDER_ID = re.compile(r"\bORD(?:ER)?[-_]?(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]*\b")
_ORDER_WORD = re.compile(
    r"(?P<word>\b(?:order|pedido|commande|bestellung|bestellnummer)\b"
    r"(?:\s*(?:no\.?|nr\.?|number|num|n°|n\.?º?|id|ref(?:erence)?))?"
    r"\s*[:#]?\s*)"
    r"(?P<num>[A-Z]{0,3}\d{4,}(?:-\d+)?)\b"
    rf"(?!\s*(?:{_UNITS})\b)",
    re.IGNORECASE,
)

# A phone number is not glued to a word, a currency sign, a decimal point or
# another digit group (so prices, dates and long tracking numbers stay).
_NOT_AFTER = r"(?<![\w$€£.,/-])(?<!\d[ .-])"
_NOT_BEFORE = r"(?![\w.,/-]?\d)(?! \d)"
_PHONE_PATTERNS = [
    # International: +44 7700 900123, +1 (555) 123-4567, 0049 30 1234567
    re.compile(
        r"(?<![\w+.,])(?<!\d[ .-])(?:\+|00)[1-9]\d{0,2}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?"
        r"\d{1,5}(?:[ .\-]?\d{1,5}){1,5}(?![\w])"
    ),
    # US: (555) 123-4567, 555-123-4567, 555.123.4567, 1-555-123-4567
    re.compile(
        rf"{_NOT_AFTER}(?:1[ .\-])?(?:\(\d{{3}}\)\s?|\d{{3}}[ .\-])\d{{3}}[ .\-]\d{{4}}"
        rf"{_NOT_BEFORE}"
    ),
    # National numbers with a trunk 0: 020 7946 0958, 07700 900123, 030 1234567
    re.compile(rf"{_NOT_AFTER}0\d{{1,4}}[ \-]\d{{3,4}}[ \-]?\d{{3,4}}{_NOT_BEFORE}"),
    # French style pairs: 06 12 34 56 78
    re.compile(rf"{_NOT_AFTER}0\d(?:[ .]\d{{2}}){{4}}{_NOT_BEFORE}"),
    # Bare 10-11 digit runs (5551234567); orders and cards were taken before.
    re.compile(rf"{_NOT_AFTER}(?:\+?1)?\d{{10}}{_NOT_BEFORE}"),
]
_PHONE_DIGITS = (8, 15)

_STREET_WORD = (
    r"Street|Avenue|Road|Boulevard|Lane|Drive|Court|Way|Place|Terrace|Close|"
    r"Crescent|Parkway|Highway|Square"
)
_STREET_ABBR = r"St|Ave|Rd|Blvd|Ln|Dr|Ct|Pl|Pkwy|Hwy|Sq"
# The full word ends at a word boundary; an abbreviation may carry its dot.
_STREET_SUFFIX = rf"(?:(?:{_STREET_WORD})\b|(?:{_STREET_ABBR})\b\.?)"
_UNIT = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|#)\.?\s*[\w-]+)?"
_ADDRESS_PATTERNS = [
    # 12 Baker Street, 221B Baker St., 1600 Pennsylvania Avenue NW, Apt 4
    re.compile(
        r"\b\d{1,6}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){1,4}"
        rf"{_STREET_SUFFIX}(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?{_UNIT}"
    ),
    # all lower case, abbreviated suffix only: 123 main st, 9 elm rd
    re.compile(
        r"\b\d{1,6}[a-z]?\s+(?:[a-z][a-z'-]+\s+){1,2}"
        rf"(?:st|ave|rd|blvd|ln|dr)\b\.?{_UNIT}"
    ),
    # French: 12 rue de la Paix, 3 bis avenue Victor Hugo
    re.compile(
        r"\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:[Rr]ue|[Aa]venue|[Bb]oulevard|[Bb]d|"
        r"[Cc]hemin|[Aa]ll[ée]e|[Pp]lace|[Ii]mpasse|[Qq]uai)"
        r"(?:\s+(?:de|du|des|la|le|l'|d')){0,2}\s*[A-ZÉÈÀ][\w'-]*"
        r"(?:\s(?:de|du|des|la|le|[A-ZÉÈÀ][\w'-]*))*"
    ),
    # German: Hauptstraße 5, Lindenweg 12a, Berliner Allee 3
    re.compile(
        r"\b(?:[A-ZÄÖÜ][\wäöüß-]*\s)?(?:[A-ZÄÖÜ][a-zäöüß-]*"
        r"(?:straße|strasse|str\.|weg|allee|platz|gasse)|Straße|Strasse|Allee|Platz)"
        r"\s+\d{1,4}[a-z]?\b"
    ),
    # Spanish: Calle Mayor 12, Avenida de la Paz, 5
    re.compile(
        r"\b(?:[Cc]alle|[Aa]venida|[Aa]vda\.|[Pp]aseo|[Pp]laza|[Cc]/)\s*"
        r"(?:(?:de|del|la|las|los)\s)*[A-ZÁÉÍÓÚÑ][\w'-]*(?:\s[\w'-]+){0,3}?,?\s+"
        r"(?:n[º°o]\.?\s*)?\d{1,4}\b"
    ),
]


#: Every pattern above needs a digit (\d, Unicode category Nd), except _EMAIL,
#: which needs an "@".
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Redaction:
    """The redacted text and how many of each PII kind were replaced."""

    text: str
    counts: Counter[str] = field(default_factory=Counter)


def _digits(s: str) -> int:
    return sum(ch.isdigit() for ch in s)


def redact_with_counts(text: str | None) -> Redaction:
    """Redact PII from ``text`` and report the number of replacements per kind.

    ``None`` becomes the empty string. The function is pure and deterministic.
    """
    if not text:
        return Redaction("", Counter())
    if "@" not in text and not _DIGIT.search(text):
        return Redaction(text, Counter())  # every pattern needs an @ or a digit
    counts: Counter[str] = Counter()

    def sub(pattern: re.Pattern[str], kind: str, s: str, check=None) -> str:
        def repl(m: re.Match[str]) -> str:
            if check is not None and not check(m):
                return m.group(0)
            counts[kind] += 1
            return PLACEHOLDERS[kind]

        return pattern.sub(repl, s)

    # A pattern that cannot match is skipped (same result, less time): it needs
    # an "@", a "#", "ORD" or at least so many digits. Replacements only remove
    # digits, so the count taken after the emails bounds every later step.
    out = sub(_EMAIL, "email", text) if "@" in text else text
    digits = len(_DIGIT.findall(out))
    if digits >= 13:
        out = sub(_CARD, "card", out)
    if "ORD" in out:
        out = sub(_ORDER_ID, "order", out)
    if "#" in out:
        out = sub(_ORDER_HASH, "order", out)

    def order_word(m: re.Match[str]) -> str:
        counts["order"] += 1
        return m.group("word") + PLACEHOLDERS["order"]

    if digits >= 4:
        out = _ORDER_WORD.sub(order_word, out)
    if counts:  # recount: the card or order ids often held all the digits
        digits = len(_DIGIT.findall(out))
    lo, hi = _PHONE_DIGITS
    if digits >= lo:
        for pattern in _PHONE_PATTERNS:
            out = sub(pattern, "phone", out, lambda m: lo <= _digits(m.group(0)) <= hi)
    if digits:
        for pattern in _ADDRESS_PATTERNS:
            out = sub(pattern, "address", out)
    return Redaction(out, counts)


def redact(text: str | None) -> str:
    """Return ``text`` with emails, cards, order ids, phones and addresses replaced.

    >>> redact("Mail me at jo@example.com or call (555) 123-4567")
    'Mail me at [EMAIL] or call [PHONE]'
    """
    return redact_with_counts(text).text
