"""Demo exports for the raw-export contract: a speciality-coffee shop, three years.

That is the default shop shape, ``fashion``. Other shapes (``cafe``, ``subscription``,
``durables``, ``b2b_wholesale``, ``archive``; ``shapes()``) are rows of
``segmart/shop_shapes.csv``: one column per behaviour parameter (history length,
growth, seasonality, kind mix, B2B shares, purchase gaps, dropout, one-time buyers,
price level, basket size, ...). The code below reads every such number from the
shape's row; the numbers quoted in this docstring are the ``fashion`` row's, and
that row reproduces the original output byte for byte. See ``docs/generator.md``.

``generate()`` writes one file per table of the contract (``segmart.contract``), in
contract column order, every value as text. Same arguments give byte-identical files:
all randomness comes from ``numpy.random.SeedSequence`` keyed by ``seed`` (and by the
chunk index for per-customer data); ``end_date`` is the only clock.

Model of behaviour
------------------
*Time.* The history is the three years ending on ``end_date`` (UTC). Shop activity
follows a daily intensity: a month profile with a November/December peak, a Black
Friday to Cyber Monday spike and a December gift rush, and a mild weekday pattern.
New customers arrive with that intensity times a growth trend (the shop grows ~2.2x
over the history). Times of day follow a local-time profile (lunch and evening peaks)
per customer time zone; every timestamp is written in UTC (``...Z``).

*People.* ``customers`` is the number of people (identities). A person is a prospect
(customers file and engagement only, never orders by themselves), a guest-only buyer
(orders with a blank ``customer_id``, no customers row) or a buyer with one account
(a few with two or three accounts that share one email, in differing letter case).
Account holders also check out as guests now and then, and some write their email
with capitals (``Jane.Doe@Gmail.com``): both are normal, not messy. People have a
country (US, CA, GB, DE, FR, ES, NL, AU), region, city, postal code, a language, a
culture-specific name (José, Zoë, Łukasz, 陈 ...), a phone in a local format, and some
are B2B (company name, size, industry, bulk baskets).

*Orders.* A buyer's purchases are a renewal process in "shop time" (time warped by
the seasonal intensity, so rhythms survive the season): a per-customer gamma
inter-purchase gap (mean and shape vary by customer; B2B and "devoted" subscribers
buy often) and, after every purchase, a per-customer dropout probability
(beta-distributed, BG/NBD-like; about a fifth of buyers are one-and-done). So there
are one-time buyers, repeat buyers who lapse, and long-lived regulars; order counts
are heavy-tailed (about 10 orders per person on average, up to a few hundred). Each
order has 1-5 lines whose categories follow the customer's favourite category and
then the related-category graph (``CATEGORY_RELATIONS``, also in
``seeds/category_relations.csv``); quantities are 1-3 (B2B: bulk). Spend is skewed:
lognormal product prices, a per-customer spend level, heavy-tailed frequency and B2B
bulk baskets. About 15% of buyers are discount driven (most of their orders carry a
code); codes also follow the calendar (BFCM25, HOLIDAY20, SPRING20, ...), WELCOME10
on first orders and campaign offers. 7% of lines are on sale (a line discount
without a code).

*Money.* All order amounts are in the order currency: USD (base) for most, EUR, GBP,
CAD for customers in those markets (a few of them pay in USD on the marketplace).
Line prices are the USD list price converted at the order day's rate. ``subtotal`` =
sum(quantity * unit_price); ``discount_total`` = sum(line_discount) + any fixed
order-level amount (TAKE5); ``total`` = subtotal - discount_total + shipping_charged +
tax_total; ``shipping_cost`` (what shipping cost the shop, same currency) is always
positive. ``fx_rates`` has a row per day of the history for EUR, GBP, CAD and USD
(USD rows are 1.000000), ``rate_to_base`` = USD per unit, a gentle mean-reverting
random walk; the rate date of an order is the UTC date of ``ordered_at``.

*Order life cycle.* Orders are pending/paid, then fulfilled, then delivered (by age at
``end_date``); ~2.5% are cancelled (most of them with a refund row); ~2.5% of
delivered orders are fully refunded (status ``refunded``; mostly returns) and ~4.5%
get a partial refund (one returned item, or goodwill for a late or damaged parcel).
Refunds are dated days to weeks after delivery and never exceed the order total.
About 2% of orders appear twice: an earlier version and a later version with a new
status and a later ``updated_at`` (``updated_at >= ordered_at`` always).

*Engagement.* ``campaigns`` is a fixed plan: a weekly email newsletter (all or
engaged subscribers, each issue reaching about a third of them), a weekly lifecycle
email (champions, new_second_purchase, at_risk, win_back, lost,
unengaged_subscribers, b2b), a fortnightly SMS, and BFCM / holiday sends. ``offer``
is blank when there is none. Lifecycle campaigns in recent quarters belong to an
experiment (``holdout_2026q1``...) that holds out 20% of the targeted people
(deterministically per person and experiment: no sent event); some newsletters are
subject-line A/B tests without holdout. A person receives a campaign when they
consent to the channel, exist, are not suppressed or erased, and match the segment
rule at send time (orders before the send). Events: sent, delivered or bounced,
opened (email), clicked, unsubscribed, spam_complaint. Open rates differ by person
(engaged, casual, dormant) and decay once a customer lapses. A hard bounce,
unsubscribe or complaint ends sends on that channel and writes a suppression (same
timestamp as the event); a few suppressions are ``manual``. An unsubscribe or
complaint also sets the customer's consent to false at that time. Recipients are
more likely to order in the 7 days after a delivered send (clickers much more so):
a real but modest lift (about +10% orders in that week), and such orders carry the
campaign's offer code.

*Service.* Tickets come from refunds (refund requests, complaints), slow deliveries,
urgent order changes, product questions, B2B quote requests, praise, account and
billing issues; subjects and bodies are varied templates with product names, order
numbers, commas, quotes and line breaks, some in Spanish, French or German. Reviews
(1-5) have bodies consistent with the rating. ``erasure_requests`` lists a handful of
existing customers' emails (about 0.1%); after the request they get no more sends
and place no more orders.

*Identifiers.* Customer, order, ticket, review and event ids are numbers that look
random but are bijections of (chunk, position), so they never collide; line ids are
``<order_id>-<n>``, refund ids ``RF<order_id>``, SKUs ``<PREFIX>-<n>``.

Messy mode
----------
With ``messy > 0`` a ``messy`` share of the rows of each file get one realistic
defect (otherwise the row stays consistent): padded or wrongly cased emails, invalid
emails (``n/a``, ``none``, ``-``, ``x at y.com``, blank), blank order ids, money as
text (``$1,234.50``, ``1234.5 USD``, ``(12.00)``), negative quantities, zero
amounts, refunds larger than the order, unparseable dates, 1970/2099 dates, other
UTC offsets (``+02:00``, ``-05:00``, same instant), ``%m/%d/%Y %H:%M`` local format
(UTC clock), exact duplicate rows, extra order versions, unknown statuses, unknown
SKUs and unknown or lower-case currency codes. Messy draws use their own random
streams, so a messy run is the clean run plus its defects.

Scale
-----
People are processed in chunks of ``CHUNK_SIZE``, each seeded from ``(seed, chunk)``
and vectorised with numpy/pyarrow, and appended to the output files, so memory stays
bounded and the first N people are the same whatever the total.
"""

from __future__ import annotations

import csv
import functools
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

from segmart.contract import contract

CHUNK_SIZE = 20_000
DAY = 86_400
HOUR = 3_600
_EPOCH = date(1970, 1, 1)
_KEY_SPAN = 1 << 31  # seconds; > any history length, for (person, time) sort keys

# Random-stream tags (part of the SeedSequence entropy; never reorder).
_S_WORLD, _S_CATALOG, _S_FX, _S_CAMPAIGNS = 1, 2, 3, 4
_S_CHUNK = 100
(
    _C_PEOPLE,
    _C_ORDERS,
    _C_SENDS,
    _C_BASKET,
    _C_REFUNDS,
    _C_TICKETS,
    _C_REVIEWS,
    _C_TEXT,
    _C_MESSY,
) = range(1, 10)

# --------------------------------------------------------------------------------------
# Shop shapes: parameter sets, one row each in shop_shapes.csv
# --------------------------------------------------------------------------------------

SHAPES_FILE = "shop_shapes.csv"
DEFAULT_SHAPE = "fashion"


@dataclass(frozen=True)
class Shape:
    """One row of ``segmart/shop_shapes.csv`` (the file's comments explain each)."""

    shape: str
    shop: str
    history_years: int
    growth: float
    seasonality: float
    share_prospect: float
    share_buyer: float
    share_guest: float
    b2b_buyers: float
    b2b_others: float
    gap_days: float
    gap_sigma: float
    gap_min: float
    gap_max: float
    shape_min: float
    shape_max: float
    drop_a: float
    drop_b: float
    one_time: float
    guest_one_time: float
    devoted: float
    devoted_gap_days: float
    devoted_gap_sigma: float
    devoted_gap_min: float
    devoted_gap_max: float
    devoted_drop_a: float
    devoted_drop_b: float
    b2b_gap_days: float
    b2b_gap_sigma: float
    b2b_gap_min: float
    b2b_gap_max: float
    b2b_drop_a: float
    b2b_drop_b: float
    price_factor: float
    max_lines: int
    same_basket: float
    free_shipping_usd: float
    deal_share: float
    campaign_lift: float


_SHARES = (
    "b2b_buyers",
    "b2b_others",
    "one_time",
    "guest_one_time",
    "devoted",
    "same_basket",
    "deal_share",
)


def _parse_shape(row: dict[str, str], where: str) -> Shape:
    values: dict[str, object] = {}
    for f in fields(Shape):
        raw = (row.get(f.name) or "").strip()
        if f.type == "str":
            values[f.name] = raw
            continue
        try:
            values[f.name] = int(raw) if f.type == "int" else float(raw)
        except ValueError:
            raise ValueError(f"{where}: {f.name} = {raw!r} is not a number") from None
    s = Shape(**values)  # type: ignore[arg-type]
    kinds = (s.share_prospect, s.share_buyer, s.share_guest)
    checks = {
        **{f"{n} must be in [0, 1]": 0 <= getattr(s, n) <= 1 for n in _SHARES},
        "kind shares must be >= 0, sum > 0": min(kinds) >= 0 and sum(kinds) > 0,
        "history_years must be at least 1": s.history_years >= 1,
        "max_lines must be at least 1": s.max_lines >= 1,
        "growth and price_factor must be > 0": min(s.growth, s.price_factor) > 0,
    }
    problems = [message for message, ok in checks.items() if not ok]
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
    return s


@functools.cache
def shapes() -> Mapping[str, Shape]:
    """Every shop shape in ``segmart/shop_shapes.csv``, by name (file order)."""
    text = resources.files("segmart").joinpath(SHAPES_FILE).read_text("utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    reader = csv.DictReader(lines)
    expected = [f.name for f in fields(Shape)]
    if reader.fieldnames != expected:
        raise ValueError(f"{SHAPES_FILE}: columns {reader.fieldnames} != {expected}")
    out: dict[str, Shape] = {}
    for i, row in enumerate(reader, start=1):
        s = _parse_shape(row, f"{SHAPES_FILE} row {i}")
        if s.shape in out:
            raise ValueError(f"{SHAPES_FILE}: shape {s.shape!r} twice")
        out[s.shape] = s
    return MappingProxyType(out)


def get_shape(name: str) -> Shape:
    """The shape called ``name``; ValueError listing the known ones otherwise."""
    known = shapes()
    if name not in known:
        raise ValueError(f"unknown shape {name!r}; known shapes: {', '.join(known)}")
    return known[name]


# --------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------

CATEGORIES: tuple[str, ...] = (
    "coffee_beans",
    "tea",
    "grinders",
    "brewers",
    "espresso_machines",
    "filters",
    "mugs",
    "kettles",
    "syrups",
    "accessories",
)

# (category, related_category): what buyers of the first also buy. Mostly symmetric;
# machines -> accessories and grinders -> filters are one-way. Mirrored in
# seeds/category_relations.csv.
CATEGORY_RELATIONS: tuple[tuple[str, str], ...] = (
    ("coffee_beans", "grinders"),
    ("grinders", "coffee_beans"),
    ("coffee_beans", "filters"),
    ("filters", "coffee_beans"),
    ("coffee_beans", "brewers"),
    ("brewers", "coffee_beans"),
    ("coffee_beans", "espresso_machines"),
    ("espresso_machines", "coffee_beans"),
    ("coffee_beans", "mugs"),
    ("mugs", "coffee_beans"),
    ("espresso_machines", "grinders"),
    ("grinders", "espresso_machines"),
    ("espresso_machines", "syrups"),
    ("syrups", "espresso_machines"),
    ("espresso_machines", "accessories"),
    ("grinders", "accessories"),
    ("accessories", "grinders"),
    ("grinders", "filters"),
    ("brewers", "filters"),
    ("filters", "brewers"),
    ("brewers", "kettles"),
    ("kettles", "brewers"),
    ("tea", "mugs"),
    ("mugs", "tea"),
    ("tea", "kettles"),
    ("kettles", "tea"),
    ("syrups", "mugs"),
    ("mugs", "syrups"),
)

# category: (sku prefix, number of skus, popularity, margin low, margin high)
_CAT_SPEC: tuple[tuple[str, int, float, float, float], ...] = (
    ("BEAN", 84, 0.36, 0.52, 0.68),
    ("TEA", 36, 0.10, 0.55, 0.70),
    ("GRND", 18, 0.04, 0.22, 0.38),
    ("BREW", 24, 0.06, 0.35, 0.50),
    ("ESPR", 12, 0.015, 0.14, 0.28),
    ("FLTR", 14, 0.10, 0.45, 0.60),
    ("MUG", 34, 0.08, 0.55, 0.75),
    ("KTL", 12, 0.03, 0.30, 0.45),
    ("SYRP", 20, 0.07, 0.45, 0.60),
    ("ACC", 26, 0.055, 0.45, 0.65),
)

_ORIGINS = (
    "Ethiopia Yirgacheffe",
    "Ethiopia Guji",
    "Kenya Nyeri AA",
    "Colombia Huila",
    "Colombia Finca El Paraíso",
    "Brazil Cerrado",
    "Guatemala Antigua",
    "Costa Rica Tarrazú",
    "Sumatra Mandheling",
    "Rwanda Nyamasheke",
    "Peru Cajamarca",
    "Honduras Marcala",
    "Panama Boquete Geisha",
    "El Salvador Santa Ana",
    "Burundi Kayanza",
    "Mexico Chiapas",
    "Morning Ritual Blend",
    "House Espresso Blend",
    "Night Owl Dark Blend",
    "Swiss Water Decaf",
    "Nicaragua Jinotega",
)
_ROASTS = ("Light Roast", "Medium Roast", "Dark Roast", "Espresso Roast", "Omni Roast")
_BEAN_SIZES = (("250g", 1.0), ("500g", 1.8), ("1kg", 3.2))
_TEAS = (
    "Darjeeling First Flush",
    "Assam Breakfast",
    "Sencha Kagoshima",
    "Jasmine Silver Needle",
    "Earl Grey Supreme",
    "Rooibos Vanilla",
    "Chamomile & Lavender",
    "Masala Chai",
    "Oolong Tie Guan Yin",
    "Matcha Ceremonial",
    "Peppermint Leaf",
    "Lapsang Souchong",
)
_TEA_FORMS = ("Loose Leaf 100g", "Loose Leaf 250g", "20 Sachets")
_PRODUCT_WORDS = MappingProxyType(
    {
        "grinders": (
            ("Burr Grinder", "Hand Grinder", "Flat Burr Grinder", "Conical Grinder"),
            ("Pro 40mm", "Mini", "Travel", "Studio 64mm", "Classic", "E65S"),
        ),
        "brewers": (
            ("Pour-Over Dripper", "French Press", "AeroPress", "Chemex", "Cold Brew"),
            ("Kit", "600ml", "1L", "Glass", "Ceramic", "Go"),
        ),
        "espresso_machines": (
            ("Espresso Machine", "Dual Boiler", "Lever Espresso", "Home Barista"),
            ("Classic", "Pro", "Compact", "PID Edition"),
        ),
        "filters": (
            ("Paper Filters", "Cone Filters", "Metal Filter", "Cloth Filter"),
            ("100 pack", "#2, 100 pack", "V60 02", "Chemex 6-cup"),
        ),
        "mugs": (
            (
                "Stoneware Mug",
                "Travel Mug",
                "Double-Wall Glass",
                "Espresso Cup",
                "Cappuccino Cup",
                "Latte Bowl",
            ),
            (
                '"Good Morning"',
                "350ml",
                "Speckled",
                "Matte Black",
                "Set of 2",
                "Sage Green",
                "Terracotta",
                "12oz",
            ),
        ),
        "kettles": (
            ("Gooseneck Kettle", "Electric Kettle", "Stovetop Kettle", "Travel Kettle"),
            ("1L", "Variable Temp", "Matte Black", "Copper", "0.6L"),
        ),
        "syrups": (
            (
                "Vanilla Syrup",
                "Caramel Syrup",
                "Hazelnut Syrup",
                "Oat Barista Milk",
                "Gingerbread Syrup",
                "Chocolate Sauce",
            ),
            ("250ml", "750ml", "Sugar-Free", "6-pack", "Organic"),
        ),
        "accessories": (
            ("Coffee Scale", "Tamper", "Knock Box", "Cleaning Tablets", "Milk Jug"),
            ("0.1g", "58mm", "Pro", "50 pack", "600ml", "Descaler, 2 pack"),
        ),
    }
)
# price ranges in USD (median, log sigma, min, max) for non-bean categories
_PRICE = MappingProxyType(
    {
        "tea": (14.0, 0.35, 7.0, 32.0),
        "grinders": (110.0, 0.6, 35.0, 480.0),
        "brewers": (38.0, 0.4, 18.0, 70.0),
        "espresso_machines": (650.0, 0.6, 299.0, 2400.0),
        "filters": (8.0, 0.3, 4.5, 15.0),
        "mugs": (22.0, 0.3, 11.0, 42.0),
        "kettles": (75.0, 0.5, 30.0, 190.0),
        "syrups": (12.0, 0.2, 8.0, 18.0),
        "accessories": (24.0, 0.7, 7.0, 95.0),
    }
)

# --------------------------------------------------------------------------------------
# Geography, names
# --------------------------------------------------------------------------------------

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "CAD")
_FX_ANCHOR = (1.0, 1.09, 1.27, 0.73)

