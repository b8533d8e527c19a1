"""Normalising and hashing contact data for audience files.

The ad platforms match SHA-256 hashes of normalised identifiers, so the hash is
only useful when the normalisation is exactly theirs (sources in DECISIONS.md):

- email: trim, lower-case (both). Google also asks to drop the dots of the local
  part of gmail.com / googlemail.com addresses (:func:`google_email`).
- phone: E.164 ("+14155550123"). Google hashes the E.164 text with its "+";
  Meta hashes the digits only, country code included, no "+" ("14155550123").
- names: Meta: lower-case, no punctuation (letters of any script kept, UTF-8);
  Google: trimmed, lower-cased.
- country: ISO 3166-1 alpha-2. Meta hashes it lower-cased; Google sends it as is.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

#: ISO 3166-1 alpha-2 -> international calling code (ITU-T E.164 assignments)
#: for the countries shops most often sell to. A phone in national format whose
#: country is not listed cannot be made E.164 and is left out (never guessed).
CALLING_CODES: dict[str, str] = {
    "US": "1", "CA": "1", "PR": "1", "GB": "44", "IE": "353", "FR": "33",
    "DE": "49", "AT": "43", "CH": "41", "BE": "32", "NL": "31", "LU": "352",
    "IT": "39", "ES": "34", "PT": "351", "DK": "45", "SE": "46", "NO": "47",
    "FI": "358", "IS": "354", "PL": "48", "CZ": "420", "SK": "421", "HU": "36",
    "SI": "386", "HR": "385", "RO": "40", "BG": "359", "GR": "30", "CY": "357",
    "MT": "356", "EE": "372", "LV": "371", "LT": "370", "TR": "90", "IL": "972",
    "AE": "971", "SA": "966", "ZA": "27", "NG": "234", "KE": "254", "EG": "20",
    "IN": "91", "PK": "92", "SG": "65", "MY": "60", "TH": "66", "PH": "63",
    "ID": "62", "VN": "84", "CN": "86", "HK": "852", "TW": "886", "JP": "81",
    "KR": "82", "AU": "61", "NZ": "64", "MX": "52", "BR": "55", "AR": "54",
    "CL": "56", "CO": "57", "PE": "51",
}  # fmt: skip

#: Countries whose leading 0 is part of the number (not a trunk prefix).
KEEP_LEADING_ZERO = frozenset({"IT", "SM", "VA"})

#: Country names exports write instead of codes (Klaviyo, HubSpot), by name.
COUNTRY_NAMES: dict[str, str] = {
    "united states": "US", "united states of america": "US", "usa": "US",
    "canada": "CA", "united kingdom": "GB", "great britain": "GB", "uk": "GB",
    "england": "GB", "scotland": "GB", "wales": "GB", "ireland": "IE",
    "france": "FR", "germany": "DE", "deutschland": "DE", "austria": "AT",
    "switzerland": "CH", "belgium": "BE", "netherlands": "NL",
    "the netherlands": "NL", "italy": "IT", "spain": "ES", "portugal": "PT",
    "denmark": "DK", "sweden": "SE", "norway": "NO", "finland": "FI",
    "poland": "PL", "czechia": "CZ", "czech republic": "CZ", "croatia": "HR",
    "greece": "GR", "australia": "AU", "new zealand": "NZ", "japan": "JP",
    "india": "IN", "singapore": "SG", "mexico": "MX", "brazil": "BR",
    "south africa": "ZA", "israel": "IL", "united arab emirates": "AE",
}  # fmt: skip

_EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*\d+\s*$", re.IGNORECASE)


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 text, lower-case hex (what every platform expects)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_email(email: str | None) -> str:
    """Trimmed and lower-cased; '' unless it looks like local@domain."""
    text = (email or "").strip().lower()
    if text.count("@") != 1 or " " in text:
        return ""
    local, domain = text.split("@")
    return text if local and "." in domain.strip(".") else ""


def google_email(email: str | None) -> str:
    """Google's normal form: :func:`normalise_email`, and for gmail.com and
    googlemail.com addresses the dots of the local part removed."""
    text = normalise_email(email)
    if not text:
        return ""
    local, domain = text.split("@")
    if domain in ("gmail.com", "googlemail.com"):
        local = local.replace(".", "")
    return f"{local}@{domain}"


def country_code(country: str | None) -> str:
    """An ISO 3166-1 alpha-2 code from a code or a common English name ('' when
    unknown)."""
    text = (country or "").strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return COUNTRY_NAMES.get(" ".join(text.lower().split()), "")


def e164(phone: str | None, country: str | None = None) -> str:
    """A phone number in E.164 ("+<country code><number>"), or '' when it cannot
    be made one without guessing.

    International forms are kept ("+44 20 7946 0958", "0044 20 7946 0958", and
    "011 44 ..." for North American numbers). A national number ("(415) 555-0123",
    "0151 2345 6789") takes the calling code of `country` (a code or a name) and
    loses its trunk 0 (kept for Italy). An extension is dropped. The result must
    have 8 to 15 digits (11 for North American numbers, country code 1).
    """
    text = _EXTENSION.sub("", (phone or "").strip())
    if not text:
        return ""
    digits = re.sub(r"\D", "", text)
    code = country_code(country)
    if text.startswith("+"):
        number = digits
    elif digits.startswith("00"):
        number = digits[2:]
    elif digits.startswith("011") and CALLING_CODES.get(code) == "1":
        number = digits[3:]
    else:
        calling = CALLING_CODES.get(code)
        if calling is None:
            return ""
        if calling == "1" and len(digits) == 11 and digits.startswith("1"):
            number = digits
        else:
            national = digits if code in KEEP_LEADING_ZERO else digits.lstrip("0")
            number = calling + national
    if not 8 <= len(number) <= 15 or number.startswith("0"):
        return ""
    if number.startswith("1") and len(number) != 11:  # North America: 1 + 10 digits
        return ""
    return f"+{number}"


def meta_phone(phone: str | None, country: str | None = None) -> str:
    """Meta's phone normal form: E.164 digits without "+" ('' when unknown)."""
    return e164(phone, country).lstrip("+")


def meta_name(name: str | None) -> str:
    """Meta's name normal form: lower-case, no punctuation, symbols or spaces;
    letters of any script kept (UTF-8, NFC)."""
    text = unicodedata.normalize("NFC", (name or "").strip().lower())
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def google_name(name: str | None) -> str:
    """Google's name normal form: trimmed and lower-cased."""
    return unicodedata.normalize("NFC", (name or "").strip().lower())


def hashed(value: str) -> str:
    """SHA-256 of a normalised value; '' stays '' (no hash of nothing)."""
    return sha256_hex(value) if value else ""
