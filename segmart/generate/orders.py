"""Orders, lines and refunds; the natural purchases, a renewal process in shop time
with dropout (BG/NBD-like)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segmart.generate.campaigns import _CODE_FREESHIP, _CODES
from segmart.generate.core import (
    _ORDER_HOURS,
    DAY,
    HOUR,
    _bools,
    _choice,
    _ints,
    _join,
    _local_seconds,
    _money,
    _order_index,
    _pick,
    _scramble,
    _seg_index,
    _strs,
    _take,
    _unit_hash,
)
from segmart.generate.people import _NEVER, _People
from segmart.generate.world import CURRENCIES, _World

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
