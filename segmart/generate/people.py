"""People: geography, names, emails, phones, companies, and each person's kind,
consent and buying behaviour; the erasure requests among them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pyarrow as pa

from segmart.generate.core import (
    _ORDER_HOURS,
    DAY,
    HOUR,
    _choice,
    _local_seconds,
    _scramble,
    _strs,
)
from segmart.generate.world import _World

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


def _ascii(s: str) -> str:
    if s in _HANZI:
        return _HANZI[s]
    s = "".join(_ASCII_EXTRA.get(ch, ch) for ch in s)
    s = unicodedata.normalize("NFKD", s)
    return "".join(ch for ch in s if ch.isascii() and (ch.isalnum())).lower()


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


def _erasures(w: _World, pp: _People) -> dict[str, pa.Array]:
    m = np.flatnonzero(pp.erased_at < w.t_end)
    return {
        "email": _strs(pp.email[m]),
        "requested_at": w.fmt.ts(pp.erased_at[m]),
    }
