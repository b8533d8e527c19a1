"""One chunk of people -> the rows of every per-customer table."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from segmart.contract import contract
from segmart.generate.core import (
    _C_BASKET,
    _C_MESSY,
    _C_ORDERS,
    _C_PEOPLE,
    _C_REFUNDS,
    _C_REVIEWS,
    _C_SENDS,
    _C_TEXT,
    _C_TICKETS,
    _S_CHUNK,
    _bools,
    _ints,
    _pick,
    _rng,
    _scramble,
    _seg_index,
    _strs,
)
from segmart.generate.engagement import (
    _Engagement,
    _engagement,
    _events_table,
    _suppressions,
)
from segmart.generate.messy import _messify
from segmart.generate.orders import _natural_orders, _Orders, _orders
from segmart.generate.people import (
    _COUNTRIES,
    _GEO,
    _NEVER,
    _TAGS,
    _erasures,
    _make_people,
    _People,
)
from segmart.generate.service import _reviews, _tickets
from segmart.generate.world import _World


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


# One chunk of people -> rows of every per-customer table


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
