"""Shopify: orders, customers and products exports (Admin > ... > Export > CSV).

Orders export: one line per line item; the order's own columns ("Email",
"Financial Status", "Total", "Refunded Amount", ...) are filled on its first line
only, and every line repeats "Name" (the order number, "#1001"). Each order gives
one `orders` row (from its first line; the other lines are counted as
`line_item_row`), one `order_lines` row per line, one `refunds` row when
"Refunded Amount" is above zero, and one `customers` row carrying "Accepts
Marketing" (only when no customers export is converted with it).
"""

from __future__ import annotations

from collections.abc import Iterator

from segmart.adapters._base import (
    Context,
    Kind,
    Outcome,
    Row,
    Table,
    contract_row,
    email_key,
    group_rows,
    is_positive,
    skipped,
    strip_apostrophe,
    sum_money,
    ts,
    written,
)

SOURCE = (
    "help.shopify.com/en/manual/fulfillment/managing-orders/exporting-orders "
    "(orders export columns), .../customers/import-export-customers (customers "
    "export, 2023+ layout and the earlier one), .../products/import-export/"
    "using-csv (products CSV)"
)


def _line_rows(rows: list[Row]) -> list[Row]:
    """The rows of an order that carry a line item."""
    return [
        r
        for r in rows
        if r.first("lineitem name", "lineitem sku", "lineitem quantity").strip()
    ]


def _order_status(first: Row) -> str:
    """Cancelled when "Cancelled at" is set; "fulfilled" when paid and fulfilled;
    otherwise the financial status as written (paid, partially_refunded, ...)."""
    if first.get("cancelled at").strip():
        return "cancelled"
    financial = first.get("financial status")
    fulfillment = first.get("fulfillment status").strip().lower()
    if financial.strip().lower() == "paid" and fulfillment == "fulfilled":
        return "fulfilled"
    return financial


def _refund_date(first: Row) -> str:
    """The export has no refund date: the latest dated event of the order is a
    lower bound of it (cancelled, else fulfilled, else paid, else created)."""
    return ts(first.first("cancelled at", "fulfilled at", "paid at", "created at"))


def _is_return(rows: list[Row]) -> str:
    """ "true" when the goods came back (Shopify marks them "restocked"); blank
    (unknown) otherwise."""
    statuses = [rows[0].get("fulfillment status")] + [
        r.get("lineitem fulfillment status") for r in rows
    ]
    return "true" if any(s.strip().lower() == "restocked" for s in statuses) else ""


def convert_orders(table: Table, context: Context) -> Iterator[Outcome]:
    """Shopify orders export -> orders, order_lines, refunds, customers."""
    if "shopify_customers" in context.kinds:
        customers_skip = "customers_export_present"
    elif "customers" in context.user_contract_files:
        customers_skip = "contract_file_present"
    else:
        customers_skip = ""
    named = [r for r in table.rows if r.get("name").strip()]
    for row in table.rows:
        if not row.get("name").strip():
            for target in KIND_ORDERS.targets:
                yield skipped(row, target, "missing_order_name")
    for rows in group_rows(named, lambda r: r.get("name").strip()):
        first, rest = rows[0], rows[1:]
        name = first.get("name").strip()
        lines = _line_rows(rows)
        yield written(
            first,
            "orders",
            contract_row(
                "orders",
                order_id=name,
                email=first.get("email"),
                ordered_at=ts(first.get("created at")),
                currency=first.get("currency"),
                status=_order_status(first),
                channel=first.get("source"),
                # Shopify's "Subtotal" is after discounts; the contract's is before:
                # the sum of line prices x quantities.
                subtotal=sum_money(
                    [r.get("lineitem price") for r in lines],
                    [r.get("lineitem quantity") for r in lines],
                ),
                discount_total=first.get("discount amount"),
                discount_codes=first.get("discount code"),
                shipping_charged=first.get("shipping"),
                tax_total=first.get("taxes"),
                total=first.get("total"),
            ),
        )
        for row in rest:
            yield skipped(row, "orders", "line_item_row")

        line_numbers = {r.number: i for i, r in enumerate(lines, start=1)}
        for row in rows:
            if row.number not in line_numbers:
                yield skipped(row, "order_lines", "no_line_item")
                continue
            yield written(
                row,
                "order_lines",
                contract_row(
                    "order_lines",
                    order_id=name,
                    line_id=f"{name}-{line_numbers[row.number]}",
                    sku=row.get("lineitem sku"),
                    quantity=row.get("lineitem quantity"),
                    unit_price=row.get("lineitem price"),
                    line_discount=row.get("lineitem discount"),
                ),
            )

        refunded = first.get("refunded amount")
        if is_positive(refunded):
            yield written(
                first,
                "refunds",
                contract_row(
                    "refunds",
                    refund_id=f"{name}-refund",
                    order_id=name,
                    refunded_at=_refund_date(first),
                    amount=refunded,
                    is_return=_is_return(rows),
                ),
            )
        else:
            yield skipped(first, "refunds", "no_refund")
        for row in rest:
            yield skipped(row, "refunds", "line_item_row")

        if customers_skip:
            yield skipped(first, "customers", customers_skip)
        elif not first.get("email").strip():
            yield skipped(first, "customers", "missing_email")
        else:
            yield written(
                first,
                "customers",
                contract_row(
                    "customers",
                    customer_id=email_key(first.get("email")),
                    email=first.get("email"),
                    phone=strip_apostrophe(first.first("phone", "billing phone")),
                    country=first.get("billing country"),
                    region=first.first("billing province", "billing province name"),
                    city=first.get("billing city"),
                    postal_code=strip_apostrophe(first.get("billing zip")),
                    company_name=first.get("billing company"),
                    email_consent=first.get("accepts marketing"),
                    # The consent a buyer gave at checkout, dated by the order.
                    consent_updated_at=ts(first.get("created at"))
                    if first.get("accepts marketing").strip()
                    else "",
                ),
            )
        for row in rest:
            yield skipped(row, "customers", "line_item_row")


