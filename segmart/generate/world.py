"""The world shared by all chunks: the calendar and its intensity, the catalogue, fx
rates and campaigns; and the tables written from it (products, campaigns, fx)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from segmart.generate.campaigns import _CHANNELS, SEGMENTS, _build_campaigns, _Campaigns
from segmart.generate.catalogue import CATEGORIES, _build_catalog, _Catalog
from segmart.generate.core import (
    _EPOCH,
    _S_CAMPAIGNS,
    _S_CATALOG,
    _S_FX,
    DAY,
    _Fmt,
    _history_start,
    _ints,
    _money,
    _pick,
    _rng,
    _strs,
    _thanksgiving,
)
from segmart.generate.shape import DEFAULT_SHAPE, Shape, get_shape

CURRENCIES: tuple[str, ...] = ("USD", "EUR", "GBP", "CAD")
_FX_ANCHOR = (1.0, 1.09, 1.27, 0.73)


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
