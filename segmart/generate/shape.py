"""Shop shapes: the generator's shop parameters, one row each in
``segmart/shop_shapes.csv`` (``shapes()``, ``get_shape()``)."""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from types import MappingProxyType

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
