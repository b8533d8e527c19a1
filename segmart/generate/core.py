"""What every part of the generator shares: random streams, ids, hashes, the
calendar helpers and the vectorised text formatting (numbers to pyarrow strings)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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


def _order_index(
    n_people: int, person: np.ndarray, ts: np.ndarray, t0: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort orders by (person, time): (order, sort keys, first order of each person)."""
    key = person.astype(np.int64) * _KEY_SPAN + (ts - t0)
    order = np.argsort(key, kind="stable")
    start = np.searchsorted(person[order], np.arange(n_people + 1))
    return order, key[order], start
