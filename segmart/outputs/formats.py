"""Audience files for ESPs, CRMs and ad platforms.

Each builder is a pure function from audience rows (mappings with email, phone,
first_name, last_name, country, segment_name, offer_hint) to a :class:`AudienceFile`:
the header, the rows, and what was left out and why. :func:`write_audience`
writes one to disk.

ESP and CRM files carry contact details in clear (they are imports into the
shop's own tools). The customer-match files (Meta, Google Ads) carry only SHA-256
hashes of normalised identifiers, and country (Google: in clear, as its template
asks; Meta: hashed).

Spreadsheet formula injection (OWASP "CSV injection"): these files get opened in
Excel, Sheets or Numbers, where a cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is read as a formula. Each column is treated by
what it holds (:func:`_safe_cells`):

- phone columns hold E.164 (``+`` and 8 to 15 digits) or nothing: validated, not
  prefixed, so ``+14155550123`` stays usable by the ESP;
- email columns: an address that starts with one of those characters is left
  out (the row is skipped, or written without its email), never altered;
- every other column (names, segment, offer hint, country, the hashed
  identifiers) is free text: a cell that starts with one of those characters
  gets a single quote ``'`` in front (:func:`neutralise`). Hex hashes never do.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from segmart.outputs.normalise import (
    country_code,
    e164,
    google_email,
    google_name,
    hashed,
    meta_name,
    meta_phone,
    normalise_email,
)

AudienceRow = Mapping[str, object]

#: First characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def neutralise(text: str) -> str:
    """A free-text cell a spreadsheet will not run: "'" in front of one that
    starts with a formula trigger (=, +, -, @, tab, carriage return)."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def is_e164(text: str) -> bool:
    """Whether `text` is an E.164 phone number: "+", then 8 to 15 digits."""
    return _E164.fullmatch(text) is not None


#: The fields an audience row may carry (others are ignored).
AUDIENCE_FIELDS = (
    "email",
    "phone",
    "first_name",
    "last_name",
    "country",
    "segment_name",
    "offer_hint",
)


@dataclass
class AudienceFile:
    """A built audience file: header, rows, and rows left out by reason."""

    format: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    phones_dropped: int = 0
    emails_dropped: int = 0  # starting with a formula character (clear formats)

    @property
    def rows_in(self) -> int:
        """Audience rows read: written + skipped."""
        return len(self.rows) + sum(self.skipped.values())


