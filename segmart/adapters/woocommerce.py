"""WooCommerce: the orders CSV of the official "Customer / Order / Coupon Export"
extension (woocommerce.com, by SkyVerge), in either standard layout:

- "Default - One Row per Item": the order's columns repeated on every item line,
  plus item_* columns (item_id, item_sku, item_quantity, item_subtotal,
  item_total, ...);
- "Default": one line per order, its items packed in `line_items` as
  "name:...|sku:...|quantity:...|subtotal:...|total:..." separated by ";".

Order-level pipe-delimited columns are read the same way: `coupons`
("code:SAVE10|amount:5.00|...") and `refunds` ("id:..|date:..|amount:..|reason:..").
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from segmart.adapters._base import (
    Context,
    Kind,
    Outcome,
    Row,
    Table,
    contract_row,
    decimal_or_none,
    email_key,
    group_rows,
    is_positive,
    money_text,
    skipped,
    ts,
    written,
)

SOURCE = (
    "woocommerce.com/document/ordercustomer-csv-exporter/ (Customer/Order/Coupon "
    "Export, 'Default' and 'Default - One Row per Item' formats); column keys as "
    "in the extension's Orders_Export_Format_Definition::get_data_sources()"
)


def parse_items(text: str) -> list[dict[str, str]]:
    """Pipe-delimited items ("k:v|k:v;k:v|k:v") as dicts. The extension escapes
    reserved characters (: | ;) with a backslash."""
    items: list[dict[str, str]] = []
    for chunk in _split_unescaped(text, ";"):
        if not chunk.strip():
            continue
        item: dict[str, str] = {}
        for pair in _split_unescaped(chunk, "|"):
            key, _, value = _partition_unescaped(pair, ":")
            item[_unescape(key).strip().lower()] = _unescape(value)
        items.append(item)
    return items


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _partition_unescaped(text: str, sep: str) -> tuple[str, str, str]:
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == sep:
            return text[:index], sep, text[index + 1 :]
    return text, "", ""


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            out.append(char)
    return "".join(out)


def _items_of(rows: list[Row]) -> list[tuple[Row, dict[str, str]]]:
    """The order's items, each with the input row it came from."""
    first = rows[0]
    if first.get("line_items").strip() and not first.has("item_sku"):
        return [(first, item) for item in parse_items(first.get("line_items"))]
    items = []
    for row in rows:
        item = {
            key: row.get(f"item_{key}")
            for key in ("id", "name", "sku", "quantity", "subtotal", "total", "price")
        }
        if any(v.strip() for v in item.values()):
            items.append((row, item))
    return items


def _unit_price_and_discount(item: dict[str, str]) -> tuple[str, str]:
    """Unit price before discounts and the line's discount.

    item_subtotal (before coupons) / quantity, and subtotal - total (after
    coupons). The older layout has only item_total: its unit price is then the
    discounted one and the line discount 0.
    """
    quantity = decimal_or_none(item.get("quantity", ""))
    subtotal = decimal_or_none(item.get("subtotal", ""))
    total = decimal_or_none(item.get("total", ""))
    if not quantity:
        return item.get("price", ""), ""
    if subtotal is not None:
        discount = money_text(subtotal - total) if total is not None else ""
        return money_text(subtotal / quantity), discount
    if total is not None:
        return money_text(total / quantity), "0.00"
    return item.get("price", ""), ""


def _subtotal(items: list[dict[str, str]], discount_total: str) -> str:
    """Sum of line prices before discounts: the items' subtotals, else (older
    layout) their totals plus the order's discount."""
    subtotals = [decimal_or_none(i.get("subtotal", "")) for i in items]
    if items and all(s is not None for s in subtotals):
        return money_text(sum(subtotals, Decimal(0)))
    totals = [decimal_or_none(i.get("total", "")) for i in items]
    discount = decimal_or_none(discount_total) or Decimal(0)
    if items and all(t is not None for t in totals):
        return money_text(sum(totals, Decimal(0)) + discount)
    return ""


def _coupon_codes(text: str) -> str:
    """Coupon codes from the `coupons` column, comma separated."""
    return ", ".join(i["code"] for i in parse_items(text) if i.get("code", "").strip())