def convert_customers(table: Table, context: Context) -> Iterator[Outcome]:
    """Shopify customers export (2023+ layout or the earlier one) -> customers."""
    for row in table.rows:
        customer_id = strip_apostrophe(row.get("customer id")).strip()
        yield written(
            row,
            "customers",
            contract_row(
                "customers",
                customer_id=customer_id or email_key(row.get("email")),
                email=row.get("email"),
                phone=strip_apostrophe(row.first("phone", "default address phone")),
                first_name=row.get("first name"),
                last_name=row.get("last name"),
                country=row.get("default address country code", "country code"),
                region=row.get("default address province code", "province code"),
                city=row.get("default address city", "city"),
                postal_code=strip_apostrophe(row.get("default address zip", "zip")),
                company_name=row.get("default address company", "company"),
                tags=row.get("tags"),
                email_consent=row.get("accepts email marketing", "accepts marketing"),
                sms_consent=row.get("accepts sms marketing"),
            ),
        )


def _product_name(title: str, row: Row) -> str:
    """Title plus the variant's option values, as Shopify names line items
    ("Coffee Beans - 1kg / Whole"); a single-variant product keeps its title."""
    options = [
        row.get(f"option{i} value").strip()
        for i in (1, 2, 3)
        if row.get(f"option{i} value").strip()
        and row.get(f"option{i} value").strip() != "Default Title"
    ]
    return f"{title} - {' / '.join(options)}" if options and title else title


def convert_products(table: Table, context: Context) -> Iterator[Outcome]:
    """Shopify products export -> products (one row per variant).

    Title, Type and Product Category are on a product's first line only and are
    carried to its other variant lines (same Handle). Lines with only an image are
    counted as `image_row`.
    """
    carried: dict[str, dict[str, str]] = {}
    for row in table.rows:
        handle = row.get("handle", "url handle").strip()
        product = carried.setdefault(handle, {})
        for column in ("title", "type", "product category"):
            if row.get(column).strip() and column not in product:
                product[column] = row.get(column)
        if not row.first("variant sku", "variant price", "option1 value").strip():
            yield skipped(row, "products", "image_row")
            continue
        yield written(
            row,
            "products",
            contract_row(
                "products",
                sku=row.get("variant sku"),
                product_name=_product_name(product.get("title", ""), row),
                category=product.get("type") or product.get("product category", ""),
                unit_cost=row.get("cost per item"),
                price=row.get("variant price"),
                inventory_quantity=row.get("variant inventory qty"),
            ),
        )


KIND_ORDERS = Kind(
    name="shopify_orders",
    platform="shopify",
    description="Shopify orders export (one line per line item)",
    signature=(
        ("name",),
        ("financial status",),
        ("lineitem quantity",),
        ("lineitem price",),
    ),
    targets=("orders", "order_lines", "refunds", "customers"),
    convert=convert_orders,
    source=SOURCE,
)

KIND_CUSTOMERS = Kind(
    name="shopify_customers",
    platform="shopify",
    description="Shopify customers export",
    signature=(
        ("email",),
        ("accepts email marketing", "accepts marketing"),
        ("total spent", "total orders"),
    ),
    targets=("customers",),
    convert=convert_customers,
    source=SOURCE,
)

KIND_PRODUCTS = Kind(
    name="shopify_products",
    platform="shopify",
    description="Shopify products export (one line per variant or image)",
    signature=(("handle", "url handle"), ("title",), ("variant sku",)),
    targets=("products",),
    convert=convert_products,
    source=SOURCE,
)

KINDS = (KIND_ORDERS, KIND_CUSTOMERS, KIND_PRODUCTS)