# country: (weight, currency index, default language, phone style)
_COUNTRIES: tuple[tuple[str, float, int, str], ...] = (
    ("US", 0.58, 0, "en"),
    ("CA", 0.09, 3, "en"),
    ("GB", 0.11, 2, "en"),
    ("DE", 0.08, 1, "de"),
    ("FR", 0.06, 1, "fr"),
    ("ES", 0.04, 1, "es"),
    ("NL", 0.02, 1, "nl"),
    ("AU", 0.02, 0, "en"),
)
# (country, region, city, postal prefix, tax rate, utc offset hours)
_GEO: tuple[tuple[str, str, str, str, float, int], ...] = (
    ("US", "CA", "Los Angeles", "900", 0.095, -8),
    ("US", "CA", "San Francisco", "941", 0.08625, -8),
    ("US", "CA", "San Diego", "921", 0.0775, -8),
    ("US", "CA", "Oakland", "946", 0.1025, -8),
    ("US", "NY", "New York", "100", 0.08875, -5),
    ("US", "NY", "Brooklyn", "112", 0.08875, -5),
    ("US", "NY", "Buffalo", "142", 0.0875, -5),
    ("US", "TX", "Austin", "787", 0.0825, -6),
    ("US", "TX", "Houston", "770", 0.0825, -6),
    ("US", "TX", "Dallas", "752", 0.0825, -6),
    ("US", "WA", "Seattle", "981", 0.1035, -8),
    ("US", "WA", "Spokane", "992", 0.09, -8),
    ("US", "IL", "Chicago", "606", 0.1025, -6),
    ("US", "FL", "Miami", "331", 0.07, -5),
    ("US", "FL", "Orlando", "328", 0.065, -5),
    ("US", "OR", "Portland", "972", 0.0, -8),
    ("US", "MA", "Boston", "021", 0.0625, -5),
    ("US", "MA", "Cambridge", "021", 0.0625, -5),
    ("US", "CO", "Denver", "802", 0.0881, -7),
    ("US", "CO", "Boulder", "803", 0.0886, -7),
    ("US", "GA", "Atlanta", "303", 0.089, -5),
    ("US", "NC", "Raleigh", "276", 0.0725, -5),
    ("US", "MN", "Minneapolis", "554", 0.0803, -6),
    ("US", "NJ", "Newark", "071", 0.06625, -5),
    ("US", "PA", "Philadelphia", "191", 0.08, -5),
    ("CA", "ON", "Toronto", "M5V", 0.13, -5),
    ("CA", "ON", "Ottawa", "K1P", 0.13, -5),
    ("CA", "QC", "Montréal", "H2X", 0.14975, -5),
    ("CA", "QC", "Québec", "G1R", 0.14975, -5),
    ("CA", "BC", "Vancouver", "V6B", 0.12, -8),
    ("CA", "AB", "Calgary", "T2P", 0.05, -7),
    ("GB", "England", "London", "SW1A", 0.20, 0),
    ("GB", "England", "London", "E1", 0.20, 0),
    ("GB", "England", "Manchester", "M1", 0.20, 0),
    ("GB", "England", "Bristol", "BS1", 0.20, 0),
    ("GB", "England", "Leeds", "LS1", 0.20, 0),
    ("GB", "Scotland", "Edinburgh", "EH1", 0.20, 0),
    ("GB", "Scotland", "Glasgow", "G1", 0.20, 0),
    ("GB", "Wales", "Cardiff", "CF10", 0.20, 0),
    ("DE", "Berlin", "Berlin", "10", 0.19, 1),
    ("DE", "Bayern", "München", "80", 0.19, 1),
    ("DE", "Bayern", "Nürnberg", "90", 0.19, 1),
    ("DE", "Hamburg", "Hamburg", "20", 0.19, 1),
    ("DE", "Nordrhein-Westfalen", "Köln", "50", 0.19, 1),
    ("DE", "Nordrhein-Westfalen", "Düsseldorf", "40", 0.19, 1),
    ("FR", "Île-de-France", "Paris", "750", 0.20, 1),
    ("FR", "Auvergne-Rhône-Alpes", "Lyon", "690", 0.20, 1),
    ("FR", "Provence-Alpes-Côte d'Azur", "Marseille", "130", 0.20, 1),
    ("FR", "Provence-Alpes-Côte d'Azur", "Nice", "060", 0.20, 1),
    ("ES", "Madrid", "Madrid", "28", 0.21, 1),
    ("ES", "Cataluña", "Barcelona", "08", 0.21, 1),
    ("ES", "Andalucía", "Sevilla", "41", 0.21, 1),
    ("ES", "Andalucía", "Málaga", "29", 0.21, 1),
    ("NL", "Noord-Holland", "Amsterdam", "10", 0.21, 1),
    ("NL", "Zuid-Holland", "Rotterdam", "30", 0.21, 1),
    ("NL", "Utrecht", "Utrecht", "35", 0.21, 1),
    ("AU", "NSW", "Sydney", "20", 0.0, 10),
    ("AU", "VIC", "Melbourne", "30", 0.0, 10),
)

_CULTURES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (  # 0 anglo
        (
            "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael",
            "Linda", "David", "Elizabeth", "William", "Barbara", "Richard", "Susan",
            "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen", "Daniel",
            "Emily", "Matthew", "Ashley", "Anthony", "Megan", "Mark", "Hannah",
            "Olivia", "Liam", "Noah", "Emma", "Ava", "Sophia", "Ethan", "Grace",
            "Zoë", "Renée", "Chloé", "Siobhán", "Seán", "Niamh", "Priya", "Aisha",
        ),
        (
            "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis",
            "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin",
            "Lee", "Thompson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall",
            "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
            "Hill", "Campbell", "O'Brien", "O'Connor", "McDonald", "Murphy", "Kelly",
            "Evans", "Roberts", "Hughes", "Patel", "Khan", "Nguyen", "Kim",
        ),
    ),
    (  # 1 hispanic
        (
            "José", "María", "Juan", "Lucía", "Carlos", "Sofía", "Luis", "Valentina",
            "Javier", "Camila", "Miguel", "Isabel", "Alejandro", "Ana", "Diego",
            "Martina", "Raúl", "Inés", "Andrés", "Elena", "Jesús", "Ángel", "Begoña",
            "Íñigo", "Nuria",
        ),
        (
            "García", "Rodríguez", "Martínez", "López", "González", "Hernández",
            "Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez",
            "Díaz", "Morales", "Jiménez", "Ruiz", "Álvarez", "Romero", "Navarro",
            "Muñoz", "Castillo", "Ortega", "Peña", "de la Cruz",
        ),
    ),
    (  # 2 german
        (
            "Lukas", "Anna", "Jonas", "Lea", "Leon", "Marie", "Finn", "Sophie",
            "Paul", "Lena", "Felix", "Laura", "Maximilian", "Julia", "Jürgen",
            "Jörg", "Björn", "Käthe", "Günter", "Sören", "Ute", "Heike", "Tobias",
        ),
        (
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
            "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter",
            "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
            "Krüger", "Weiß",
        ),
    ),
    (  # 3 french
        (
            "Louis", "Camille", "Gabriel", "Léa", "Hugo", "Chloé", "Jules", "Manon",
            "Arthur", "Inès", "Raphaël", "Zoé", "Théo", "Élodie", "François",
            "Amélie", "Hélène", "Jérôme", "Gaëlle", "Noël", "Benoît", "Céline",
            "Margaux", "Étienne", "Maëlys",
        ),
        (
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
            "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel",
            "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
            "Girard", "André", "Lefebvre", "Mercier",
        ),
    ),
    (  # 4 dutch
        (
            "Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Levi", "Sophie",
            "Finn", "Zoë", "Bram", "Anouk", "Ruben", "Fleur", "Sanne", "Joost",
            "Maarten", "Eline", "Thijs", "Noor",
        ),
        (
            "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker",
            "Janssen", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot",
            "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
        ),
    ),
    (  # 5 polish
        (
            "Łukasz", "Małgorzata", "Paweł", "Agnieszka", "Michał", "Katarzyna",
            "Piotr", "Zofia", "Wojciech", "Żaneta", "Krzysztof", "Joanna", "Tomasz",
            "Ewa", "Grzegorz",
        ),
        (
            "Nowak", "Kowalski", "Wiśniewski", "Wójcik", "Kowalczyk", "Kamiński",
            "Lewandowski", "Zieliński", "Szymański", "Woźniak", "Dąbrowski",
            "Kozłowski", "Jankowski", "Mazur", "Krawczyk",
        ),
    ),
    (  # 6 chinese, written in hanzi
        ("伟", "芳", "静", "磊", "娜", "敏", "军", "丽", "强", "洋"),
        ("陈", "王", "李", "张", "刘", "杨", "黄", "赵", "吴", "周"),
    ),
    (  # 7 chinese, romanised
        ("Wei", "Fang", "Jing", "Lei", "Min", "Xiaoming", "Yan", "Hui", "Jun", "Li"),
        ("Chen", "Wang", "Li", "Zhang", "Liu", "Huang", "Zhao", "Wu", "Zhou", "Xu"),
    ),
    (  # 8 nordic
        (
            "Søren", "Astrid", "Björn", "Ingrid", "Lars", "Freja", "Øystein",
            "Sigrid", "Mikkel", "Åsa",
        ),
        (
            "Jensen", "Hansen", "Nielsen", "Larsen", "Andersen", "Johansson",
            "Lindqvist", "Ødegaard", "Berg", "Åberg",
        ),
    ),
)  # fmt: skip
_HANZI = MappingProxyType(
    {
        "伟": "wei", "芳": "fang", "静": "jing", "磊": "lei", "娜": "na", "敏": "min",
        "军": "jun", "丽": "li", "强": "qiang", "洋": "yang", "陈": "chen",
        "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "杨": "yang",
        "黄": "huang", "赵": "zhao", "吴": "wu", "周": "zhou",
    }
)  # fmt: skip
_ASCII_EXTRA = MappingProxyType(
    {"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE"}
)
# culture weights per country (same order as _COUNTRIES)
_CULTURE_MIX: tuple[tuple[float, ...], ...] = (
    (0.70, 0.15, 0.02, 0.02, 0.0, 0.03, 0.02, 0.04, 0.02),
    (0.62, 0.02, 0.0, 0.25, 0.0, 0.03, 0.03, 0.05, 0.0),
    (0.85, 0.03, 0.0, 0.03, 0.0, 0.06, 0.03, 0.0, 0.0),
    (0.04, 0.0, 0.82, 0.0, 0.0, 0.08, 0.03, 0.0, 0.03),
    (0.03, 0.05, 0.02, 0.88, 0.0, 0.0, 0.02, 0.0, 0.0),
    (0.04, 0.90, 0.03, 0.03, 0.0, 0.0, 0.0, 0.0, 0.0),
    (0.05, 0.0, 0.05, 0.0, 0.85, 0.05, 0.0, 0.0, 0.0),
    (0.80, 0.04, 0.0, 0.0, 0.0, 0.0, 0.06, 0.06, 0.04),
)
_DOMAINS: tuple[tuple[tuple[str, float], ...], ...] = (
    (("gmail.com", 0.45), ("yahoo.com", 0.11), ("outlook.com", 0.1),
     ("hotmail.com", 0.07), ("icloud.com", 0.13), ("aol.com", 0.03),
     ("proton.me", 0.03), ("comcast.net", 0.04), ("hey.com", 0.04)),
    (("gmail.com", 0.5), ("outlook.com", 0.15), ("shaw.ca", 0.1),
     ("rogers.com", 0.1), ("yahoo.ca", 0.07), ("videotron.ca", 0.08)),
    (("gmail.com", 0.45), ("outlook.com", 0.12), ("yahoo.co.uk", 0.1),
     ("btinternet.com", 0.12), ("hotmail.co.uk", 0.13), ("sky.com", 0.08)),
    (("gmail.com", 0.35), ("gmx.de", 0.25), ("web.de", 0.25), ("t-online.de", 0.15)),
    (("gmail.com", 0.45), ("orange.fr", 0.2), ("free.fr", 0.15),
     ("laposte.net", 0.1), ("sfr.fr", 0.1)),
    (("gmail.com", 0.55), ("hotmail.es", 0.25), ("yahoo.es", 0.1),
     ("telefonica.net", 0.1)),
    (("gmail.com", 0.5), ("ziggo.nl", 0.2), ("kpnmail.nl", 0.15),
     ("hotmail.nl", 0.15)),
    (("gmail.com", 0.5), ("bigpond.com", 0.25), ("outlook.com", 0.25)),
)  # fmt: skip
_COMPANY_A = (
    "Blue Door", "Northside", "Nordlicht", "Sunrise", "Copper Kettle",
    "Golden Bean", "Harbor", "Maple Leaf", "Le Petit", "Riverside", "Old Town",
    "Bright Ideas", "Greenway", "Summit", "Atlas", "Parkview", "Lindenhof", "Casa",
)  # fmt: skip
_COMPANY_B = (
    "Café", "Coworking", "Dental Care", "Law Group", "Design Studio", "Bakery",
    "Bistro", "Office Services", "Hotel", "Architects", "Physiotherapy",
    "Accounting", "Hair Salon", "Gallery", "Books",
)  # fmt: skip
_COMPANY_SUFFIX = MappingProxyType(
    {
        "US": ("LLC", "Inc.", "Co."),
        "CA": ("Inc.", "Ltd."),
        "GB": ("Ltd", "LLP"),
        "DE": ("GmbH", "UG", "GmbH & Co. KG"),
        "FR": ("SARL", "SAS"),
        "ES": ("S.L.", "S.A."),
        "NL": ("B.V.",),
        "AU": ("Pty Ltd",),
    }
)
_COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-1000", "1000+")
_INDUSTRIES = (
    "hospitality", "office", "coworking", "retail", "healthcare", "legal",
    "education", "creative", "hotel",
)  # fmt: skip
_TAGS = ("coffee-club", "gift-buyer", "instagram", "referral", "pos-signup")

# --------------------------------------------------------------------------------------
# Campaigns and discount codes
# --------------------------------------------------------------------------------------

SEGMENTS: tuple[str, ...] = (
    "all_subscribers",
    "engaged_subscribers",
    "champions",
    "new_second_purchase",
    "at_risk",
    "win_back",
    "lost",
    "unengaged_subscribers",
    "b2b",
)
(
    _SEG_ALL,
    _SEG_ENGAGED,
    _SEG_CHAMPIONS,
    _SEG_NEW2,
    _SEG_AT_RISK,
    _SEG_WIN_BACK,
    _SEG_LOST,
    _SEG_UNENGAGED,
    _SEG_B2B,
) = range(9)

# code: (percent off, fixed USD cents off, free shipping)
_CODES: tuple[tuple[str, float, int, bool], ...] = (
    ("WELCOME10", 0.10, 0, False),  # 0
    ("SAVE15", 0.15, 0, False),  # 1
    ("SPRING20", 0.20, 0, False),  # 2
    ("SUMMER15", 0.15, 0, False),  # 3
    ("BFCM25", 0.25, 0, False),  # 4
    ("HOLIDAY20", 0.20, 0, False),  # 5
    ("FREESHIP", 0.0, 0, True),  # 6
    ("TAKE5", 0.0, 500, False),  # 7
    ("TRADE12", 0.12, 0, False),  # 8
    ("INFLUENCER20", 0.20, 0, False),  # 9
    ("NEXT10", 0.10, 0, False),  # 10
    ("MISSYOU10", 0.10, 0, False),  # 11
    ("WINBACK15", 0.15, 0, False),  # 12
    ("COMEBACK20", 0.20, 0, False),  # 13
    ("VIPSHIP", 0.0, 0, True),  # 14
    ("FLASH10", 0.10, 0, False),  # 15
)
_CODE_FREESHIP = 6
# offer label -> code index
_OFFERS = MappingProxyType(
    {
        "": -1,
        "10_percent": 11,
        "next_10_percent": 10,
        "15_percent": 12,
        "20_percent": 13,
        "25_percent": 4,
        "free_shipping": 6,
        "vip_free_shipping": 14,
        "flash_10_percent": 15,
    }
)
# the offer column shows the kind only
_OFFER_LABEL = MappingProxyType(
    {
        "next_10_percent": "10_percent",
        "vip_free_shipping": "free_shipping",
        "flash_10_percent": "10_percent",
    }
)

# order statuses
_STATUSES = ("pending", "paid", "fulfilled", "delivered", "cancelled", "refunded")
_ST_PENDING, _ST_PAID, _ST_FULFILLED, _ST_DELIVERED, _ST_CANCELLED, _ST_REFUNDED = (
    range(6)
)
_ORDER_CHANNELS = ("web", "mobile_app", "marketplace", "pos", "phone")

_REFUND_REASONS_RETURN = (
    "changed mind",
    "not as described",
    "defective",
    "arrived damaged",
    "wrong item sent",
    "wrong grind size",
)
_REFUND_REASONS_OTHER = (
    "never arrived",
    "duplicate order",
    "arrived damaged",
    "late delivery",
)
_PARTIAL_REASONS_OTHER = (
    "late delivery goodwill",
    "damaged packaging",
    "missing item",
    "price adjustment",
)


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _rng(seed: int, *keys: int) -> np.random.Generator:
    """A generator for one named stream of one seed (negative seeds allowed)."""
    parts = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF, *keys]
    return np.random.default_rng(np.random.SeedSequence(parts))


