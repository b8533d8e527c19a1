"""The catalogue: categories, product names, prices, margins, stock, and the
next-line category graph read from ``seeds/category_relations.csv``."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from segmart.contract import PROJECT_DIR
from segmart.generate.core import DAY

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

RELATIONS_SEED = PROJECT_DIR / "seeds" / "category_relations.csv"


@functools.cache
def category_relations() -> tuple[tuple[str, str], ...]:
    """(category, related_category) rows of the dbt seed ``category_relations``.

    What buyers of the first also buy; mostly symmetric (machines -> accessories
    and grinders -> filters are one-way). The seed is the single source: the build
    reads it as ``ref('category_relations')``, the generator's baskets follow it.
    """
    with RELATIONS_SEED.open(newline="", encoding="utf-8") as handle:
        rows = tuple(
            (r["category"], r["related_category"]) for r in csv.DictReader(handle)
        )
    unknown = {c for row in rows for c in row} - set(CATEGORIES)
    if unknown:
        raise ValueError(f"{RELATIONS_SEED}: unknown categories {sorted(unknown)}")
    return rows


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
        related = [cidx[b] for a, b in category_relations() if cidx[a] == c]
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
