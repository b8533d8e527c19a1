"""Campaign sends, engagement events, suppressions and campaign-driven orders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from segmart.generate.campaigns import (
    _CHANNELS,
    _SEG_ALL,
    _SEG_AT_RISK,
    _SEG_B2B,
    _SEG_CHAMPIONS,
    _SEG_ENGAGED,
    _SEG_LOST,
    _SEG_NEW2,
    _SEG_UNENGAGED,
    _SEG_WIN_BACK,
)
from segmart.generate.core import (
    _KEY_SPAN,
    DAY,
    HOUR,
    _ints,
    _order_index,
    _pick,
    _scramble,
    _strs,
    _take,
    _unit_hash,
)
from segmart.generate.people import _ETYPE_DORMANT, _KIND_PROSPECT, _NEVER, _People
from segmart.generate.world import _World

_EV_TYPES = (
    "sent",
    "delivered",
    "opened",
    "clicked",
    "bounced",
    "unsubscribed",
    "spam_complaint",
)


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