def convert_orders(table: Table, context: Context) -> Iterator[Outcome]:
    """WooCommerce orders export -> orders, order_lines, refunds, customers."""
    keyed = [r for r in table.rows if r.get("order_id").strip()]
    for row in table.rows:
        if not row.get("order_id").strip():
            for target in KIND_ORDERS.targets:
                yield skipped(row, target, "missing_order_id")
    for rows in group_rows(keyed, lambda r: r.get("order_id").strip()):
        first, rest = rows[0], rows[1:]
        order_id = first.get("order_id").strip()
        items = _items_of(rows)
        customer_id = first.get("customer_id").strip()
        customer_id = "" if customer_id in ("", "0") else customer_id  # 0 = guest
        yield written(
            first,
            "orders",
            contract_row(
                "orders",
                order_id=order_id,
                customer_id=customer_id,
                email=first.get("billing_email"),
                ordered_at=ts(first.get("order_date", "date")),
                currency=first.get("order_currency", "currency"),
                status=first.get("status"),
                subtotal=_subtotal([i for _, i in items], first.get("discount_total")),
                discount_total=first.get("discount_total"),
                discount_codes=_coupon_codes(first.get("coupons", "coupon_items")),
                shipping_charged=first.get("shipping_total"),
                tax_total=first.get("tax_total"),
                total=first.get("order_total"),
            ),
        )
        for row in rest:
            yield skipped(row, "orders", "line_item_row")

        by_row: dict[int, list[dict[str, str]]] = {}
        for number, (row, item) in enumerate(items, start=1):
            unit_price, line_discount = _unit_price_and_discount(item)
            by_row.setdefault(row.number, []).append(
                contract_row(
                    "order_lines",
                    order_id=order_id,
                    line_id=item.get("id", "").strip() or f"{order_id}-{number}",
                    sku=item.get("sku", ""),
                    quantity=item.get("quantity", ""),
                    unit_price=unit_price,
                    line_discount=line_discount,
                )
            )
        for row in rows:
            if row.number in by_row:
                yield written(row, "order_lines", *by_row[row.number])
            else:
                yield skipped(row, "order_lines", "no_line_item")

        refunds = _refunds(first, order_id)
        if refunds:
            yield written(first, "refunds", *refunds)
        else:
            yield skipped(first, "refunds", "no_refund")
        for row in rest:
            yield skipped(row, "refunds", "line_item_row")

        if "customers" in context.user_contract_files:
            yield skipped(first, "customers", "contract_file_present")
        elif not first.get("billing_email").strip():
            yield skipped(first, "customers", "missing_email")
        else:
            yield written(
                first,
                "customers",
                contract_row(
                    "customers",
                    customer_id=customer_id or email_key(first.get("billing_email")),
                    email=first.get("billing_email"),
                    phone=first.get("billing_phone"),
                    first_name=first.get("billing_first_name"),
                    last_name=first.get("billing_last_name"),
                    country=first.get("billing_country"),
                    region=first.get("billing_state_code", "billing_state"),
                    city=first.get("billing_city"),
                    postal_code=first.get("billing_postcode"),
                    company_name=first.get("billing_company"),
                ),
            )
        for row in rest:
            yield skipped(row, "customers", "line_item_row")


def _refunds(first: Row, order_id: str) -> list[dict[str, str]]:
    """Refund rows: each item of the `refunds` column, else one row for
    `refunded_total` dated by the order (a lower bound: the layout has no date)."""
    rows = []
    for number, item in enumerate(parse_items(first.get("refunds")), start=1):
        if not item.get("amount", "").strip():
            continue
        rows.append(
            contract_row(
                "refunds",
                refund_id=item.get("id", "").strip() or f"{order_id}-refund-{number}",
                order_id=order_id,
                refunded_at=ts(item.get("date", "")),
                amount=item.get("amount", ""),
                reason=item.get("reason", ""),
            )
        )
    if rows or not is_positive(first.get("refunded_total")):
        return rows
    return [
        contract_row(
            "refunds",
            refund_id=f"{order_id}-refund",
            order_id=order_id,
            refunded_at=ts(first.get("order_date", "date")),
            amount=first.get("refunded_total"),
        )
    ]


KIND_ORDERS = Kind(
    name="woocommerce_orders",
    platform="woocommerce",
    description="WooCommerce Customer/Order/Coupon Export orders CSV",
    signature=(
        ("order_id",),
        ("order_total",),
        ("billing_email",),
        ("status",),
        ("item_sku", "item_name", "line_items"),
    ),
    targets=("orders", "order_lines", "refunds", "customers"),
    convert=convert_orders,
    source=SOURCE,
)

KINDS = (KIND_ORDERS,)
