"""Building blocks shared by the platform adapters.

An adapter turns one platform export (a :class:`Table`) into rows of one or more
contract files. For every input row and every target file it reports exactly one
:class:`Outcome`: the contract rows that row produced, or the reason it produced
none. The conversion checks this per target, so "input rows = rows used + rows
skipped with a reason" holds by construction (the nothing-lost reconciliation).

Values are copied as the platform wrote them: staging parses money, dates,
booleans and enums. Adapters only map columns and derive what the contract needs
(an id, a status, a subtotal), and rewrite one timestamp shape that staging cannot
read (see :func:`ts`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from segmart.contract import contract


def norm_header(name: str) -> str:
    """A header as matched: BOM and surrounding spaces removed, lower-cased, inner
    whitespace collapsed ("  Lineitem   SKU" -> "lineitem sku")."""
    return " ".join(name.replace("\ufeff", "").strip().lower().split())


@dataclass(frozen=True)
class Row:
    """One data record of an export: its 1-based number and its fields, looked
    up by normalised header through `index` (shared by all rows of a file)."""

    number: int
    fields: tuple[str, ...]
    index: Mapping[str, int]

    def has(self, name: str) -> bool:
        """Whether the file has the normalised column `name`."""
        return name in self.index

    def get(self, *names: str) -> str:
        """The raw value of the first of `names` (normalised headers) the file has,
        else ''."""
        for name in names:
            if name in self.index:
                return self.fields[self.index[name]]
        return ""

    def first(self, *names: str) -> str:
        """The first non-blank raw value among `names`, else ''."""
        for name in names:
            value = self.get(name)
            if value.strip():
                return value
        return ""


@dataclass
class Table:
    """A parsed export: normalised header, data rows, and what reading it found.

    `skipped` holds records that never reach an adapter (blank lines, records with
    more fields than the header), by row number, with their reason.
    """

    path: Path
    header: tuple[str, ...]
    rows: list[Row]
    encoding: str = "utf-8"
    delimiter: str = ","
    total_rows: int = 0
    skipped: dict[int, str] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """Whether the header has the normalised column `name`."""
        return name in self.header


@dataclass(frozen=True)
class Outcome:
    """What one input row gave one target file: contract rows, or a skip reason."""

    row: int
    target: str
    rows: tuple[dict[str, str], ...] = ()
    reason: str | None = None


def written(row: Row | int, target: str, *values: dict[str, str]) -> Outcome:
    """An outcome that writes `values` (one or more contract rows) to `target`."""
    number = row.number if isinstance(row, Row) else row
    return Outcome(number, target, tuple(values))


def skipped(row: Row | int, target: str, reason: str) -> Outcome:
    """An outcome that writes nothing to `target`, for `reason` (snake_case)."""
    number = row.number if isinstance(row, Row) else row
    return Outcome(number, target, (), reason)


def contract_row(target: str, **values: str) -> dict[str, str]:
    """A full row of contract file `target`: every contract column, in order,
    blank unless given. An unknown column is a programming error (KeyError)."""
    columns = contract()[target].columns
    unknown = sorted(set(values) - set(columns))
    if unknown:
        raise KeyError(f"{target} has no column(s) {', '.join(unknown)}")
    return {column: values.get(column, "") or "" for column in columns}


@dataclass(frozen=True)
class Context:
    """What else the folder holds, for rules that depend on other files.

    `kinds` are the detected export kinds being converted in this run;
    `user_contract_files` are contract files the user supplied themselves (not
    outputs of an earlier conversion); `mapped_targets` are targets written by
    mapping files.
    """

    kinds: frozenset[str] = frozenset()
    user_contract_files: frozenset[str] = frozenset()
    mapped_targets: frozenset[str] = frozenset()

    @property
    def store_orders_present(self) -> bool:
        """A store export (or the user's own orders file) provides the orders."""
        return bool(
            self.kinds & STORE_ORDER_KINDS
            or "orders" in self.user_contract_files
            or "orders" in self.mapped_targets
        )


#: Kinds that are a shop's own order export (Stripe payments yield to them).
STORE_ORDER_KINDS = frozenset({"shopify_orders", "woocommerce_orders"})

Converter = Callable[[Table, Context], Iterable[Outcome]]


@dataclass(frozen=True)
class Kind:
    """One kind of platform export, recognised by its header.

    `signature` is a tuple of groups of normalised header names: a file is this
    kind when, for every group, it has at least one of the group's names, and
    none of the `excludes` names.
    """

    name: str
    platform: str
    description: str
    signature: tuple[tuple[str, ...], ...]
    targets: tuple[str, ...]
    convert: Converter
    source: str = ""
    excludes: tuple[str, ...] = ()

    def matches(self, header: Iterable[str]) -> bool:
        """Whether a normalised header carries this kind's signature."""
        present = set(header)
        return all(
            any(name in present for name in group) for group in self.signature
        ) and not any(name in present for name in self.excludes)


# --- value helpers ---------------------------------------------------------

_DAY_CLOCK = r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
_SPACE_OFFSET = re.compile(rf"^{_DAY_CLOCK}\s+([+-])(\d{{2}}):?(\d{{2}})$")
_NAIVE = re.compile(rf"^{_DAY_CLOCK}$")


def ts(value: str) -> str:
    """A timestamp as the platform wrote it, except "2024-03-05 14:22:10 -0500"
    (a space before the offset, as Shopify and Zendesk write it), which staging
    cannot read: it becomes "2024-03-05T14:22:10-05:00", the same instant."""
    match = _SPACE_OFFSET.match(value.strip())
    if not match:
        return value
    day, clock, sign, hours, minutes = match.groups()
    return f"{day}T{clock}{sign}{hours}:{minutes}"


def utc_ts(value: str) -> str:
    """A timestamp the platform labels UTC but writes without an offset (Stripe's
    "Created (UTC)": "2024-03-05 14:22") gets an explicit "Z", so staging does not
    read it in the shop's time zone. Other shapes pass through :func:`ts`."""
    match = _NAIVE.match(value.strip())
    if not match:
        return ts(value)
    day, clock = match.groups()
    return f"{day}T{clock}Z"


def decimal_or_none(value: str) -> Decimal | None:
    """A plain decimal ("1,234.50", "45", "-3.2") or None when blank or not a
    plain number. Only used where the contract needs a derived amount."""
    text = value.strip().replace(",", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def money_text(amount: Decimal) -> str:
    """A derived amount as text with two decimals (half up)."""
    return str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def sum_money(values: Iterable[str], factors: Iterable[str] | None = None) -> str:
    """The sum of plain amounts (each times its factor, if given) as text; ''
    when any value is blank or unreadable (staging then falls back to its own
    computation rather than trusting a partial sum)."""
    amounts = list(values)
    multipliers = list(factors) if factors is not None else ["1"] * len(amounts)
    total = Decimal(0)
    for amount, factor in zip(amounts, multipliers, strict=True):
        a, f = decimal_or_none(amount), decimal_or_none(factor)
        if a is None or f is None:
            return ""
        total += a * f
    return money_text(total) if amounts else ""


def strip_apostrophe(value: str) -> str:
    """Shopify prefixes ids, zips and phones with ' so spreadsheets keep them as
    text ("'7012345678901"); the apostrophe is not part of the value."""
    stripped = value.strip()
    return stripped[1:] if stripped.startswith("'") else value


def email_key(email: str) -> str:
    """A customer id derived from an email, for exports that have no id of their
    own: "email:" + the trimmed, lower-cased address ('' when blank)."""
    text = email.strip().lower()
    return f"email:{text}" if text else ""


def is_positive(value: str) -> bool:
    """Whether an amount is present and not zero (unreadable text counts as
    present: staging then quarantines it with a reason instead of it vanishing)."""
    if not value.strip():
        return False
    number = decimal_or_none(value)
    return number is None or number != 0


def group_rows(rows: Iterable[Row], key: Callable[[Row], str]) -> Iterator[list[Row]]:
    """Rows grouped by `key` in order of first appearance (an order's lines)."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    yield from groups.values()
