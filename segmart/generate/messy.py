"""Messy mode: realistic defects in a share of the rows of each file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import MappingProxyType

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from segmart.generate.core import DAY, HOUR, _Fmt, _seg_index
from segmart.generate.world import CURRENCIES


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