def _text(row: AudienceRow, name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class _Contact:
    """One audience row, normalised once."""

    email: str
    phone: str
    phone_given: bool
    clear_email: str  # the email, or '' when it starts with a formula trigger
    first_name: str
    last_name: str
    country: str
    segment: str
    offer: str


def _contact(row: AudienceRow, default_country: str | None) -> _Contact:
    country = country_code(_text(row, "country")) or country_code(default_country)
    raw_phone = _text(row, "phone")
    email = normalise_email(_text(row, "email"))
    return _Contact(
        email=email,
        phone=e164(raw_phone, country),
        phone_given=bool(raw_phone),
        clear_email="" if email.startswith(FORMULA_TRIGGERS) else email,
        first_name=_text(row, "first_name"),
        last_name=_text(row, "last_name"),
        country=country,
        segment=_text(row, "segment_name"),
        offer=_text(row, "offer_hint"),
    )


def _no_email(c: _Contact) -> str:
    """Why a clear-text file has no email for this row."""
    return "email_starts_with_formula_character" if c.email else "no_email"


def _safe_cells(
    values: tuple[str, ...], phone_columns: frozenset[int]
) -> tuple[tuple[str, ...], bool]:
    """The row with every cell safe to open in a spreadsheet, and whether a
    phone was blanked: phone columns hold E.164 or nothing (kept as they are),
    every other cell is neutralised (see the module doc)."""
    cells = []
    blanked = False
    for index, value in enumerate(values):
        if index in phone_columns:
            if value and not is_e164(value):
                value, blanked = "", True
            cells.append(value)
        else:
            cells.append(neutralise(value))
    return tuple(cells), blanked


def _build(
    name: str,
    header: tuple[str, ...],
    rows: Iterable[AudienceRow],
    default_country: str | None,
    make: Callable[[_Contact], tuple[str, ...] | str],
    phone_columns: tuple[str, ...] = (),
) -> AudienceFile:
    """Apply `make` to each normalised row; a str result is a skip reason.
    `phone_columns` names the header's clear-text phone columns."""
    out = AudienceFile(format=name, header=header)
    phones = frozenset(header.index(column) for column in phone_columns)
    for row in rows:
        contact = _contact(row, default_country)
        result = make(contact)
        if isinstance(result, str):
            out.skipped[result] += 1
            continue
        cells, blanked = _safe_cells(result, phones)
        if (contact.phone_given and not contact.phone) or blanked:
            out.phones_dropped += 1
        if name not in HASHED_FORMATS and contact.email and not contact.clear_email:
            out.emails_dropped += 1
        out.rows.append(cells)
    return out


def klaviyo(rows: Iterable[AudienceRow], default_country: str | None = None):
    """Klaviyo list import CSV: Email, Phone Number (E.164), First Name, Last
    Name, Country, and the segment and offer as custom properties."""
    header = (
        "Email",
        "Phone Number",
        "First Name",
        "Last Name",
        "Country",
        "segmart_segment",
        "segmart_offer_hint",
    )

    def make(c: _Contact):
        if not c.clear_email and not c.phone:
            return "no_email_or_phone" if not c.email else _no_email(c)
        return (
            c.clear_email,
            c.phone,
            c.first_name,
            c.last_name,
            c.country,
            c.segment,
            c.offer,
        )

    return _build("klaviyo", header, rows, default_country, make, ("Phone Number",))


def mailchimp(rows: Iterable[AudienceRow], default_country: str | None = None):
    """Mailchimp audience import CSV (email required): Email Address, First Name,
    Last Name, Phone Number, Country, and Tags (the segment)."""
    header = (
        "Email Address",
        "First Name",
        "Last Name",
        "Phone Number",
        "Country",
        "Tags",
        "Offer Hint",
    )

    def make(c: _Contact):
        if not c.clear_email:
            return _no_email(c)
        return (
            c.clear_email,
            c.first_name,
            c.last_name,
            c.phone,
            c.country,
            c.segment,
            c.offer,
        )

    return _build("mailchimp", header, rows, default_country, make, ("Phone Number",))


def hubspot(
    rows: Iterable[AudienceRow],
    default_country: str | None = None,
    segment_property: str = "segmart_segment",
):
    """HubSpot contact import CSV (email is the de-duplication key), with the
    segment in a custom contact property (create it first; its internal name is
    the column header)."""
    header = (
        "Email",
        "First Name",
        "Last Name",
        "Phone Number",
        "Country/Region",
        segment_property,
        "segmart_offer_hint",
    )

    def make(c: _Contact):
        if not c.clear_email:
            return _no_email(c)
        return (
            c.clear_email,
            c.first_name,
            c.last_name,
            c.phone,
            c.country,
            c.segment,
            c.offer,
        )

    return _build("hubspot", header, rows, default_country, make, ("Phone Number",))


def activecampaign(rows: Iterable[AudienceRow], default_country: str | None = None):
    """ActiveCampaign contact import CSV: Email, First Name, Last Name, Phone,
    Tags (the segment), and the offer as a custom field."""
    header = ("Email", "First Name", "Last Name", "Phone", "Tags", "Offer Hint")

    def make(c: _Contact):
        if not c.clear_email:
            return _no_email(c)
        return (c.clear_email, c.first_name, c.last_name, c.phone, c.segment, c.offer)

    return _build("activecampaign", header, rows, default_country, make, ("Phone",))


def meta(rows: Iterable[AudienceRow], default_country: str | None = None):
    """Meta (Facebook/Instagram) customer list, every column SHA-256 hashed:
    email, phone (digits with country code, no "+"), fn, ln, country (ISO
    alpha-2, lower case)."""
    header = ("email", "phone", "fn", "ln", "country")

    def make(c: _Contact):
        phone = meta_phone(c.phone, c.country)
        if not c.email and not phone:
            return "no_email_or_phone"
        return (
            hashed(c.email),
            hashed(phone),
            hashed(meta_name(c.first_name)),
            hashed(meta_name(c.last_name)),
            hashed(c.country.lower()),
        )

    return _build("meta", header, rows, default_country, make)


def google_ads(rows: Iterable[AudienceRow], default_country: str | None = None):
    """Google Ads Customer Match upload (its CSV template's columns): Email,
    Phone (E.164 with "+"), First Name, Last Name hashed with SHA-256; Country
    and Zip in clear, as the template asks (Zip is not in audience rows)."""
    header = ("Email", "Phone", "First Name", "Last Name", "Country", "Zip")

    def make(c: _Contact):
        email = google_email(c.email)
        if not email and not c.phone:
            return "no_email_or_phone"
        return (
            hashed(email),
            hashed(c.phone),
            hashed(google_name(c.first_name)),
            hashed(google_name(c.last_name)),
            c.country,
            "",
        )

    return _build("google_ads", header, rows, default_country, make)


FORMATS: dict[str, Callable[..., AudienceFile]] = {
    "klaviyo": klaviyo,
    "mailchimp": mailchimp,
    "hubspot": hubspot,
    "activecampaign": activecampaign,
    "meta": meta,
    "google_ads": google_ads,
}

#: Formats that must never contain contact details in clear.
HASHED_FORMATS = frozenset({"meta", "google_ads"})


def build_audience(
    rows: Iterable[AudienceRow], fmt: str, default_country: str | None = None
) -> AudienceFile:
    """Build the audience file of format `fmt` (a key of FORMATS)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}' (one of: {', '.join(FORMATS)})")
    return FORMATS[fmt](rows, default_country=default_country)


def write_audience(
    rows: Iterable[AudienceRow],
    fmt: str,
    path: Path | str,
    default_country: str | None = None,
) -> AudienceFile:
    """Build the audience file of format `fmt` and write it to `path` (UTF-8
    CSV, written atomically). Returns what was built."""
    built = build_audience(rows, fmt, default_country)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow([neutralise(name) for name in built.header])
            writer.writerows(built.rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return built
