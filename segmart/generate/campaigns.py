"""The campaign plan: segments, discount codes and offers, and the fixed calendar of
newsletter, lifecycle, SMS and holiday sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

import numpy as np

from segmart.generate.catalogue import _ORIGINS, _TEAS
from segmart.generate.core import DAY, HOUR, _thanksgiving

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


_CHANNELS = ("email", "sms")