def _scramble(x: np.ndarray, mult: int, add: int, width: int) -> np.ndarray:
    """A bijection of [0, 10**width): ids that look random but never collide."""
    mod = 10**width
    return (x.astype(np.int64) * mult + add) % mod + mod


def _splitmix(x: np.ndarray) -> np.ndarray:
    """A uint64 hash (splitmix64 finaliser), for deterministic per-person draws."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _unit_hash(x: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) from a hash of x."""
    return (_splitmix(x) >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def _seg_index(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segments of the given lengths: (segment of each element, index in it)."""
    counts = counts.astype(np.int64)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(total, dtype=np.int64) - starts[owner]


def _choice(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return np.searchsorted(np.cumsum(w / w.sum()), rng.random(n), side="right")


def _ascii(s: str) -> str:
    if s in _HANZI:
        return _HANZI[s]
    s = "".join(_ASCII_EXTRA.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if ch.isascii() and (ch.isalnum())).lower()


def _local_seconds(rng: np.random.Generator, n: int, profile: np.ndarray) -> np.ndarray:
    """Seconds after local midnight, hour drawn from a 24-hour profile."""
    hour = _choice(rng, profile, n)
    return hour * HOUR + rng.integers(0, HOUR, n)


_ORDER_HOURS = np.array(
    [0.5, 0.3, 0.2, 0.15, 0.15, 0.3, 0.8, 1.5, 2.2, 2.6, 2.8, 3.0]
    + [3.2, 3.0, 2.8, 2.7, 2.8, 3.1, 3.5, 4.0, 4.2, 3.6, 2.4, 1.2]
)
_OFFICE_HOURS = np.array(
    [0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.4, 1.2, 2.5, 3.2, 3.2, 3.0]
    + [2.4, 2.8, 3.0, 2.9, 2.6, 2.0, 1.4, 1.2, 1.0, 0.8, 0.5, 0.2]
)


# --------------------------------------------------------------------------------------
# Formatting (vectorised, to pyarrow string arrays)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fmt:
    """Lookup tables that turn integer seconds/days/cents into text fast."""

    days: pa.Array  # "YYYY-MM-DD" for epoch days 0 .. 2100-01-01
    tod: pa.Array  # "THH:MM:SSZ" for seconds of day

    @staticmethod
    def build() -> _Fmt:
        n = (date(2100, 1, 1) - _EPOCH).days
        days = np.datetime_as_string(np.arange(n).astype("datetime64[D]"))
        tod = [
            f"T{h:02d}:{m:02d}:{s:02d}Z"
            for h in range(24)
            for m in range(60)
            for s in range(60)
        ]
        return _Fmt(pa.array(days, pa.string()), pa.array(tod, pa.string()))

    def ts(self, secs: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
        secs = np.asarray(secs, dtype=np.int64)
        d, s = np.divmod(np.maximum(secs, 0), DAY)
        out = pc.binary_join_element_wise(
            self.days.take(pa.array(d)), self.tod.take(pa.array(s)), ""
        )
        if valid is not None:
            out = pc.if_else(pa.array(valid), out, pa.scalar(None, pa.string()))
        return out

    def date(self, secs: np.ndarray) -> pa.Array:
        return self.days.take(pa.array(np.asarray(secs, dtype=np.int64) // DAY))


def _money(cents: np.ndarray, scale: int = 2) -> pa.Array:
    """Integer minor units to plain decimal text ("12.50", "-0.05")."""
    arr = pa.array(np.asarray(cents, dtype=np.int64)).cast(pa.decimal128(19, 0))
    return arr.view(pa.decimal128(19, scale)).cast(pa.string())


def _ints(x: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(x, dtype=np.int64)).cast(pa.string())


def _pick(table: Sequence[str | None], idx: np.ndarray) -> pa.Array:
    return pa.array(list(table), pa.string()).take(pa.array(np.asarray(idx)))


def _bools(x: np.ndarray) -> pa.Array:
    return _pick(("false", "true"), np.asarray(x, dtype=np.int64))


def _strs(values: Sequence[str | None] | np.ndarray) -> pa.Array:
    return pa.array(
        list(values) if isinstance(values, np.ndarray) else values, pa.string()
    )


def _take(values: np.ndarray, idx: np.ndarray) -> pa.Array:
    """values[idx] as a string array, without building Python lists of the result."""
    return pa.array(values, pa.string()).take(pa.array(np.asarray(idx, dtype=np.int64)))


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


# --------------------------------------------------------------------------------------
# The world: calendar, catalogue, fx, campaigns (shared by all chunks)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Catalog:
    sku: np.ndarray  # object
    name: np.ndarray  # object
    cat: np.ndarray  # int, sorted
    price: np.ndarray  # USD cents
    cost: np.ndarray  # USD cents
    inventory: np.ndarray
    updated: np.ndarray  # epoch seconds
    quality: np.ndarray  # mean review rating
    size: np.ndarray  # 0/1/2 bag size for beans, 0 otherwise
    key: np.ndarray  # cat + cumulative popularity within category
    cat_cdf: np.ndarray  # category popularity cdf
    trans_cdf: np.ndarray  # (n_cat, n_cat) next-line category cdf


@dataclass(frozen=True)
class _Campaigns:
    cid: np.ndarray  # object
    name: np.ndarray  # object
    channel: np.ndarray  # 0 email, 1 sms
    segment: np.ndarray
    experiment: np.ndarray  # object ("" none)
    exp_key: np.ndarray  # int, 0 none
    holdout: np.ndarray  # share held out
    sent: np.ndarray  # epoch seconds
    offer: np.ndarray  # object label ("" none)
    code: np.ndarray  # discount code index, -1 none
    reach: np.ndarray


@dataclass(frozen=True)
class _World:
    seed: int
    start: date
    end: date
    n_days: int
    t0: int  # epoch seconds of start 00:00Z
    t_end: int  # epoch seconds of end + 1 day 00:00Z (exclusive)
    intensity: np.ndarray  # per day, mean 1
    cum: np.ndarray  # cumulative intensity at day boundaries (n_days + 1)
    acq_cdf: np.ndarray  # new-customer arrival cdf over days
    month: np.ndarray  # per day, 1-12
    bfcm: np.ndarray  # per day, Black Friday .. Cyber Monday
    gift: np.ndarray  # per day, December gift rush
    catalog: _Catalog
    fx: np.ndarray  # (currency, day) USD per unit
    campaigns: _Campaigns
    fmt: _Fmt
    shape: Shape


def _history_start(end: date, years: int = 3) -> date:
    try:
        back = end.replace(year=end.year - years)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - years, day=28)
    return back + timedelta(days=1)


def _thanksgiving(year: int) -> date:
    first = date(year, 11, 1)
    offset = (3 - first.weekday()) % 7
    return first + timedelta(days=offset + 21)


def _build_world(seed: int, end: date, shape: Shape | None = None) -> _World:
    shape = shape or get_shape(DEFAULT_SHAPE)
    start = _history_start(end, shape.history_years)
    n_days = (end - start).days + 1
    t0 = (start - _EPOCH).days * DAY
    days = [start + timedelta(days=i) for i in range(n_days)]
    month = np.array([d.month for d in days])
    weekday = np.array([d.weekday() for d in days])
    month_factor = np.array(
        [0.85, 0.82, 0.95, 0.95, 1.0, 0.95, 0.9, 0.9, 1.0, 1.05, 1.55, 1.75]
    )
    week_factor = np.array([1.04, 1.02, 1.0, 1.0, 0.97, 0.92, 1.05])
    bfcm = np.zeros(n_days, dtype=bool)
    gift = np.zeros(n_days, dtype=bool)
    for i, d in enumerate(days):
        bf = _thanksgiving(d.year) + timedelta(days=1)
        bfcm[i] = bf <= d <= bf + timedelta(days=3)
        gift[i] = d.month == 12 and 1 <= d.day <= 18
    intensity = month_factor[month - 1] * week_factor[weekday]
    intensity = (intensity + 1.6 * bfcm + 0.35 * gift) ** shape.seasonality
    intensity = intensity / intensity.mean()
    cum = np.concatenate([[0.0], np.cumsum(intensity)])
    growth = np.exp(np.log(shape.growth) * np.arange(n_days) / n_days)
    acq = intensity * growth
    acq_cdf = np.cumsum(acq) / acq.sum()
    return _World(
        seed=seed,
        start=start,
        end=end,
        n_days=n_days,
        t0=t0,
        t_end=t0 + n_days * DAY,
        intensity=intensity,
        cum=cum,
        acq_cdf=acq_cdf,
        month=month,
        bfcm=bfcm,
        gift=gift,
        catalog=_build_catalog(
            _rng(seed, _S_CATALOG), t0 + n_days * DAY, shape.price_factor
        ),
        fx=_build_fx(_rng(seed, _S_FX), n_days),
        campaigns=_build_campaigns(_rng(seed, _S_CAMPAIGNS), days, t0),
        fmt=_Fmt.build(),
        shape=shape,
    )


def _round_price(usd: float, rng: np.random.Generator) -> int:
    ending = rng.choice([99, 0, 50, 95], p=[0.6, 0.2, 0.1, 0.1])
    dollars = max(int(usd), 1)
    return dollars * 100 + int(ending) if ending else dollars * 100


def _build_catalog(
    rng: np.random.Generator, t_end: int, price_factor: float = 1.0
) -> _Catalog:
    sku: list[str] = []
    name: list[str] = []
    cat: list[int] = []
    price: list[int] = []
    size: list[int] = []
    for c, (prefix, n_sku, _pop, _lo, _hi) in enumerate(_CAT_SPEC):
        cname = CATEGORIES[c]
        if cname == "coffee_beans":
            combos = [
                (f"{o} {r} {label}", s)
                for o in _ORIGINS
                for r in _ROASTS
                for s, (label, _) in enumerate(_BEAN_SIZES)
            ]
        elif cname == "tea":
            combos = [(f"{t}, {f}", 0) for t in _TEAS for f in _TEA_FORMS]
        else:
            heads, tails = _PRODUCT_WORDS[cname]
            combos = [(f"{h} {t}", 0) for h in heads for t in tails]
        if len(combos) < n_sku:
            raise ValueError(f"{cname}: {len(combos)} names for {n_sku} SKUs")
        for j, pick in enumerate(rng.permutation(len(combos))[:n_sku]):
            label, s = combos[pick]
            if cname == "coffee_beans":
                usd = rng.uniform(14, 24) * _BEAN_SIZES[s][1]
                usd *= 2.2 if "Geisha" in label else 1.0
            else:
                med, sig, lo, hi = _PRICE[cname]
                usd = float(np.clip(rng.lognormal(np.log(med), sig), lo, hi))
            sku.append(f"{prefix}-{1001 + j}")
            name.append(label)
            cat.append(c)
            price.append(_round_price(usd * price_factor, rng))
            size.append(s)
    n = len(sku)
    cat_a = np.array(cat)
    price_a = np.array(price, dtype=np.int64)
    lo = np.array([_CAT_SPEC[c][3] for c in cat])
    hi = np.array([_CAT_SPEC[c][4] for c in cat])
    margin = rng.uniform(lo, hi)
    # a few loss leaders (sampler bags, filters, a promo mug) sell below cost
    leaders = rng.choice(np.flatnonzero(np.isin(cat_a, [0, 5, 6])), 5, replace=False)
    margin[leaders] = rng.uniform(-0.3, -0.05, len(leaders))
    cost = np.rint(price_a * (1 - margin)).astype(np.int64)
    inventory = np.rint(rng.lognormal(4.0, 1.1, n)).astype(np.int64)
    inventory[rng.random(n) < 0.08] = 0
    updated = t_end - rng.integers(3600, 120 * DAY, n)
    quality = rng.uniform(3.3, 4.8, n)
    quality[leaders] = 4.5
    weights = np.empty(n)
    for c in range(len(CATEGORIES)):
        idx = np.flatnonzero(cat_a == c)
        w = 1.0 / (np.arange(1, len(idx) + 1) ** 0.9)
        weights[idx] = rng.permutation(w) / w.sum()
    key = cat_a + np.concatenate(
        [np.cumsum(weights[cat_a == c]) for c in range(len(CATEGORIES))]
    )
    key[np.r_[cat_a[1:] != cat_a[:-1], True]] = (
        cat_a[np.r_[cat_a[1:] != cat_a[:-1], True]] + 1.0
    )
    pop = np.array([spec[2] for spec in _CAT_SPEC])
    pop = pop / pop.sum()
    k = len(CATEGORIES)
    trans = np.zeros((k, k))
    cidx = {c: i for i, c in enumerate(CATEGORIES)}
    for c in range(k):
        related = [cidx[b] for a, b in CATEGORY_RELATIONS if cidx[a] == c]
        trans[c] += 0.35 * pop
        trans[c, c] += 0.2
        for r in related:
            trans[c, r] += 0.45 / len(related)
        trans[c] /= trans[c].sum()
    return _Catalog(
        sku=np.array(sku, dtype=object),
        name=np.array(name, dtype=object),
        cat=cat_a,
        price=price_a,
        cost=cost,
        inventory=inventory,
        updated=updated,
        quality=quality,
        size=np.array(size),
        key=key,
        cat_cdf=np.cumsum(pop),
        trans_cdf=np.cumsum(trans, axis=1),
    )


def _build_fx(rng: np.random.Generator, n_days: int) -> np.ndarray:
    fx = np.ones((len(CURRENCIES), n_days))
    for c in range(1, len(CURRENCIES)):
        anchor = np.log(_FX_ANCHOR[c])
        x = anchor + rng.normal(0, 0.02)
        shocks = rng.normal(0, 0.0035, n_days)
        for d in range(n_days):
            x += 0.01 * (anchor - x) + shocks[d]
            fx[c, d] = np.exp(x)
    return np.round(fx, 6)


_NEWSLETTER_THEMES = (
    "New arrival: {origin}",
    "Brew guide: the perfect pour-over",
    "Meet the farmers behind {origin}",
    "5 ways to use your AeroPress",
    "Back in stock: {origin}",
    "This week's roast, tasting notes, and a recipe",
    "Cold brew season is here",
    "Tea time: {tea}",
    "Staff picks: grinders, kettles, and scales",
    "Why fresh beans matter",
)
_LIFECYCLE_NAMES = MappingProxyType(
    {
        _SEG_CHAMPIONS: ("VIP early access: {origin}", "A thank-you for our regulars"),
        _SEG_NEW2: ("Ready for bag number two?", "Your next bag, 10% off"),
        _SEG_AT_RISK: ("Running low on beans?", "We saved you a bag"),
        _SEG_WIN_BACK: ("We miss you: 15% off", "Come back for {origin}"),
        _SEG_LOST: ("It's been a while: 20% off", "Still brewing? 20% off"),
        _SEG_UNENGAGED: ("Still want to hear from us?", "Your picks, or unsubscribe"),
        _SEG_B2B: ("Office coffee, sorted", "Wholesale price list {year}"),
    }
)


def _build_campaigns(rng: np.random.Generator, days: list[date], t0: int) -> _Campaigns:
    rows: list[tuple[int, str, int, int, str, float, str, float]] = []
    # (day, name, channel, segment, experiment, holdout, offer, reach)
    lifecycle = (
        _SEG_CHAMPIONS,
        _SEG_NEW2,
        _SEG_AT_RISK,
        _SEG_WIN_BACK,
        _SEG_NEW2,
        _SEG_LOST,
        _SEG_UNENGAGED,
        _SEG_AT_RISK,
        _SEG_B2B,
    )
    lifecycle_offer = MappingProxyType(
        {
            _SEG_CHAMPIONS: "vip_free_shipping",
            _SEG_NEW2: "next_10_percent",
            _SEG_AT_RISK: "10_percent",
            _SEG_WIN_BACK: "15_percent",
            _SEG_LOST: "20_percent",
            _SEG_UNENGAGED: "",
            _SEG_B2B: "",
        }
    )
    end = days[-1]
    last_quarters = set()
    q_year, q = end.year, (end.month - 1) // 3 + 1
    for _ in range(5):
        last_quarters.add((q_year, q))
        q -= 1
        if q == 0:
            q_year, q = q_year - 1, 4

    def fill(template: str, d: date) -> str:
        return template.format(
            origin=_ORIGINS[rng.integers(len(_ORIGINS))],
            tea=_TEAS[rng.integers(len(_TEAS))],
            year=d.year,
        )

    week = 0
    for i, d in enumerate(days):
        wd = d.weekday()
        quarter = (d.year, (d.month - 1) // 3 + 1)
        bf = _thanksgiving(d.year) + timedelta(days=1)
        if wd == 1:  # Tuesday newsletter
            week += 1
            seg = _SEG_ALL if week % 2 else _SEG_ENGAGED
            offer = "free_shipping" if rng.random() < 0.15 else ""
            theme = _NEWSLETTER_THEMES[rng.integers(len(_NEWSLETTER_THEMES))]
            exp = ""
            if quarter in last_quarters and week % 6 == 0:
                exp = f"subject_ab_{quarter[0]}q{quarter[1]}"
            name = f"Newsletter {d:%Y-%m-%d}: {fill(theme, d)}"
            rows.append((i, name, 0, seg, exp, 0.0, offer, 0.35))
        if wd == 3:  # Thursday lifecycle email
            seg = lifecycle[week % len(lifecycle)]
            tmpl = _LIFECYCLE_NAMES[seg][week % 2]
            exp, hold = "", 0.0
            if quarter in last_quarters and seg in (
                _SEG_NEW2,
                _SEG_AT_RISK,
                _SEG_WIN_BACK,
                _SEG_LOST,
                _SEG_CHAMPIONS,
            ):
                exp, hold = f"holdout_{quarter[0]}q{quarter[1]}", 0.2
            name = f"{SEGMENTS[seg]} {d:%Y-%m-%d}: {fill(tmpl, d)}"
            rows.append((i, name, 0, seg, exp, hold, lifecycle_offer[seg], 1.0))
        if wd == 4 and week % 2 == 0:  # fortnightly SMS
            offer = "flash_10_percent" if rng.random() < 0.5 else ""
            text = "Flash sale: 10% off for 48h" if offer else "New roast just dropped"
            rows.append(
                (i, f"SMS {d:%Y-%m-%d}: {text}", 1, _SEG_ALL, "", 0.0, offer, 1.0)
            )
        if d == bf - timedelta(days=2):
            rows.append(
                (
                    i,
                    f"BFCM {d.year}: VIP early access",
                    0,
                    _SEG_CHAMPIONS,
                    "",
                    0.0,
                    "25_percent",
                    1.0,
                )
            )
        if d == bf:
            rows.append(
                (
                    i,
                    f"Black Friday {d.year}: 25% off everything",
                    0,
                    _SEG_ALL,
                    "",
                    0.0,
                    "25_percent",
                    1.0,
                )
            )
            rows.append(
                (
                    i,
                    f"SMS Black Friday {d.year}: 25% off, today only",
                    1,
                    _SEG_ALL,
                    "",
                    0.0,
                    "25_percent",
                    1.0,
                )
            )
        if d == bf + timedelta(days=3):
            rows.append(
                (
                    i,
                    f"Cyber Monday {d.year}: last chance, 25% off",
                    0,
                    _SEG_ALL,
                    "",
                    0.0,
                    "25_percent",
                    1.0,
                )
            )
        if d.month == 12 and d.day == 12:
            rows.append(
                (
                    i,
                    f"Holiday {d.year}: order by Dec 18, gifts arrive in time",
                    0,
                    _SEG_ALL,
                    "",
                    0.0,
                    "free_shipping",
                    1.0,
                )
            )
    n = len(rows)
    day = np.array([r[0] for r in rows])
    channel = np.array([r[2] for r in rows])
    sent = t0 + day * DAY + 14 * HOUR + rng.integers(0, 3600, n) + 3 * HOUR * channel
    experiments = sorted({r[4] for r in rows if r[4]})
    exp_key = np.array([experiments.index(r[4]) + 1 if r[4] else 0 for r in rows])
    offers = [r[6] for r in rows]
    return _Campaigns(
        cid=np.array(
            [
                f"cmp_{days[r[0]]:%Y%m%d}_{'es'[r[2]]}{j:04d}"
                for j, r in enumerate(rows)
            ],
            dtype=object,
        ),
        name=np.array([r[1] for r in rows], dtype=object),
        channel=channel,
        segment=np.array([r[3] for r in rows]),
        experiment=np.array([r[4] for r in rows], dtype=object),
        exp_key=exp_key,
        holdout=np.array([r[5] for r in rows]),
        sent=sent.astype(np.int64),
        offer=np.array([_OFFER_LABEL.get(o, o) for o in offers], dtype=object),
        code=np.array([_OFFERS[o] for o in offers]),
        reach=np.array([r[7] for r in rows]),
    )


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------

_KIND_PROSPECT, _KIND_BUYER, _KIND_GUEST = 0, 1, 2
_ETYPE_ENGAGED, _ETYPE_CASUAL, _ETYPE_DORMANT = 0, 1, 2
_NEVER = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class _People:
    n: int
    gidx: np.ndarray
    kind: np.ndarray
    b2b: np.ndarray
    country: np.ndarray  # index into _COUNTRIES
    geo: np.ndarray  # index into _GEO
    tz: np.ndarray  # hours
    currency: np.ndarray
    language: np.ndarray  # object
    first: np.ndarray  # object
    last: np.ndarray  # object
    email: np.ndarray  # object, lower case
    email_cased: np.ndarray  # object, a capitalised variant
    cased_user: np.ndarray  # writes the capitalised variant now and then
    phone: np.ndarray  # object or None
    postal: np.ndarray  # object
    company: np.ndarray  # object or None
    company_size: np.ndarray
    industry: np.ndarray
    created: np.ndarray  # first account (or signup) time; guests: first order
    first_order: np.ndarray  # _NEVER when none
    n_accounts: np.ndarray
    acct_created: np.ndarray  # (n, 3), _NEVER when absent
    email_consent: np.ndarray
    sms_consent: np.ndarray
    etype: np.ndarray
    open_base: np.ndarray
    deal: np.ndarray
    spend: np.ndarray  # standard normal spend level
    fav_cat: np.ndarray
    gap_mean: np.ndarray  # days of shop time
    gap_shape: np.ndarray
    p_drop: np.ndarray
    bounce_at: np.ndarray
    sms_bad: np.ndarray
    erased_at: np.ndarray  # _NEVER when none
    manual_at: np.ndarray  # manual suppression, _NEVER when none
    grump: np.ndarray
    tax: np.ndarray


def _postal(country: str, prefix: str, r: int) -> str:
    a = "ABCEGHJKLMNPRSTVWXYZ"
    if country == "US":
        z = f"{prefix}{r % 100:02d}"
        return f"{z}-{r // 100 % 10000:04d}" if r % 13 == 0 else z
    if country == "CA":
        return f"{prefix} {r % 10}{a[r // 10 % 20]}{r // 200 % 10}"
    if country == "GB":
        return f"{prefix} {r % 10}{a[r // 10 % 20]}{a[r // 200 % 20]}"
    if country in ("DE", "ES"):
        return f"{prefix}{r % 1000:03d}"
    if country == "FR":
        return f"{prefix}{r % 20 + 1:02d}"
    if country == "NL":
        return f"{prefix}{r % 100:02d} {a[r // 100 % 20]}{a[r // 2000 % 20]}"
    return f"{prefix}{r % 100:02d}"


_AREA_CODES_US = ("415", "212", "512", "206", "312", "305", "503", "617", "720", "404")
_AREA_CODES_CA = ("416", "613", "514", "418", "604", "403")


def _phone(country: str, style: int, r: int) -> str:
    d = f"{r:010d}"
    if country in ("US", "CA"):
        areas = _AREA_CODES_CA if country == "CA" else _AREA_CODES_US
        area = areas[r % len(areas)]
        ex, ln = d[3:6], d[6:10]
        ex = str(int(ex) % 800 + 200)
        return (
            f"({area}) {ex}-{ln}",
            f"{area}-{ex}-{ln}",
            f"+1 {area} {ex} {ln}",
            f"+1{area}{ex}{ln}",
            f"{area}.{ex}.{ln}",
        )[style % 5]
    if country == "GB":
        return (f"+44 7700 {d[4:10]}", f"07700 {d[4:10]}", f"+447700{d[4:10]}")[
            style % 3
        ]
    if country == "DE":
        return (f"+49 151 {d[2:10]}", f"0151 {d[2:10]}", f"+49 (0)151 {d[2:10]}")[
            style % 3
        ]
    if country == "FR":
        p = f"6 {d[2:4]} {d[4:6]} {d[6:8]} {d[8:10]}"
        return (f"+33 {p}", f"0{p}", f"+33{p.replace(' ', '')}")[style % 3]
    if country == "ES":
        return (f"+34 6{d[2:4]} {d[4:7]} {d[7:10]}", f"6{d[2:4]}{d[4:10]}")[style % 2]
    if country == "NL":
        return (f"+31 6 {d[2:10]}", f"06-{d[2:10]}")[style % 2]
    return (f"+61 4{d[2:4]} {d[4:7]} {d[7:10]}", f"04{d[2:4]} {d[4:7]} {d[7:10]}")[
        style % 2
    ]


def _cased(email: str, style: int) -> str:
    local, domain = email.split("@")
    if style == 0:
        return f"{local.title()}@{domain}"
    if style == 1:
        return f"{local.title()}@{domain.title()}"
    return email.upper()


def _make_people(w: _World, rng: np.random.Generator, lo: int, n: int) -> _People:
    s = w.shape
    gidx = np.arange(lo, lo + n, dtype=np.int64)
    kind = _choice(rng, (s.share_prospect, s.share_buyer, s.share_guest), n)
    buyer = kind == _KIND_BUYER
    b2b = (rng.random(n) < np.where(buyer, s.b2b_buyers, s.b2b_others)) & (
        kind != _KIND_GUEST
    )
    country = _choice(rng, [c[1] for c in _COUNTRIES], n)
    geo = np.empty(n, dtype=np.int64)
    codes = [c[0] for c in _COUNTRIES]
    geo_country = np.array([codes.index(g[0]) for g in _GEO])
    for c in range(len(_COUNTRIES)):
        m = country == c
        opts = np.flatnonzero(geo_country == c)
        geo[m] = opts[rng.integers(0, len(opts), int(m.sum()))]
    tz = np.array([g[5] for g in _GEO])[geo]
    tax = np.array([g[4] for g in _GEO])[geo]
    tax = np.where(b2b & (country != 0), 0.0, tax)
    cur_home = np.array([c[2] for c in _COUNTRIES])[country]
    currency = np.where(rng.random(n) < 0.92, cur_home, 0)
    culture = np.empty(n, dtype=np.int64)
    for c in range(len(_COUNTRIES)):
        m = country == c
        culture[m] = _choice(rng, _CULTURE_MIX[c], int(m.sum()))
    lang_default = np.array([c[3] for c in _COUNTRIES], dtype=object)[country]
    language = lang_default.copy()
    region = np.array([g[1] for g in _GEO], dtype=object)[geo]
    language[(region == "QC") & (rng.random(n) < 0.85)] = "fr"
    language[(culture == 1) & (country == 0) & (rng.random(n) < 0.5)] = "es"
    language[(culture == 6) & (rng.random(n) < 0.5)] = "zh"
    language[(country == 6) & (rng.random(n) < 0.3)] = "en"

    # arrival: growth x seasonality; time of day by local profile
    day = np.searchsorted(w.acq_cdf, rng.random(n), side="right")
    sec = _local_seconds(rng, n, _ORDER_HOURS) - tz * HOUR
    arrive = np.clip(w.t0 + day * DAY + sec, w.t0, w.t_end - 1)
    newsletter_first = rng.random(n) < 0.3
    delay = (rng.exponential(35.0, n) * DAY).astype(np.int64)
    first_order = np.where(newsletter_first, arrive + delay, arrive)
    created = np.where(
        newsletter_first, arrive, arrive - rng.integers(30, 900, n)
    ).clip(w.t0)
    first_order = np.where(kind == _KIND_GUEST, arrive, first_order)
    created = np.where(kind == _KIND_GUEST, arrive, created)
    first_order = np.where(
        (kind == _KIND_PROSPECT) | (first_order >= w.t_end), _NEVER, first_order
    )

    # accounts: guests none; 4% of buyers have two or three
    n_acc = np.where(kind == _KIND_GUEST, 0, 1)
    multi = buyer & (rng.random(n) < 0.045) & (first_order < _NEVER)
    n_acc = np.where(multi, np.where(rng.random(n) < 0.8, 2, 3), n_acc)
    acct_created = np.full((n, 3), _NEVER, dtype=np.int64)
    acct_created[:, 0] = np.where(n_acc > 0, created, _NEVER)
    span = np.maximum(w.t_end - first_order, DAY)
    for j in (1, 2):
        extra = np.sort(rng.random((n, 2)), axis=1)[:, j - 1]
        t = first_order + (extra * span * 0.8).astype(np.int64) + HOUR
        acct_created[:, j] = np.where(n_acc > j, t, _NEVER)

    # purchase behaviour
    b2b_buyer = b2b & buyer
    devoted = buyer & ~b2b & (rng.random(n) < s.devoted)
    gap_mean = np.clip(
        rng.lognormal(np.log(s.gap_days), s.gap_sigma, n), s.gap_min, s.gap_max
    )
    b2b_gap = rng.lognormal(np.log(s.b2b_gap_days), s.b2b_gap_sigma, n)
    gap_mean = np.where(
        b2b_buyer, np.clip(b2b_gap, s.b2b_gap_min, s.b2b_gap_max), gap_mean
    )
    devoted_gap = rng.lognormal(np.log(s.devoted_gap_days), s.devoted_gap_sigma, n)
    gap_mean = np.where(
        devoted, np.clip(devoted_gap, s.devoted_gap_min, s.devoted_gap_max), gap_mean
    )
    gap_shape = rng.uniform(s.shape_min, s.shape_max, n)
    p_drop = rng.beta(s.drop_a, s.drop_b, n)
    p_drop = np.where(devoted, rng.beta(s.devoted_drop_a, s.devoted_drop_b, n), p_drop)
    p_drop = np.where(b2b_buyer, rng.beta(s.b2b_drop_a, s.b2b_drop_b, n), p_drop)
    one_done = buyer & ~b2b & ~devoted & (rng.random(n) < s.one_time)
    p_drop = np.where(one_done | (kind == _KIND_GUEST), 1.0, p_drop)
    p_drop = np.where(
        kind == _KIND_GUEST,
        np.where(rng.random(n) < s.guest_one_time, 1.0, rng.beta(1.5, 5.0, n)),
        p_drop,
    )
    spend = rng.normal(0, 1, n) + 0.8 * b2b
    fav_cat = np.searchsorted(w.catalog.cat_cdf, rng.random(n), side="right")
    fav_cat = np.where(rng.random(n) < 0.45, 0, fav_cat)
    fav_cat = np.where(b2b, 0, fav_cat)
    deal = buyer & (rng.random(n) < s.deal_share)

    # marketing
    has_acct = n_acc > 0
    email_consent = has_acct & (
        rng.random(n) < np.where(kind == _KIND_PROSPECT, 0.93, np.where(b2b, 0.5, 0.62))
    )
    has_phone = has_acct & (rng.random(n) < 0.65)
    sms_consent = has_phone & (rng.random(n) < np.where(country <= 2, 0.32, 0.1))
    etype = _choice(rng, (0.3, 0.45, 0.25), n)
    open_base = np.array([0.5, 0.2, 0.02])[etype] * rng.uniform(0.6, 1.4, n)
    bounce_at = np.full(n, _NEVER, dtype=np.int64)
    dies = rng.random(n)
    later = created + (rng.random(n) * 2 * 365 * DAY).astype(np.int64)
    bounce_at = np.where(dies < 0.025, later, bounce_at)
    bounce_at = np.where(dies > 0.996, created, bounce_at)
    sms_bad = rng.random(n) < 0.015
    u = rng.random(n)
    # a handful of erasure requests (at least two in a chunk of some size)
    n_erase = max(int(rng.binomial(n, 0.001)), 2 if n >= 200 else 0)
    cand = np.flatnonzero(has_acct & (created < w.t_end - 60 * DAY))
    erase = rng.choice(cand, min(n_erase, len(cand)), replace=False)
    erased_at = np.full(n, _NEVER, dtype=np.int64)
    room = w.t_end - created[erase] - 30 * DAY
    erased_at[erase] = (
        created[erase] + 30 * DAY + (rng.random(len(erase)) * room).astype(np.int64)
    )
    manual_at = np.where(
        has_acct & (u > 0.9985) & email_consent,
        created + (rng.random(n) * (w.t_end - created)).astype(np.int64),
        _NEVER,
    )
    grump = rng.normal(0, 0.5, n)

    # text: names, emails, phones, addresses, companies
    first = np.empty(n, dtype=object)
    last = np.empty(n, dtype=object)
    first_ascii = np.empty(n, dtype=object)
    last_ascii = np.empty(n, dtype=object)
    for c, (firsts, lasts) in enumerate(_CULTURES):
        m = np.flatnonzero(culture == c)
        fi = rng.integers(0, len(firsts), len(m))
        li = rng.integers(0, len(lasts), len(m))
        first[m] = np.array(firsts, dtype=object)[fi]
        last[m] = np.array(lasts, dtype=object)[li]
        first_ascii[m] = np.array([_ascii(x) or "coffee" for x in firsts], object)[fi]
        last_ascii[m] = np.array([_ascii(x) or "lover" for x in lasts], object)[li]
    domain = np.empty(n, dtype=object)
    for c in range(len(_COUNTRIES)):
        m = np.flatnonzero(country == c)
        names = [d for d, _ in _DOMAINS[c]]
        domain[m] = np.array(names, dtype=object)[
            _choice(rng, [p for _, p in _DOMAINS[c]], len(m))
        ]
    company = np.full(n, None, dtype=object)
    company_size = np.full(n, None, dtype=object)
    industry = np.full(n, None, dtype=object)
    ca = rng.integers(0, len(_COMPANY_A), n)
    cb = rng.integers(0, len(_COMPANY_B), n)
    cs = rng.integers(0, 1000, n)
    for i in np.flatnonzero(b2b):
        cc = _COUNTRIES[country[i]][0]
        sfx = _COMPANY_SUFFIX[cc][cs[i] % len(_COMPANY_SUFFIX[cc])]
        if cs[i] % 9 == 0:
            company[i] = f"{last[i]}, {_COMPANY_A[ca[i]].split()[0]} & Partners {sfx}"
        else:
            company[i] = f"{_COMPANY_A[ca[i]]} {_COMPANY_B[cb[i]]} {sfx}"
        slug = _ascii(_COMPANY_A[ca[i]]) + _ascii(_COMPANY_B[cb[i]].split()[0])
        tld = {"US": "com", "CA": "ca", "GB": "co.uk", "AU": "com.au"}.get(cc)
        domain[i] = f"{slug}.{tld or cc.lower()}"
    company_size[b2b] = np.array(_COMPANY_SIZES, dtype=object)[
        _choice(rng, (0.45, 0.3, 0.15, 0.07, 0.03), int(b2b.sum()))
    ]
    industry[b2b] = np.array(_INDUSTRIES, dtype=object)[
        rng.integers(0, len(_INDUSTRIES), int(b2b.sum()))
    ]
    number = _scramble(gidx, 2_654_437, 7_654_321, 7) - 10**7
    pattern = _choice(rng, (0.4, 0.2, 0.15, 0.15, 0.1), n)
    case_style = rng.integers(0, 3, n)
    cased_user = rng.random(n) < 0.1
    phone_style = rng.integers(0, 5, n)
    phone_r = rng.integers(0, 10**10, n)
    postal_r = rng.integers(0, 10**8, n)
    email = np.empty(n, dtype=object)
    email_cased = np.empty(n, dtype=object)
    phone = np.full(n, None, dtype=object)
    postal = np.empty(n, dtype=object)
    countries = [c[0] for c in _COUNTRIES]
    for i in range(n):
        f = first_ascii[i]
        la = last_ascii[i]
        num = int(number[i])
        p = pattern[i]
        if p == 0:
            local = f"{f}.{la}{num}"
        elif p == 1:
            local = f"{f[0]}{la}{num}"
        elif p == 2:
            local = f"{f}{la[0]}{num}"
        elif p == 3:
            local = f"{la}.{f}{num}"
        else:
            local = f"{f}_{la}{num}"
        e = f"{local}@{domain[i]}"
        email[i] = e
        email_cased[i] = _cased(e, int(case_style[i]))
        cc = countries[country[i]]
        if has_phone[i]:
            phone[i] = _phone(cc, int(phone_style[i]), int(phone_r[i]))
        postal[i] = _postal(cc, _GEO[geo[i]][3], int(postal_r[i]))
    return _People(
        n=n,
        gidx=gidx,
        kind=kind,
        b2b=b2b,
        country=country,
        geo=geo,
        tz=tz,
        currency=currency,
        language=language,
        first=first,
        last=last,
        email=email,
        email_cased=email_cased,
        cased_user=cased_user,
        phone=phone,
        postal=postal,
        company=company,
        company_size=company_size,
        industry=industry,
        created=created,
        first_order=first_order,
        n_accounts=n_acc,
        acct_created=acct_created,
        email_consent=email_consent,
        sms_consent=sms_consent,
        etype=etype,
        open_base=open_base,
        deal=deal,
        spend=spend,
        fav_cat=fav_cat,
        gap_mean=gap_mean,
        gap_shape=gap_shape,
        p_drop=p_drop,
        bounce_at=bounce_at,
        sms_bad=sms_bad,
        erased_at=erased_at,
        manual_at=manual_at,
        grump=grump,
        tax=tax,
    )


# --------------------------------------------------------------------------------------
# Purchases: a renewal process in shop time with dropout (BG/NBD-like)
# --------------------------------------------------------------------------------------


def _natural_orders(
    w: _World, rng: np.random.Generator, pp: _People
) -> tuple[np.ndarray, np.ndarray]:
    """(person, epoch seconds) of every natural purchase, unsorted."""
    days_grid = np.arange(w.n_days + 1, dtype=np.float64)
    buyers = np.flatnonzero(pp.first_order < _NEVER)
    fo = pp.first_order[buyers]
    u0 = np.interp((fo - w.t0) / DAY, days_grid, w.cum)
    room = w.cum[-1] - u0
    mean = pp.gap_mean[buyers]
    n_max = rng.geometric(pp.p_drop[buyers]) - 1  # purchases after the first
    cap = np.ceil(room / mean * 2.5 + 4).astype(np.int64)
    n_gaps = np.minimum(n_max, cap)
    owner, _ = _seg_index(n_gaps)
    shape = pp.gap_shape[buyers][owner]
    gaps = rng.gamma(shape, mean[owner] / shape)
    cs = np.cumsum(gaps)
    before = np.concatenate([[0.0], cs])  # sum of all gaps before index i
    offset = before[np.cumsum(n_gaps) - n_gaps]
    u = u0[owner] + cs - offset[owner]
    keep = u < w.cum[-1]
    owner, u = owner[keep], u[keep]
    day = np.floor(np.interp(u, w.cum, days_grid)).astype(np.int64)
    day = np.minimum(day, w.n_days - 1)
    person = buyers[owner]
    sec = _local_seconds(rng, len(person), _ORDER_HOURS) - pp.tz[person] * HOUR
    ts = np.clip(w.t0 + day * DAY + sec, w.t0, w.t_end - 1)
    ts = np.maximum(ts, pp.first_order[person] + 600)
    keep = ts < w.t_end
    person = np.concatenate([buyers, person[keep]])
    ts = np.concatenate([fo, ts[keep]])
    keep = ts < pp.erased_at[person]
    return person[keep], ts[keep]


def _order_index(
    n_people: int, person: np.ndarray, ts: np.ndarray, t0: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort orders by (person, time): (order, sort keys, first order of each person)."""
    key = person.astype(np.int64) * _KEY_SPAN + (ts - t0)
    order = np.argsort(key, kind="stable")
    start = np.searchsorted(person[order], np.arange(n_people + 1))
    return order, key[order], start


# --------------------------------------------------------------------------------------
# Campaign sends, engagement events, suppressions, campaign-driven orders
# --------------------------------------------------------------------------------------

_EV_TYPES = (
    "sent",
    "delivered",
    "opened",
    "clicked",
    "bounced",
    "unsubscribed",
    "spam_complaint",
)
_CHANNELS = ("email", "sms")


@dataclass(frozen=True)
class _Engagement:
    events: dict[str, np.ndarray]  # person, campaign, type, ts
    supp_person: np.ndarray
    supp_channel: np.ndarray
    supp_reason: np.ndarray  # object
    supp_ts: np.ndarray
    optout_email: np.ndarray  # per person, _NEVER when none
    optout_sms: np.ndarray
    lift_person: np.ndarray
    lift_ts: np.ndarray
    lift_campaign: np.ndarray


def _engagement(
    w: _World,
    rng: np.random.Generator,
    pp: _People,
    o_person: np.ndarray,
    o_ts: np.ndarray,
) -> _Engagement:
    cp = w.campaigns
    order, keys, _ = _order_index(pp.n, o_person, o_ts, w.t0)
    o_ts_sorted = o_ts[order]
    stop = np.minimum(pp.erased_at, pp.manual_at)
    consent = np.stack([pp.email_consent, pp.sms_consent], axis=1)
    acct0 = pp.acct_created[:, 0]
    sp_l, sc_l, sd_l, sn_l = [], [], [], []
    block = 48
    for b in range(0, len(cp.cid), block):
        cs = slice(b, b + block)
        sent = cp.sent[cs]
        elig = (
            consent[:, cp.channel[cs]]
            & (acct0[:, None] <= sent[None, :])
            & (stop[:, None] > sent[None, :])
        )
        pi, cj = np.nonzero(elig)
        cj = cj + b
        t = cp.sent[cj]
        rel = t - w.t0
        idx = np.searchsorted(keys, pi * _KEY_SPAN + rel)
        first = np.searchsorted(keys, pi * _KEY_SPAN)
        n_before = idx - first
        last = np.where(n_before > 0, o_ts_sorted[np.maximum(idx - 1, 0)], -_NEVER)
        dsl = (t - last) / DAY
        i365 = np.searchsorted(keys, pi * _KEY_SPAN + np.maximum(rel - 365 * DAY, 0))
        n365 = idx - i365
        age = (t - acct0[pi]) / DAY
        seg = cp.segment[cj]
        ok = np.select(
            [
                seg == _SEG_ALL,
                seg == _SEG_ENGAGED,
                seg == _SEG_CHAMPIONS,
                seg == _SEG_NEW2,
                seg == _SEG_AT_RISK,
                seg == _SEG_WIN_BACK,
                seg == _SEG_LOST,
                seg == _SEG_UNENGAGED,
                seg == _SEG_B2B,
            ],
            [
                np.ones(len(pi), dtype=bool),
                pp.etype[pi] != _ETYPE_DORMANT,
                (n365 >= 3) & (dsl <= 60),
                (n_before == 1) & (dsl >= 7) & (dsl <= 60),
                (n_before >= 2) & (dsl >= 90) & (dsl < 180),
                (n_before >= 1) & (dsl >= 180) & (dsl < 365),
                (n_before >= 1) & (dsl >= 365),
                (pp.etype[pi] == _ETYPE_DORMANT) | ((n_before == 0) & (age >= 90)),
                pp.b2b[pi],
            ],
            default=False,
        )
        ok &= rng.random(len(pi)) < cp.reach[cj]
        held = _unit_hash(pp.gidx[pi] * 7919 + cp.exp_key[cj]) < cp.holdout[cj]
        ok &= ~held
        sp_l.append(pi[ok])
        sc_l.append(cj[ok])
        sd_l.append(dsl[ok])
        sn_l.append(n_before[ok])
    sp = np.concatenate(sp_l)
    sc = np.concatenate(sc_l)
    dsl = np.concatenate(sd_l)
    nb = np.concatenate(sn_l)
    ch = cp.channel[sc]
    st = cp.sent[sc] + rng.integers(0, 1800, len(sp))
    o = np.lexsort((st, ch, sp))
    sp, sc, dsl, nb, ch, st = sp[o], sc[o], dsl[o], nb[o], ch[o], st[o]
    n = len(sp)

    # terminal outcomes: a hard bounce, unsubscribe or complaint ends the channel
    u = rng.random(n)
    email = ch == 0
    bounced = np.where(email, st >= pp.bounce_at[sp], pp.sms_bad[sp])
    p_unsub = np.where(email, np.array([0.0008, 0.0025, 0.004])[pp.etype[sp]], 0.006)
    p_spam = np.where(email, np.array([0.0001, 0.0001, 0.0005])[pp.etype[sp]], 0.0)
    unsub = ~bounced & (u < p_unsub)
    spam = ~bounced & ~unsub & (u < p_unsub + p_spam)
    term = bounced | unsub | spam
    group = sp * 2 + ch
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = group[1:] != group[:-1]
    c_excl = np.cumsum(term) - term
    base = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    keep = (c_excl - c_excl[base]) == 0
    sp, sc, dsl, nb, ch, st = (
        sp[keep],
        sc[keep],
        dsl[keep],
        nb[keep],
        ch[keep],
        st[keep],
    )
    bounced, unsub, spam, email = bounced[keep], unsub[keep], spam[keep], email[keep]
    n = len(sp)

    # opens and clicks: per-person base rate, decaying once a customer lapses
    decay = np.where(
        nb > 0,
        np.exp(-np.maximum(dsl - 90, 0) / 300),
        np.exp(-(st - pp.acct_created[sp, 0]) / DAY / 700),
    )
    delivered = ~bounced
    t_del = st + rng.integers(1, 600, n)
    opened = email & delivered & ((rng.random(n) < pp.open_base[sp] * decay) | unsub)
    t_open = t_del + np.minimum(rng.exponential(4 * HOUR, n), 3 * DAY).astype(np.int64)
    p_click = np.where(email, np.array([0.22, 0.12, 0.08])[pp.etype[sp]], 0.08 * decay)
    clicked = np.where(email, opened, delivered) & (rng.random(n) < p_click) & ~unsub
    t_click = np.where(email, t_open, t_del) + rng.integers(5, 1800, n)
    t_unsub = np.where(opened, t_open, t_del) + rng.integers(10, 900, n)
    t_spam = t_del + rng.integers(60, 12 * HOUR, n)

    parts = [
        (np.ones(n, dtype=bool), st, 0),
        (delivered, t_del, 1),
        (opened, t_open, 2),
        (clicked, t_click, 3),
        (bounced, t_del, 4),
        (unsub, t_unsub, 5),
        (spam, t_spam, 6),
    ]
    ev_send = np.concatenate([np.flatnonzero(m) for m, _, _ in parts])
    ev_type = np.concatenate([np.full(int(m.sum()), k) for m, _, k in parts])
    ev_ts = np.concatenate([t[m] for m, t, _ in parts])
    ok = ev_ts < w.t_end
    ev_send, ev_type, ev_ts = ev_send[ok], ev_type[ok], ev_ts[ok]
    o = np.lexsort((ev_type, ev_ts, sp[ev_send]))
    ev_send, ev_type, ev_ts = ev_send[o], ev_type[o], ev_ts[o]

    # suppressions from terminal events (same timestamp), plus manual ones
    term_ok = (bounced & (t_del < w.t_end)) | (unsub & (t_unsub < w.t_end))
    term_ok |= spam & (t_spam < w.t_end)
    ti = np.flatnonzero(term_ok)
    reason = np.where(
        bounced[ti], "bounced", np.where(unsub[ti], "unsubscribed", "spam_complaint")
    ).astype(object)
    t_term = np.where(
        bounced[ti], t_del[ti], np.where(unsub[ti], t_unsub[ti], t_spam[ti])
    )
    man = np.flatnonzero(pp.manual_at < w.t_end)
    supp_person = np.concatenate([sp[ti], man])
    supp_channel = np.concatenate([ch[ti], np.zeros(len(man), dtype=np.int64)])
    supp_reason = np.concatenate([reason, np.full(len(man), "manual", dtype=object)])
    supp_ts = np.concatenate([t_term, pp.manual_at[man]])
    o = np.lexsort((supp_ts, supp_person))
    optout = [np.full(pp.n, _NEVER, dtype=np.int64) for _ in range(2)]
    opt = (~bounced[ti]) & (t_term < w.t_end)
    for c in (0, 1):
        m = opt & (ch[ti] == c)
        np.minimum.at(optout[c], sp[ti][m], t_term[m])

    # campaign lift: recipients order more in the 7 days after a delivered send
    p_lift = np.where(clicked, 0.2, 0.008)
    p_lift = (
        p_lift * np.where(cp.code[sc] >= 0, 1.5, 1.0) * np.where(pp.deal[sp], 1.5, 1)
    )
    p_lift = p_lift * np.where(pp.kind[sp] == _KIND_PROSPECT, 0.4, 1.0)
    p_lift = p_lift * w.shape.campaign_lift
    lift = delivered & ~unsub & ~spam & (rng.random(n) < p_lift)
    li = np.flatnonzero(lift)
    lag = np.minimum(rng.exponential(1.5 * DAY, len(li)), 7 * DAY - 60).astype(np.int64)
    lift_ts = np.maximum(t_click[li], t_del[li]) + lag
    lift_ts = np.minimum(lift_ts, st[li] + 7 * DAY - 1)
    ok = (lift_ts < w.t_end) & (lift_ts < pp.erased_at[sp[li]])
    return _Engagement(
        events={
            "person": sp[ev_send],
            "campaign": sc[ev_send],
            "channel": ch[ev_send],
            "type": ev_type,
            "ts": ev_ts,
        },
        supp_person=supp_person[o],
        supp_channel=supp_channel[o],
        supp_reason=supp_reason[o],
        supp_ts=supp_ts[o],
        optout_email=optout[0],
        optout_sms=optout[1],
        lift_person=sp[li][ok],
        lift_ts=lift_ts[ok],
        lift_campaign=sc[li][ok],
    )


# --------------------------------------------------------------------------------------
# Orders, lines, refunds
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Orders:
    """Orders of a chunk sorted by (person, time), with what later steps need."""

    n: int
    person: np.ndarray
    ts: np.ndarray
    oid: pa.Array  # order ids as text
    status: np.ndarray
    delivered_at: np.ndarray  # _NEVER when not delivered by the end
    total: np.ndarray  # cents, order currency
    currency: np.ndarray
    line_start: np.ndarray  # (n + 1) offsets into lines
    line_sku: np.ndarray
    refund_kind: np.ndarray  # 0 none, 1 full, 2 partial, 3 cancellation
    refund_at: np.ndarray
    person_start: np.ndarray  # (people + 1) offsets into orders
    tables: dict[str, dict[str, pa.Array]]
    hidden: dict[str, dict[str, np.ndarray]]


def _orders(
    w: _World,
    rng: np.random.Generator,
    rng_basket: np.random.Generator,
    rng_refund: np.random.Generator,
    k: int,
    pp: _People,
    person: np.ndarray,
    ts: np.ndarray,
    camp: np.ndarray,
) -> _Orders:
    cat = w.catalog
    f = w.fmt
    order, _, pstart = _order_index(pp.n, person, ts, w.t0)
    person, ts, camp = person[order], ts[order], camp[order]
    n = len(person)
    rank = np.arange(n) - pstart[person]
    day = (ts - w.t0) // DAY
    b2b = pp.b2b[person]
    oid_num = _scramble(k * 10_000_000 + np.arange(n), 48_271, 12_345, 10)
    oid = _ints(oid_num)

    # who: account (several per person for a few), guest checkouts, email case
    acc = (pp.acct_created[person, 1:] <= ts[:, None]).sum(axis=1)
    acc = np.where(rng.random(n) < 0.3, 0, acc)
    guest = (pp.n_accounts[person] == 0) | (rng.random(n) < 0.05)
    cid = _scramble(pp.gidx[person] * 4 + acc, 2_147_483_629, 987_654_321, 9)
    cased = pp.cased_user[person] & (rng.random(n) < 0.5) | (acc > 0) & (
        rng.random(n) < 0.5
    )
    email = np.where(cased, pp.email_cased[person], pp.email[person])

    channel = np.where(
        b2b,
        _choice(rng, (0.5, 0.1, 0.0, 0.05, 0.35), n),
        _choice(rng, (0.62, 0.22, 0.06, 0.06, 0.04), n),
    )
    currency = np.where(channel == 2, 0, pp.currency[person])
    rate = w.fx[currency, day]
    intl = pp.country[person] != 0

    # basket (a "same basket" buyer orders the same items, one of each, every time)
    s = w.shape
    m = s.max_lines
    salt = (w.seed % (1 << 20)) << 40  # per-person draws that differ by seed
    same = _unit_hash(salt + pp.gidx * 256) < s.same_basket
    r = np.clip(0.78 + 0.08 * pp.spend[person], 0.45, 0.9)
    u = rng_basket.random(n)
    n_lines = 1 + np.floor(np.log(1 - u * (1 - r**m)) / np.log(r)).astype(np.int64)
    n_lines = np.clip(n_lines, 1, m)
    owner, line_no = _seg_index(n_lines)
    line_start = np.concatenate([[0], np.cumsum(n_lines)])
    nl = len(owner)
    lsame = same[person[owner]]
    first_cat = np.where(
        rng_basket.random(n) < 0.55,
        pp.fav_cat[person],
        np.searchsorted(cat.cat_cdf, rng_basket.random(n), side="right"),
    )
    first_cat = np.where(same[person], pp.fav_cat[person], first_cat)
    usual = salt + pp.gidx[person[owner]] * 256 + 2 * np.minimum(line_no, 100)
    u = np.where(lsame, _unit_hash(usual + 2), rng_basket.random(nl))
    next_cat = (cat.trans_cdf[first_cat[owner]] < u[:, None]).sum(axis=1)
    lcat = np.where(line_no == 0, first_cat[owner], next_cat)
    u = np.where(lsame, _unit_hash(usual + 3), rng_basket.random(nl))
    sku = np.searchsorted(cat.key, lcat + u, side="right")
    sku = np.minimum(sku, len(cat.sku) - 1)
    lb2b = b2b[owner]
    is_bean = cat.cat[sku] == 0
    qty = np.where(
        is_bean,
        _choice(rng_basket, (0.7, 0.22, 0.08), nl) + 1,
        _choice(rng_basket, (0.9, 0.08, 0.02), nl) + 1,
    )
    bulk = np.where(
        is_bean,
        np.clip(np.rint(rng_basket.lognormal(np.log(8), 0.7, nl)), 2, 60),
        np.clip(np.rint(rng_basket.lognormal(np.log(3), 0.6, nl)), 1, 12),
    ).astype(np.int64)
    qty = np.where(lb2b, bulk, qty)
    qty = qty + ((pp.spend[person[owner]] > 1.5) & (rng_basket.random(nl) < 0.3))
    qty = np.where(lsame & ~lb2b, 1, qty)
    unit = np.rint(cat.price[sku] / rate[owner]).astype(np.int64)
    amount = qty * unit

    # discount codes
    month = w.month[day]
    bfcm = w.bfcm[day]
    gift = w.gift[day]
    deal = pp.deal[person]
    p_code = np.where(deal, 0.8, 0.1)
    p_code = np.where((rank == 0) & ~deal, 0.3, p_code)
    p_code = np.where(bfcm, np.maximum(p_code, 0.45), p_code)
    p_code = np.where(gift, np.maximum(p_code, 0.25), p_code)
    p_code = np.where(b2b, 0.6, p_code)
    generic = np.array([1, 6, 7, 9])[_choice(rng, (0.35, 0.3, 0.2, 0.15), n)]
    seasonal = rng.random(n)
    code = generic
    code = np.where((month >= 6) & (month <= 8) & (seasonal < 0.4), 3, code)
    code = np.where((month >= 3) & (month <= 5) & (seasonal < 0.4), 2, code)
    code = np.where((rank == 0) & (seasonal < 0.7), 0, code)
    code = np.where(gift, 5, code)
    code = np.where(bfcm, 4, code)
    code = np.where(b2b, 8, code)
    code = np.where(rng.random(n) < p_code, code, -1)
    camp_code = np.where(camp >= 0, w.campaigns.code[np.maximum(camp, 0)], -1)
    use_camp = (camp_code >= 0) & (rng.random(n) < 0.85)
    code = np.where(use_camp, camp_code, code)
    pct = np.array([c[1] for c in _CODES])
    fixed_usd = np.array([c[2] for c in _CODES])
    freeship_code = np.array([c[3] for c in _CODES])
    code_pct = np.where(code >= 0, pct[code], 0.0)
    code2 = np.where((code_pct > 0) & (rng.random(n) < 0.06), _CODE_FREESHIP, -1)
    free_ship = ((code >= 0) & freeship_code[np.maximum(code, 0)]) | (code2 >= 0)
    sale = rng_basket.random(nl) < 0.07
    line_disc = np.rint(amount * (code_pct[owner] + 0.2 * sale)).astype(np.int64)
    line_disc = np.minimum(line_disc, amount)
    subtotal = np.bincount(owner, weights=amount, minlength=n).astype(np.int64)
    sum_ldisc = np.bincount(owner, weights=line_disc, minlength=n).astype(np.int64)
    fixed = np.where(code >= 0, fixed_usd[np.maximum(code, 0)], 0)
    fixed = np.minimum(np.rint(fixed / rate).astype(np.int64), subtotal - sum_ldisc)
    discount = sum_ldisc + fixed
    sub_usd = subtotal * rate
    flat = np.array([599, 695, 495, 899])[currency]
    flat = np.where(intl & (currency == 0), 1499, flat)
    flat = np.where(b2b, np.rint(1500 / rate).astype(np.int64), flat)
    free_from = 100 * w.shape.free_shipping_usd  # USD cents
    threshold = free_from * np.where(b2b, 4.0, np.where(intl, 1.5, 1.0))
    ship = np.where(free_ship | (channel == 3) | (sub_usd >= threshold), 0, flat)
    items = np.bincount(owner, weights=qty, minlength=n)
    cost_usd = 350 + 110 * items**0.75 + intl * 900 + (pp.country[person] == 7) * 1200
    cost_usd = cost_usd * rng.lognormal(0, 0.15, n)
    cost_usd = np.where(channel == 3, rng.uniform(40, 150, n), cost_usd)
    ship_cost = np.maximum(np.rint(cost_usd / rate).astype(np.int64), 1)
    tax = np.rint((subtotal - discount + ship) * pp.tax[person]).astype(np.int64)
    total = subtotal - discount + ship + tax

    # life cycle at the end date
    pos = channel == 3
    fulfil = ts + np.where(
        pos, 120, (rng.gamma(2, 0.5, n) * DAY).astype(np.int64) + 2 * HOUR
    )
    deliver = fulfil + np.where(
        pos, 60, (rng.gamma(3, 0.8, n) * DAY + intl * 3 * DAY).astype(np.int64)
    )
    cancel = (rng.random(n) < 0.025) & ~pos
    cancel_wait = np.minimum(rng.exponential(8 * HOUR, n), fulfil - ts - 180)
    cancel_at = ts + 120 + cancel_wait.astype(np.int64)
    cancel &= cancel_at < w.t_end
    status = np.where(
        deliver < w.t_end,
        _ST_DELIVERED,
        np.where(fulfil < w.t_end, _ST_FULFILLED, _ST_PAID),
    )
    updated = np.where(
        status == _ST_DELIVERED,
        deliver,
        np.where(status == _ST_FULFILLED, fulfil, np.minimum(ts + 30, w.t_end - 1)),
    )
    recent = (ts > w.t_end - DAY) & (status == _ST_PAID) & (rng.random(n) < 0.3)
    status = np.where(recent, _ST_PENDING, status)
    updated = np.where(recent, ts, updated)
    status = np.where(cancel, _ST_CANCELLED, status)
    updated = np.where(cancel, cancel_at, updated)
    delivered_at = np.where(status == _ST_DELIVERED, deliver, _NEVER)

    # refunds: full (mostly returns), partial (an item back, goodwill), cancellations
    ur = rng_refund.random(n)
    p_full = 0.025 * np.exp(0.5 * pp.grump[person])
    full = (status == _ST_DELIVERED) & (ur < p_full)
    partial = (status == _ST_DELIVERED) & ~full & (ur > 1 - 0.045)
    cancel_refund = (status == _ST_CANCELLED) & (rng_refund.random(n) < 0.6)
    refund_at = np.full(n, _NEVER, dtype=np.int64)
    refund_at = np.where(
        full,
        deliver + ((1 + rng_refund.exponential(7, n)) * DAY).astype(np.int64),
        refund_at,
    )
    refund_at = np.where(
        partial,
        deliver + ((0.5 + rng_refund.exponential(5, n)) * DAY).astype(np.int64),
        refund_at,
    )
    refund_at = np.where(
        cancel_refund, cancel_at + rng_refund.integers(HOUR, DAY, n), refund_at
    )
    has_refund = refund_at < w.t_end
    refund_kind = np.select([full, partial, cancel_refund], [1, 2, 3], 0) * has_refund
    status = np.where(refund_kind == 1, _ST_REFUNDED, status)
    updated = np.where(refund_kind == 1, refund_at, updated)
    updated = np.where(refund_kind == 2, np.maximum(updated, refund_at), updated)
    is_return = np.where(
        refund_kind == 1, rng_refund.random(n) < 0.7, rng_refund.random(n) < 0.55
    ) & (refund_kind <= 2)
    pick = line_start[:-1] + (rng_refund.random(n) * n_lines).astype(np.int64)
    one_item = np.where(
        qty[pick] > 0, unit[pick] - line_disc[pick] // np.maximum(qty[pick], 1), 0
    )
    one_item = np.rint(one_item * (1 + pp.tax[person])).astype(np.int64)
    goodwill = np.rint(total * rng_refund.uniform(0.1, 0.3, n)).astype(np.int64)
    missing = rng_refund.random(n) < 0.25
    part_amount = np.where(is_return | missing, one_item, goodwill)
    refund_amount = np.where(refund_kind == 2, np.minimum(part_amount, total), total)
    refund_amount = np.maximum(refund_amount, 1)
    reason_return = np.array(_REFUND_REASONS_RETURN, dtype=object)[
        rng_refund.integers(0, len(_REFUND_REASONS_RETURN), n)
    ]
    reason_other = np.array(_REFUND_REASONS_OTHER, dtype=object)[
        rng_refund.integers(0, len(_REFUND_REASONS_OTHER), n)
    ]
    reason_part = np.array(_PARTIAL_REASONS_OTHER, dtype=object)[
        rng_refund.integers(0, len(_PARTIAL_REASONS_OTHER), n)
    ]
    reason = np.where(is_return, reason_return, reason_other)
    reason = np.where((refund_kind == 2) & ~is_return, reason_part, reason)
    reason = np.where((refund_kind == 2) & ~is_return & missing, "missing item", reason)
    reason = np.where(refund_kind == 3, "order cancelled", reason)

    # versions: a few orders appear twice (an earlier state, then the current one)
    prev_status = np.select(
        [
            status == _ST_FULFILLED,
            status == _ST_DELIVERED,
            status == _ST_REFUNDED,
            status == _ST_CANCELLED,
        ],
        [_ST_PAID, _ST_FULFILLED, _ST_DELIVERED, _ST_PAID],
        -1,
    )
    prev_updated = np.select(
        [status == _ST_FULFILLED, status == _ST_DELIVERED, status == _ST_REFUNDED],
        [ts + 30, fulfil, deliver],
        ts + 45,
    )
    versioned = (prev_status >= 0) & (rng.random(n) < 0.02)
    vi = np.flatnonzero(versioned)
    rows = np.concatenate([vi, np.arange(n)])
    is_prev = np.concatenate([np.ones(len(vi), dtype=bool), np.zeros(n, dtype=bool)])
    o = np.lexsort((~is_prev, rows))
    rows, is_prev = rows[o], is_prev[o]
    r_status = np.where(is_prev, prev_status[rows], status[rows])
    r_updated = np.where(is_prev, prev_updated[rows], updated[rows])
    guest_r = guest[rows]
    codes_txt = [c[0] for c in _CODES]
    combo = [None] + codes_txt  # index code + 1; with FREESHIP second: offset
    combo += [f"{c},FREESHIP" for c in codes_txt]
    combo_idx = np.where(code2 >= 0, 1 + len(codes_txt) + code, code + 1)
    orders_tbl = {
        "order_id": oid.take(pa.array(rows)),
        "customer_id": pc.if_else(
            pa.array(guest_r), pa.scalar(None, pa.string()), _ints(cid[rows])
        ),
        "email": _strs(email[rows]),
        "ordered_at": f.ts(ts[rows]),
        "updated_at": f.ts(r_updated),
        "currency": _pick(CURRENCIES, currency[rows]),
        "status": _pick(_STATUSES, r_status),
        "channel": _pick(_ORDER_CHANNELS, channel[rows]),
        "subtotal": _money(subtotal[rows]),
        "discount_total": _money(discount[rows]),
        "discount_codes": _pick(combo, combo_idx[rows]),
        "shipping_charged": _money(ship[rows]),
        "tax_total": _money(tax[rows]),
        "total": _money(total[rows]),
        "shipping_cost": _money(ship_cost[rows]),
    }
    lines_tbl = {
        "order_id": oid.take(pa.array(owner)),
        "line_id": _join(oid.take(pa.array(owner)), "-", _ints(line_no + 1)),
        "sku": _take(cat.sku, sku),
        "quantity": _ints(qty),
        "unit_price": _money(unit),
        "line_discount": _money(line_disc),
    }
    ri = np.flatnonzero(refund_kind > 0)
    refunds_tbl = {
        "refund_id": _join("RF", oid.take(pa.array(ri))),
        "order_id": oid.take(pa.array(ri)),
        "refunded_at": f.ts(refund_at[ri]),
        "amount": _money(refund_amount[ri]),
        "is_return": _bools(is_return[ri]),
        "reason": _strs(reason[ri]),
    }
    return _Orders(
        n=n,
        person=person,
        ts=ts,
        oid=oid,
        status=status,
        delivered_at=delivered_at,
        total=total,
        currency=currency,
        line_start=line_start,
        line_sku=sku,
        refund_kind=refund_kind,
        refund_at=refund_at,
        person_start=pstart,
        tables={"orders": orders_tbl, "order_lines": lines_tbl, "refunds": refunds_tbl},
        hidden={
            "orders": {"updated": r_updated, "currency": currency[rows]},
            "order_lines": {"currency": currency[owner]},
            "refunds": {"order_total": total[ri], "currency": currency[ri]},
        },
    )


# --------------------------------------------------------------------------------------
# Support tickets and reviews
# --------------------------------------------------------------------------------------

_TK_REFUND, _TK_COMPLAINT, _TK_SHIPPING, _TK_URGENT, _TK_QUESTION = range(5)
_TK_SALES, _TK_PRAISE, _TK_ACCOUNT, _TK_BILLING = range(5, 9)

# kind: ((subject, body), ...); fields: first, order, product, days, qty, company
_TICKETS_EN: tuple[tuple[tuple[str, str], ...], ...] = (
    (  # refund request
        ("Refund for order #{order}",
         "Hi,\n\nI'd like a refund for order #{order}. The {product} arrived damaged, "
         "the box was crushed and there are beans everywhere.\n\nThanks,\n{first}"),
        ("Return request",
         "Hello, I want to return the {product} from order #{order}. It's not what I "
         "expected, and I haven't opened it. How do I send it back?"),
        ("Refund please",
         'Order #{order}: you sent me "{product}" but I ordered something else. '
         "Please refund me, I don't want a replacement."),
        ("Money back for #{order}?",
         "Hi there,\nthe {product} stopped working after {days} days.\n"
         "Can I get my money back, or at least a partial refund?\n{first}"),
    ),
    (  # complaint
        ("Really disappointed",
         "I've been a customer for a while, but this time the {product} was stale, "
         "flat, and tasted like cardboard. Not acceptable for the price."),
        ("Broken {product}",
         "The {product} in order #{order} arrived broken.\n\nSecond time this "
         'happens. Your "careful packaging" is a joke.'),
        ("Terrible experience",
         "Order #{order} took {days} days, arrived damaged, and nobody answered my "
         "last email. I expect better, frankly."),
    ),
    (  # shipping delay
        ("Where is my order #{order}?",
         "Hi, I ordered {days} days ago and tracking hasn't moved since. Could you "
         "check what's going on with order #{order}?\n\nThanks,\n{first}"),
        ("Order #{order} still not here",
         "It's been {days} days. The tracking page says \"label created\", nothing "
         "else. Is it lost?"),
        ("Delivery delay",
         "Hello,\nmy parcel (order #{order}) was supposed to arrive last week.\n"
         "Any update? I need the {product} for a gift."),
    ),
    (  # urgent
        ("URGENT: wrong address on order #{order}",
         "Please change the shipping address on order #{order} ASAP, I moved last "
         "week!! It hasn't shipped yet, I hope."),
        ("Cancel order #{order} asap",
         "I ordered the {product} twice by mistake. Please cancel order #{order} "
         "before it ships, today if possible."),
        ("Urgent - need this by Friday",
         "Hi, is there any way to upgrade order #{order} to express? It's for an "
         "event on Friday, and I'll pay the difference."),
    ),
    (  # product question
        ("Question about {product}",
         "Hi! Is the {product} suitable for a French press, or is it better for "
         "espresso? Also, how fresh are the beans when they ship?"),
        ("Which grind size?",
         "I just bought the {product}. What grind size do you recommend for a V60, "
         "medium-fine or fine?\n\nCheers,\n{first}"),
        ("{product}: compatible?",
         'Does the {product} work with a 58mm portafilter? The description says '
         '"universal", which is a bit vague.'),
        ("Back in stock?",
         "When will the {product} be back in stock? I'd buy 3 right away."),
    ),
    (  # sales enquiry
        ("Quote for {qty} units",
         "Hello,\n\ncan I get a quote for {qty} units of the {product} today? We're "
         "{company}, and we'd need delivery before the end of the month.\n\n"
         "Best regards,\n{first}"),
        ("Wholesale pricing",
         "Hi, we run {company} and go through about {qty} bags a month. Do you "
         "offer wholesale pricing, net-30 terms, or a monthly subscription?"),
        ("Office coffee supply",
         "We're looking for a coffee supplier for our office ({qty} people). Could "
         'you send a price list and a sample of the "{product}"?'),
    ),
    (  # praise
        ("Thank you!",
         "Just wanted to say the {product} is the best I've had in years. Fast "
         "shipping, lovely packaging, and a handwritten note. Thank you!"),
        ("Love it",
         "Order #{order} arrived a day early. Great beans, great service, "
         "I'll be back.\n{first}"),
    ),
    (  # account
        ("Please delete my data",
         "Hello, please delete my account and all personal data you hold about me, "
         "as per GDPR. Thank you."),
        ("Can't log in",
         "I can't log in anymore; the reset link says \"expired\" every time. "
         "My order history is gone?"),
        ("Unsubscribe me",
         "I keep getting your emails even though I unsubscribed twice. Please stop."),
    ),
    (  # billing
        ("Charged twice for order #{order}",
         "Hi,\nmy card was charged twice for order #{order}, see the attached "
         "statement.\nPlease refund the duplicate charge.\n\n{first}"),
        ("Invoice needed",
         "Could you send a VAT invoice for order #{order}, addressed to {company}? "
         "Thanks."),
    ),
)  # fmt: skip
_TICKETS_INTL = MappingProxyType(
    {
        "es": {
            _TK_REFUND: ("Reembolso pedido #{order}",
                         "Hola,\nel {product} llegó roto. ¿Pueden devolverme el "
                         "dinero del pedido #{order}?\nGracias, {first}"),
            _TK_SHIPPING: ("¿Dónde está mi pedido?",
                           "Hace {days} días que hice el pedido #{order} y todavía "
                           "no ha llegado. ¿Qué pasa?"),
            _TK_QUESTION: ("Pregunta sobre {product}",
                           "¿El {product} sirve para cafetera italiana, o solo para "
                           "espresso?"),
            _TK_PRAISE: ("¡Gracias!",
                         "El {product} es buenísimo, ¡y el envío fue rapidísimo!"),
        },
        "fr": {
            _TK_REFUND: ("Remboursement commande #{order}",
                         "Bonjour,\nle {product} est arrivé cassé. Je souhaite être "
                         "remboursé, s'il vous plaît.\nCordialement, {first}"),
            _TK_SHIPPING: ("Commande #{order} toujours pas arrivée",
                           "Bonjour, ma commande date d'il y a {days} jours, et le "
                           "suivi n'a pas bougé. Pouvez-vous vérifier ?"),
            _TK_QUESTION: ("Question sur {product}",
                           "Bonjour, le {product} convient-il à une cafetière à "
                           "piston ? Merci d'avance."),
            _TK_COMPLAINT: ("Très déçu",
                            "Café éventé, colis abîmé, « service client » absent. "
                            "Vraiment déçu de la commande #{order}."),
        },
        "de": {
            _TK_REFUND: ("Rückerstattung Bestellung #{order}",
                         "Hallo,\nder {product} kam beschädigt an. Bitte erstatten "
                         "Sie mir den Betrag.\nViele Grüße, {first}"),
            _TK_SHIPPING: ("Wo bleibt meine Bestellung?",
                           "Ich habe vor {days} Tagen bestellt (#{order}), aber "
                           "nichts ist angekommen. Was ist los?"),
            _TK_QUESTION: ("Frage zu {product}",
                           "Ist der {product} für Siebträger geeignet, oder eher "
                           "für Filterkaffee?"),
            _TK_PRAISE: ("Vielen Dank!",
                         "Der {product} ist großartig, \"wie beim Röster\". Danke!"),
        },
    }
)  # fmt: skip
_REVIEWS_EN: tuple[tuple[str, ...], ...] = (
    (
        "Terrible. The {product} was stale and bitter, and support never replied.",
        "Arrived broken, would not buy again.",
        "Awful {product}. Waste of money, returning it.",
        "Worst purchase this year: the {product} {flaw}.",
    ),
    (
        "Disappointed with the {product}; {flaw}.",
        "Not great. Expected much more for the price.",
        "Meh, the {product} {flaw}. Probably won't reorder.",
    ),
    (
        "It's okay. The {product} does the job, nothing special.",
        "Average. Decent, but I've had better for less.",
        "Fine, I guess. Shipping was slow, the {product} is alright.",
    ),
    (
        "Really good {product}, would buy again.",
        "Very nice, well packed, and fresh. One star off for the price.",
        "Solid {product}. Smooth, balanced, and easy to brew.",
    ),
    (
        "Absolutely love the {product}! Best I've had in years.",
        "Perfect. Fresh, fragrant, and delivered fast. Five stars!",
        'Amazing {product}, "life-changing" is not an exaggeration.',
        "Excellent, my new daily favourite. Highly recommend!",
    ),
)
_REVIEWS_INTL = MappingProxyType(
    {
        "es": ("Horrible, no lo recomiendo.", "Malo, llegó dañado.",
               "Está bien, normal.", "Muy bueno, lo volveré a comprar.",
               "¡Excelente! Me encanta."),
        "fr": ("Horrible, à éviter.", "Décevant, café éventé.", "Correct, sans plus.",
               "Très bon, je recommande.", "Excellent ! Je l'adore."),
        "de": ("Schrecklich, nie wieder.", "Enttäuschend, leider.", "Ganz okay.",
               "Sehr gut, gerne wieder.", "Hervorragend! Absolut lecker."),
    }
)  # fmt: skip
_FLAWS = (
    "tasted flat",
    "arrived past its best",
    "is louder than expected",
    "leaks a little",
    "was roasted too dark",
)
_TICKET_STATUSES = ("open", "pending", "solved", "closed")
_TICKET_CHANNELS = ("email", "chat", "web_form", "phone", "social")
# share of rated tickets that are "good", per kind
_TICKET_GOOD = (0.55, 0.35, 0.6, 0.7, 0.92, 0.9, 0.98, 0.75, 0.7)


def _tickets(
    w: _World, rng: np.random.Generator, k: int, pp: _People, od: _Orders
) -> dict[str, pa.Array]:
    n = od.n
    refunded = np.flatnonzero(od.refund_kind > 0)
    tp: list[np.ndarray] = []  # person
    to: list[np.ndarray] = []  # order (-1 none)
    tk: list[np.ndarray] = []  # kind
    tt: list[np.ndarray] = []  # created

    def add(person: np.ndarray, order: np.ndarray, kind: np.ndarray, t: np.ndarray):
        tp.append(person)
        to.append(order)
        tk.append(kind)
        tt.append(t)

    # refunds -> refund requests, complaints, urgent
    m = refunded[rng.random(len(refunded)) < 0.1]
    kind = np.array([_TK_REFUND, _TK_COMPLAINT, _TK_URGENT, _TK_BILLING])[
        _choice(rng, (0.55, 0.3, 0.1, 0.05), len(m))
    ]
    t = od.refund_at[m] - rng.integers(HOUR, 3 * DAY, len(m))
    add(od.person[m], m, kind, np.maximum(t, od.ts[m] + HOUR))
    # slow deliveries
    slow = (od.delivered_at < _NEVER) & (od.delivered_at - od.ts > 6 * DAY)
    m = np.flatnonzero(slow & (rng.random(n) < 0.012))
    t = od.ts[m] + rng.integers(5 * DAY, 6 * DAY, len(m))
    add(od.person[m], m, np.full(len(m), _TK_SHIPPING), t)
    # per order: urgent changes, praise after delivery, billing questions
    delivered = od.delivered_at < _NEVER
    for kd, p, after, lo, hi in (
        (_TK_URGENT, 0.0015, od.ts, 300, 6 * HOUR),
        (_TK_PRAISE, 0.0015 * delivered, od.delivered_at, HOUR, 5 * DAY),
        (_TK_BILLING, 0.001, od.ts, HOUR, 4 * DAY),
    ):
        m = np.flatnonzero(rng.random(n) < p)
        t = after[m] + rng.integers(lo, hi, len(m))
        add(od.person[m], m, np.full(len(m), kd), t)
    # people: product questions, B2B quotes, account issues
    u = rng.random(pp.n)
    span = np.maximum(w.t_end - pp.created, HOUR)
    t_any = pp.created + (rng.random(pp.n) * span).astype(np.int64)
    for mask, kd in (
        (u < np.where(pp.kind == _KIND_PROSPECT, 0.05, 0.025), _TK_QUESTION),
        ((u > 0.6) & (u < 0.95) & pp.b2b, _TK_SALES),
        ((u > 0.995) & (pp.n_accounts > 0), _TK_ACCOUNT),
    ):
        m = np.flatnonzero(mask)
        add(m, np.full(len(m), -1), np.full(len(m), kd), t_any[m])
    m = np.flatnonzero(pp.erased_at < _NEVER)
    m = m[rng.random(len(m)) < 0.5]
    add(m, np.full(len(m), -1), np.full(len(m), _TK_ACCOUNT), pp.erased_at[m] - DAY)

    person = np.concatenate(tp)
    order = np.concatenate(to)
    kind = np.concatenate(tk)
    created = np.concatenate(tt)
    ok = (
        (created < w.t_end - 600) & (created >= w.t0) & (created < pp.erased_at[person])
    )
    person, order, kind, created = person[ok], order[ok], kind[ok], created[ok]
    o = np.lexsort((created, person))
    person, order, kind, created = person[o], order[o], kind[o], created[o]
    nt = len(person)

    age = (w.t_end - created) / DAY
    us = rng.random(nt)
    status = np.where(
        age > 14,
        np.where(us < 0.7, 3, 2),
        np.where(
            age > 3,
            _choice(rng, (0.15, 0.2, 0.65, 0.0), nt),
            _choice(rng, (0.5, 0.4, 0.1, 0.0), nt),
        ),
    )
    resolved = status >= 2
    wait = np.where(
        resolved,
        rng.exponential(1.5 * DAY, nt) + 600,
        rng.exponential(6 * HOUR, nt),
    ).astype(np.int64)
    updated = np.minimum(created + wait, w.t_end - 1)
    rated = resolved & (rng.random(nt) < 0.45)
    good = rng.random(nt) < np.array(_TICKET_GOOD)[kind]
    satisfaction = np.where(rated, np.where(good, 1, 2), 0)
    channel = _choice(rng, (0.5, 0.25, 0.15, 0.05, 0.05), nt)
    tid = _scramble(k * 1_000_000 + np.arange(nt), 69_069, 4_242, 8)

    # text
    lang = pp.language[person]
    foreign = rng.random(nt) < 0.65
    variant = rng.integers(0, 1000, nt)
    pick_line = rng.random(nt)
    days = rng.integers(5, 21, nt)
    qty = np.array([20, 25, 50, 50, 100, 200, 500])[rng.integers(0, 7, nt)]
    any_sku = np.searchsorted(w.catalog.key, rng.random(nt) * 0.999, side="right")
    oid_txt = od.oid.to_numpy(zero_copy_only=False) if od.n else np.array([], object)
    subjects: list[str] = []
    bodies: list[str] = []
    for i in range(nt):
        o_i = int(order[i])
        if o_i >= 0:
            a, b = od.line_start[o_i], od.line_start[o_i + 1]
            sku = od.line_sku[a + int(pick_line[i] * (b - a))]
            order_no = oid_txt[o_i]
        else:
            sku = any_sku[i]
            order_no = "N/A"
        p = int(person[i])
        fields = {
            "first": pp.first[p],
            "order": order_no,
            "product": w.catalog.name[sku],
            "days": int(days[i]),
            "qty": int(qty[i]),
            "company": pp.company[p] or "our café",
        }
        kd = int(kind[i])
        intl = _TICKETS_INTL.get(lang[i])
        if intl is not None and foreign[i] and kd in intl:
            subj, body = intl[kd]
        else:
            options = _TICKETS_EN[kd]
            subj, body = options[int(variant[i]) % len(options)]
            if o_i < 0 and "{order}" in subj + body:
                subj, body = _TICKETS_EN[_TK_QUESTION][int(variant[i]) % 4]
        subjects.append(subj.format(**fields))
        bodies.append(body.format(**fields))
    f = w.fmt
    return {
        "ticket_id": _ints(tid),
        "email": _strs(pp.email[person]),
        "created_at": f.ts(created),
        "updated_at": f.ts(updated),
        "status": _pick(_TICKET_STATUSES, status),
        "channel": _pick(_TICKET_CHANNELS, channel),
        "subject": _strs(subjects),
        "body": _strs(bodies),
        "satisfaction": _pick((None, "good", "bad"), satisfaction),
    }


def _reviews(
    w: _World, rng: np.random.Generator, k: int, pp: _People, od: _Orders
) -> dict[str, pa.Array]:
    n = od.n
    delivered = od.delivered_at < _NEVER
    refunded = od.refund_kind == 1
    p = np.where(refunded, 0.12, np.where(delivered, 0.035, 0.0))
    o = np.flatnonzero(rng.random(n) < p)
    base = np.where(refunded[o], od.refund_at[o], od.delivered_at[o])
    base = np.where(base >= _NEVER, od.ts[o] + 5 * DAY, base)
    created = base + rng.integers(2 * DAY, 25 * DAY, len(o))
    keep = (created < w.t_end) & (created < pp.erased_at[od.person[o]])
    o, created = o[keep], created[keep]
    nr = len(o)
    a, b = od.line_start[o], od.line_start[o + 1]
    sku = od.line_sku[a + (rng.random(nr) * (b - a)).astype(np.int64)]
    person = od.person[o]
    score = w.catalog.quality[sku] + rng.normal(0, 0.9, nr) - pp.grump[person]
    rating = np.clip(np.rint(score), 1, 5).astype(np.int64)
    rating = np.where(refunded[o], np.minimum(rating, rng.integers(1, 3, nr)), rating)
    variant = rng.integers(0, 1000, nr)
    foreign = rng.random(nr) < 0.6
    flaw = rng.integers(0, len(_FLAWS), nr)
    lang = pp.language[person]
    bodies: list[str] = []
    for i in range(nr):
        r = int(rating[i]) - 1
        intl = _REVIEWS_INTL.get(lang[i])
        if intl is not None and foreign[i]:
            bodies.append(intl[r])
            continue
        options = _REVIEWS_EN[r]
        bodies.append(
            options[int(variant[i]) % len(options)].format(
                product=w.catalog.name[sku[i]], flaw=_FLAWS[flaw[i]]
            )
        )
    srt = np.lexsort((created, person))
    rid = _scramble(k * 1_000_000 + np.arange(nr), 16_807, 777, 8)
    return {
        "review_id": _join("rv_", _ints(rid)),
        "email": _strs(pp.email[person[srt]]),
        "sku": _strs(w.catalog.sku[sku[srt]]),
        "rating": _ints(rating[srt]),
        "body": _strs(np.array(bodies, dtype=object)[srt] if nr else []),
        "created_at": w.fmt.ts(created[srt]),
    }


# --------------------------------------------------------------------------------------
# Customers, engagement, suppressions, erasures; global tables
# --------------------------------------------------------------------------------------


def _customers(
    w: _World, rng: np.random.Generator, pp: _People, od: _Orders, eg: _Engagement
) -> dict[str, pa.Array]:
    person, j = _seg_index(pp.n_accounts)
    nc = len(person)
    cid = _scramble(pp.gidx[person] * 4 + j, 2_147_483_629, 987_654_321, 9)
    cased = np.where(
        j == 0, pp.cased_user[person] & (rng.random(nc) < 0.5), rng.random(nc) < 0.5
    )
    email = np.where(cased, pp.email_cased[person], pp.email[person])
    created = pp.acct_created[person, j]
    n_orders = np.diff(od.person_start)[person]
    opt_e = eg.optout_email[person]
    opt_s = eg.optout_sms[person]
    email_consent = pp.email_consent[person] & (opt_e >= _NEVER)
    sms_consent = pp.sms_consent[person] & (opt_s >= _NEVER)
    changed = np.maximum(
        np.where(opt_e < _NEVER, opt_e, 0), np.where(opt_s < _NEVER, opt_s, 0)
    )
    consent_at = np.maximum(created, changed)
    extra_tag = rng.integers(0, len(_TAGS) * 6, nc)
    tags: list[str | None] = []
    b2b = pp.b2b[person]
    for i in range(nc):
        t = []
        if n_orders[i] >= 12:
            t.append("vip")
        if b2b[i]:
            t += ["wholesale", "b2b"]
        if pp.email_consent[person[i]]:
            t.append("newsletter")
        if extra_tag[i] < len(_TAGS):
            t.append(_TAGS[extra_tag[i]])
        tags.append(", ".join(t) if t else None)
    geo = pp.geo[person]
    return {
        "customer_id": _ints(cid),
        "email": _strs(email),
        "phone": _strs(pp.phone[person]),
        "first_name": _strs(pp.first[person]),
        "last_name": _strs(pp.last[person]),
        "created_at": w.fmt.ts(created),
        "country": _pick([c[0] for c in _COUNTRIES], pp.country[person]),
        "region": _pick([g[1] for g in _GEO], geo),
        "city": _pick([g[2] for g in _GEO], geo),
        "postal_code": _strs(pp.postal[person]),
        "language": _strs(pp.language[person]),
        "company_name": _strs(pp.company[person]),
        "company_size": _strs(pp.company_size[person]),
        "industry": _strs(pp.industry[person]),
        "tags": _strs(tags),
        "email_consent": _bools(email_consent),
        "sms_consent": _bools(sms_consent),
        "consent_updated_at": w.fmt.ts(consent_at),
    }


def _events_table(
    w: _World, k: int, pp: _People, eg: _Engagement
) -> dict[str, pa.Array]:
    ev = eg.events
    n = len(ev["ts"])
    eid = _scramble(k * 100_000_000 + np.arange(n), 1_103_515_245, 12_345, 11)
    return {
        "event_id": _ints(eid),
        "email": _take(pp.email, ev["person"]),
        "channel": _pick(_CHANNELS, ev["channel"]),
        "event_type": _pick(_EV_TYPES, ev["type"]),
        "campaign_id": _take(w.campaigns.cid, ev["campaign"]),
        "occurred_at": w.fmt.ts(ev["ts"]),
    }


def _suppressions(w: _World, pp: _People, eg: _Engagement) -> dict[str, pa.Array]:
    return {
        "email": _strs(pp.email[eg.supp_person]),
        "channel": _pick(_CHANNELS, eg.supp_channel),
        "reason": _strs(eg.supp_reason),
        "suppressed_at": w.fmt.ts(eg.supp_ts),
    }


def _erasures(w: _World, pp: _People) -> dict[str, pa.Array]:
    m = np.flatnonzero(pp.erased_at < w.t_end)
    return {
        "email": _strs(pp.email[m]),
        "requested_at": w.fmt.ts(pp.erased_at[m]),
    }


def _products_table(w: _World) -> dict[str, pa.Array]:
    c = w.catalog
    return {
        "sku": _strs(c.sku),
        "product_name": _strs(c.name),
        "category": _pick(CATEGORIES, c.cat),
        "unit_cost": _money(c.cost),
        "price": _money(c.price),
        "inventory_quantity": _ints(c.inventory),
        "updated_at": w.fmt.ts(c.updated),
    }


def _campaigns_table(w: _World) -> dict[str, pa.Array]:
    cp = w.campaigns
    return {
        "campaign_id": _strs(cp.cid),
        "name": _strs(cp.name),
        "channel": _pick(_CHANNELS, cp.channel),
        "segment": _pick(SEGMENTS, cp.segment),
        "experiment": _strs([e or None for e in cp.experiment]),
        "sent_at": w.fmt.ts(cp.sent),
        "offer": _strs([o or None for o in cp.offer]),
    }


def _fx_table(w: _World) -> dict[str, pa.Array]:
    nc = len(CURRENCIES)
    day = np.repeat(np.arange(w.n_days), nc)
    cur = np.tile(np.arange(nc), w.n_days)
    micro = np.rint(w.fx[cur, day] * 1_000_000).astype(np.int64)
    return {
        "currency": _pick(CURRENCIES, cur),
        "rate_date": w.fmt.date(w.t0 + day * DAY),
        "rate_to_base": _money(micro, scale=6),
    }


# --------------------------------------------------------------------------------------
# Messy mode
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Roles:
    """Which columns of a table each defect class touches."""

    defects: tuple[str, ...]
    email: str = "email"
    dates: tuple[str, ...] = ()
    money: tuple[str, ...] = ()
    negative_money: tuple[str, ...] = ()
    amount: str = ""


_MESSY_ROLES = MappingProxyType(
    {
        "orders": _Roles(
            ("email_case", "email_invalid", "blank_id", "money_text", "zero_amount",
             "bad_date", "odd_date", "tz_offset", "local_date", "duplicate", "version",
             "status", "currency"),
            dates=("ordered_at", "updated_at"),
            money=("subtotal", "discount_total", "shipping_charged", "tax_total",
                   "total", "shipping_cost"),
            negative_money=("discount_total",),
            amount="total",
        ),
        "order_lines": _Roles(
            ("blank_id", "money_text", "negative_qty", "unknown_sku", "duplicate"),
            money=("unit_price", "line_discount"),
            negative_money=("line_discount",),
        ),
        "products": _Roles(
            ("money_text", "bad_date", "duplicate"),
            dates=("updated_at",),
            money=("unit_cost", "price"),
        ),
        "refunds": _Roles(
            ("money_text", "zero_amount", "too_large", "bad_date", "odd_date",
             "tz_offset", "local_date", "duplicate"),
            dates=("refunded_at",),
            money=("amount",),
            negative_money=("amount",),
            amount="amount",
        ),
        "customers": _Roles(
            ("email_case", "email_invalid", "bad_date", "odd_date", "tz_offset",
             "local_date", "duplicate"),
            dates=("created_at", "consent_updated_at"),
        ),
        "engagement_events": _Roles(
            ("email_case", "email_invalid", "bad_date", "odd_date", "tz_offset",
             "local_date", "duplicate"),
            dates=("occurred_at",),
        ),
        "tickets": _Roles(
            ("email_case", "email_invalid", "bad_date", "tz_offset", "local_date",
             "duplicate"),
            dates=("created_at", "updated_at"),
        ),
        "reviews": _Roles(
            ("email_case", "email_invalid", "bad_date", "local_date", "duplicate"),
            dates=("created_at",),
        ),
        "suppressions": _Roles(
            ("email_case", "email_invalid", "local_date", "duplicate"),
            dates=("suppressed_at",),
        ),
        "erasure_requests": _Roles(("email_case", "duplicate")),
        "fx_rates": _Roles(("duplicate",)),
        "campaigns": _Roles(()),
    }
)  # fmt: skip
_BAD_DATES = ("not a date", "31/31/2024", "2024-13-45", "yesterday")
_INVALID_EMAILS = ("n/a", "none", "-", None)
_ODD_STATUS = ("Cancelled", "canceled", "voided", "SHIPPED", "weird_status")
_UNKNOWN_SKUS = ("SKU-DISCONTINUED-0042", "legacy-1187", "GIFTWRAP", "BEAN-9999")


def _defect_value(
    defect: str, v: str, r: int, currency: str, negative_ok: bool
) -> str | None:
    """The messy form of one value; `r` is a random integer that picks the variant."""
    if defect == "email_case":
        s = (v.upper(), v.title(), v.swapcase(), v)[r % 4]
        return ("  " + s + " ", " " + s, s + "  ", "\t" + s)[r // 4 % 4]
    if defect == "email_invalid":
        return v.replace("@", " at ") if r % 5 == 4 else _INVALID_EMAILS[r % 5]
    if defect == "money_text":
        x = float(v)
        if r % 3 == 2 and negative_ok:
            return f"({x:.2f})"
        if r % 3 == 1 or currency != "USD":
            return f"{f'{x:.2f}'.rstrip('0').rstrip('.')} {currency}"
        return f"${x:,.2f}"
    if defect == "bad_date":
        return _BAD_DATES[r % len(_BAD_DATES)]
    if defect == "odd_date":
        return "1970-01-01T00:00:00Z" if r % 2 else "2099" + v[4:]
    if defect == "tz_offset":
        tz = timezone(timedelta(hours=(2, -5, 1, -8, 5)[r % 5]))
        return datetime.fromisoformat(v).astimezone(tz).isoformat()
    if defect == "local_date":
        return datetime.fromisoformat(v).strftime("%m/%d/%Y %H:%M")
    if defect == "status":
        return _ODD_STATUS[r % 3] if v == "cancelled" else _ODD_STATUS[r % 5]
    if defect == "currency":
        return "XXX" if r % 2 else v.lower()
    if defect == "negative_qty":
        return f"-{v}"
    if defect == "unknown_sku":
        return _UNKNOWN_SKUS[r % len(_UNKNOWN_SKUS)]
    if defect == "zero_amount":
        return "0.00"
    if defect == "blank_id":
        return None
    raise ValueError(defect)


def _defect_columns(roles: _Roles, defect: str) -> tuple[str, ...]:
    """The columns a defect class may touch in a table."""
    return {
        "email_case": (roles.email,),
        "email_invalid": (roles.email,),
        "blank_id": ("order_id",),
        "money_text": roles.money,
        "zero_amount": (roles.amount,),
        "too_large": (roles.amount,),
        "bad_date": roles.dates,
        "odd_date": roles.dates,
        "tz_offset": roles.dates,
        "local_date": roles.dates,
        "status": ("status",),
        "currency": ("currency",),
        "negative_qty": ("quantity",),
        "unknown_sku": ("sku",),
    }.get(defect, ())


def _messify(
    name: str,
    cols: dict[str, pa.Array],
    hidden: dict[str, np.ndarray],
    rate: float,
    rng: np.random.Generator,
    fmt: _Fmt,
) -> dict[str, pa.Array]:
    """Give a `rate` share of the rows one defect each (see the module docstring)."""
    roles = _MESSY_ROLES[name]
    n = len(next(iter(cols.values())))
    if rate <= 0 or n == 0 or not roles.defects:
        return cols
    hit = np.flatnonzero(rng.random(n) < rate)
    cls = rng.integers(0, len(roles.defects), len(hit))
    which = rng.integers(0, 1 << 30, len(hit))  # column choice
    variant = rng.integers(0, 1 << 30, len(hit))  # variant choice
    currency = hidden.get("currency")
    out = dict(cols)
    dup_rows = np.zeros(0, dtype=np.int64)
    version_rows = np.zeros(0, dtype=np.int64)
    for c, defect in enumerate(roles.defects):
        sel = cls == c
        rows = hit[sel]
        if not len(rows):
            continue
        if defect == "duplicate":
            dup_rows = rows
            continue
        if defect == "version":
            version_rows = rows
            continue
        options = _defect_columns(roles, defect)
        col_of = which[sel] % len(options)
        for ci, col in enumerate(options):
            m = col_of == ci
            r_rows, r_var = rows[m], variant[sel][m]
            if not len(r_rows):
                continue
            old = out[col].take(pa.array(r_rows)).to_pylist()
            if defect == "too_large":
                total = hidden["order_total"][r_rows]
                new = [
                    f"{t * (1.2 + v % 1000 / 500) / 100:.2f}"
                    for t, v in zip(total, r_var, strict=True)
                ]
            else:
                cur = (
                    [CURRENCIES[x] for x in currency[r_rows]]
                    if currency is not None
                    else ["USD"] * len(r_rows)
                )
                neg = col in roles.negative_money
                new = [
                    v if v is None else _defect_value(defect, v, int(x), cc, neg)
                    for v, x, cc in zip(old, r_var, cur, strict=True)
                ]
            mask = np.zeros(n, dtype=bool)
            mask[r_rows] = True
            out[col] = pc.replace_with_mask(
                out[col], pa.array(mask), pa.array(new, pa.string())
            )

    # exact duplicates, and one to three later versions of an order
    reps = 1 + rng.integers(0, 3, len(version_rows))
    src = np.repeat(version_rows, reps)
    _, step = _seg_index(reps)
    idx = np.concatenate([dup_rows, src])
    if not len(idx):
        return out
    result = {}
    for col, arr in out.items():
        extra = arr.take(pa.array(idx))
        if col == "updated_at" and len(src):
            later = hidden["updated"][src] + (step + 1) * rng.integers(
                HOUR, 10 * DAY, len(src)
            )
            extra = pa.concat_arrays([extra[: len(dup_rows)], fmt.ts(later)])
        result[col] = pa.concat_arrays([arr, extra])
    # every copy right after its original
    order = pa.array(np.argsort(np.concatenate([np.arange(n), idx]), kind="stable"))
    return {col: arr.take(order) for col, arr in result.items()}


# --------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------
# One chunk of people -> rows of every per-customer table
# --------------------------------------------------------------------------------------


def _chunk(
    w: _World, k: int, lo: int, n: int, messy: float
) -> dict[str, dict[str, pa.Array]]:
    def rng(stream: int) -> np.random.Generator:
        return _rng(w.seed, _S_CHUNK, k, stream)

    pp = _make_people(w, rng(_C_PEOPLE), lo, n)
    r_orders = rng(_C_ORDERS)
    person, ts = _natural_orders(w, r_orders, pp)
    eg = _engagement(w, rng(_C_SENDS), pp, person, ts)
    person = np.concatenate([person, eg.lift_person])
    camp = np.concatenate([np.full(len(ts), -1), eg.lift_campaign])
    ts = np.concatenate([ts, eg.lift_ts])
    od = _orders(w, r_orders, rng(_C_BASKET), rng(_C_REFUNDS), k, pp, person, ts, camp)
    tables = dict(od.tables)
    tables["customers"] = _customers(w, rng(_C_TEXT), pp, od, eg)
    tables["engagement_events"] = _events_table(w, k, pp, eg)
    tables["tickets"] = _tickets(w, rng(_C_TICKETS), k, pp, od)
    tables["reviews"] = _reviews(w, rng(_C_REVIEWS), k, pp, od)
    tables["suppressions"] = _suppressions(w, pp, eg)
    tables["erasure_requests"] = _erasures(w, pp)
    if messy > 0:
        names = list(contract())
        for name, cols in tables.items():
            r = _rng(w.seed, _S_CHUNK, k, _C_MESSY, names.index(name))
            h = od.hidden.get(name, {})
            tables[name] = _messify(name, cols, h, messy, r, w.fmt)
    return tables


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------

_NEEDS_QUOTES = r'[",\r\n]|^\s|\s$'


def _may_need_quotes(a: pa.Array) -> bool:
    """Cheap test on the raw bytes: False when no value can need quoting."""
    data = a.buffers()[2]
    if data is None:
        return False
    raw = memoryview(data).tobytes()
    return any(ch in raw for ch in (b",", b'"', b"\n", b"\r", b" ", b"\t"))


def _csv_bytes(arrays: Sequence[pa.Array]) -> memoryview:
    """Rows as CSV text (RFC 4180; quotes only where needed; null = empty)."""
    fields = []
    for a in arrays:
        a = pc.fill_null(a, "")
        if isinstance(a, pa.ChunkedArray):
            a = a.combine_chunks()
        if not _may_need_quotes(a):
            fields.append(a)
            continue
        needs = pc.match_substring_regex(a, _NEEDS_QUOTES)
        if pc.any(needs).as_py():
            quoted = _join('"', pc.replace_substring(a, '"', '""'), '"')
            a = pc.if_else(needs, quoted, a)
        fields.append(a)
    line = pc.binary_join_element_wise(*fields, ",")
    line = pc.binary_join_element_wise(line, "", "\n")
    if isinstance(line, pa.ChunkedArray):
        line = line.combine_chunks()
    offsets = np.frombuffer(line.buffers()[1], dtype=np.int32)
    lo, hi = int(offsets[line.offset]), int(offsets[line.offset + len(line)])
    return memoryview(line.buffers()[2])[lo:hi]


class _Sink:
    """One output file, written chunk by chunk to a temporary name."""

    def __init__(self, out_dir: Path, name: str, columns: Sequence[str], fmt: str):
        self.columns = tuple(columns)
        self.path = out_dir / f"{name}.{fmt}"
        self.tmp = out_dir / f".{name}.{fmt}.partial"
        self.fmt = fmt
        self.rows = 0
        self._csv: IO[bytes] | None = None
        self._pq: pq.ParquetWriter | None = None
        schema = pa.schema([(c, pa.string()) for c in self.columns])
        if fmt == "csv":
            self._csv = open(self.tmp, "wb")
            self._csv.write((",".join(self.columns) + "\n").encode())
        else:
            self._pq = pq.ParquetWriter(self.tmp, schema, compression="zstd")
        self.schema = schema

    def write(self, cols: dict[str, pa.Array]) -> None:
        if tuple(cols) != self.columns:
            raise ValueError(f"{self.path.name}: columns {tuple(cols)} != contract")
        n = len(cols[self.columns[0]])
        if n == 0:
            return
        arrays = [cols[c] for c in self.columns]
        if self._csv is not None:
            self._csv.write(_csv_bytes(arrays))
        elif self._pq is not None:
            self._pq.write_table(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += n

    def close(self) -> None:
        if self._csv is not None:
            self._csv.close()
        if self._pq is not None:
            self._pq.close()

    def commit(self) -> None:
        self.tmp.replace(self.path)
        other = "parquet" if self.fmt == "csv" else "csv"
        self.path.with_name(f"{self.path.stem}.{other}").unlink(missing_ok=True)


def generate(
    out_dir: Path,
    customers: int,
    seed: int,
    messy: float = 0.0,
    end_date: date = date(2026, 6, 30),
    fmt: str = "csv",
    progress: bool = True,
    shape: str = DEFAULT_SHAPE,
) -> dict[str, int]:
    """Write demo exports for every contract file; return rows written per file.

    ``customers`` people (identities) are generated in chunks of ``CHUNK_SIZE``;
    ``messy`` is the share of rows given a defect; ``end_date`` is the last day of
    activity; ``shape`` names a row of ``shop_shapes.csv`` (``shapes()``), the kind
    of shop. See the module docstring for the model.
    """
    return _generate(
        out_dir, customers, seed, messy, end_date, fmt, progress, shape=shape
    )


def _generate(
    out_dir: Path,
    customers: int,
    seed: int,
    messy: float,
    end_date: date,
    fmt: str,
    progress: bool,
    chunk_size: int = CHUNK_SIZE,
    shape: str = DEFAULT_SHAPE,
) -> dict[str, int]:
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    shape_row = get_shape(shape)
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if not 0.0 <= messy < 1.0:
        raise ValueError("messy must be in [0, 1)")
    if isinstance(end_date, datetime):
        end_date = end_date.date()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = contract()
    world = _build_world(seed, end_date, shape_row)
    sinks: dict[str, _Sink] = {}
    names = list(spec)
    try:
        for name, f in spec.items():
            sinks[name] = _Sink(out_dir, name, f.columns, fmt)
        for name, cols in (
            ("products", _products_table(world)),
            ("campaigns", _campaigns_table(world)),
            ("fx_rates", _fx_table(world)),
        ):
            if messy > 0:
                r = _rng(seed, _S_WORLD, 1000 + names.index(name))
                cols = _messify(name, cols, {}, messy, r, world.fmt)
            sinks[name].write(cols)
        n_chunks = -(-customers // chunk_size)
        bar = tqdm(
            total=customers,
            disable=not progress,
            file=sys.stderr,
            unit="customer",
            unit_scale=True,
            desc="segmart generate",
        )
        with bar:
            for k in range(n_chunks):
                lo = k * chunk_size
                n = min(chunk_size, customers - lo)
                for name, cols in _chunk(world, k, lo, n, messy).items():
                    sinks[name].write(cols)
                bar.update(n)
    except BaseException:
        for s in sinks.values():
            s.close()
            s.tmp.unlink(missing_ok=True)
        raise
    for s in sinks.values():
        s.close()
        s.commit()
    return {name: sinks[name].rows for name in spec}
