"""Tests of segmart.adapters, one platform at a time: Shopify, WooCommerce,
Stripe, Klaviyo, Mailchimp, HubSpot and the help desks.

Each platform has a fixture in its export's exact shape (tests_py/fixtures/
platforms/<platform>/, fake people). Expected values are written out by hand
from those files; so are the reconciliation counts. The helpers are
test_adapters.py's.
"""

from __future__ import annotations

import json
import shutil

import pytest

from segmart.adapters import REPORT_NAME, convert
from segmart.adapters.woocommerce import parse_items
from segmart.contract import contract
from tests_py.test_adapters import (
    PLATFORMS,
    by,
    copy_fixture,
    header_of,
    rows_of,
    targets,
)

# --- Shopify -------------------------------------------------------------------


@pytest.fixture(scope="module")
def shopify(tmp_path_factory):
    raw = copy_fixture(tmp_path_factory.mktemp("shopify"), "shopify")
    out = raw.parent / "out"
    return convert(raw, out), out


def test_shopify_orders_take_order_columns_from_the_first_line(shopify):
    report, out = shopify
    assert header_of(out / "orders.csv") == list(contract()["orders"].columns)
    orders = by(rows_of(out / "orders.csv"), "order_id")
    assert list(orders) == ["#1001", "#1002", "#1003", "#1004"]
    assert orders["#1001"] == {
        "order_id": "#1001",
        "customer_id": "",
        "email": "ada.quill@example.com",
        "ordered_at": "2026-03-02T09:14:05-05:00",
        "updated_at": "",
        "currency": "USD",
        "status": "partially_refunded",
        "channel": "web",
        # 2 x 18.00 + 1 x 24.00, before the 6.00 discount (Shopify's own
        # "Subtotal" 54.00 is after it)
        "subtotal": "60.00",
        "discount_total": "6.00",
        "discount_codes": "WELCOME10",
        "shipping_charged": "4.95",
        "tax_total": "4.32",
        "total": "63.27",
        "shipping_cost": "",  # Shopify exports no shipping cost
    }
    assert orders["#1002"]["status"] == "fulfilled"  # paid + fulfilled
    assert orders["#1003"]["status"] == "cancelled"  # "Cancelled at" set
    assert orders["#1004"]["status"] == "paid"  # paid, unfulfilled
    assert orders["#1004"]["ordered_at"] == "2026-04-18T11:05:22-04:00"
    assert orders["#1004"]["subtotal"] == "50.00"  # 18.00 + 32.00


def test_shopify_order_lines_one_per_line_item(shopify):
    _, out = shopify
    lines = rows_of(out / "order_lines.csv")
    assert [(r["order_id"], r["line_id"], r["sku"], r["quantity"]) for r in lines] == [
        ("#1001", "#1001-1", "COF-ETH-250", "2"),
        ("#1001", "#1001-2", "DRP-CER", "1"),
        ("#1002", "#1002-1", "COF-COL-1K", "3"),
        ("#1003", "#1003-1", "DRP-CER", "1"),
        ("#1004", "#1004-1", "COF-ETH-250G", "1"),
        ("#1004", "#1004-2", "COF-COL-1K", "1"),
    ]
    assert (lines[0]["unit_price"], lines[0]["line_discount"]) == ("18.00", "3.60")
    assert (lines[1]["unit_price"], lines[1]["line_discount"]) == ("24.00", "2.40")


def test_shopify_refunds_from_refunded_amount(shopify):
    _, out = shopify
    refunds = rows_of(out / "refunds.csv")
    assert refunds == [
        {
            "refund_id": "#1001-refund",
            "order_id": "#1001",
            # no refund date in the export: the order's last event (fulfilled)
            "refunded_at": "2026-03-03T16:40:12-05:00",
            "amount": "18.00",
            "is_return": "",  # unknown
            "reason": "",
        },
        {
            "refund_id": "#1003-refund",
            "order_id": "#1003",
            "refunded_at": "2026-03-07T08:30:00-05:00",  # cancelled at
            "amount": "30.87",
            "is_return": "true",  # restocked
            "reason": "",
        },
    ]


def test_shopify_products_carry_title_and_cost_per_item(shopify):
    _, out = shopify
    products = by(rows_of(out / "products.csv"), "sku")
    assert list(products) == ["COF-ETH-250", "COF-ETH-250G", "COF-COL-1K", "DRP-CER"]
    assert products["COF-ETH-250G"] == {
        "sku": "COF-ETH-250G",
        "product_name": "Ethiopia Yirgacheffe - 250g / Ground",  # title carried
        "category": "Coffee Beans",
        "unit_cost": "7.20",
        "price": "18.00",
        "inventory_quantity": "31",
        "updated_at": "",
    }
    assert products["DRP-CER"]["product_name"] == "Ceramic Pour-Over Dripper"
    assert products["DRP-CER"]["category"] == "Brewing Gear"
    assert products["COF-COL-1K"]["unit_cost"] == "12.50"


def test_shopify_customers_export(shopify):
    _, out = shopify
    customers = by(rows_of(out / "customers.csv"), "customer_id")
    assert list(customers) == [
        "7412000000101",
        "7412000000102",
        "7412000000103",
        "7412000000104",
    ]  # Shopify's leading apostrophe removed
    ada = customers["7412000000101"]
    assert (ada["email"], ada["phone"], ada["postal_code"]) == (
        "ada.quill@example.com",
        "+14155550123",
        "94110",
    )
    assert (ada["country"], ada["region"], ada["city"]) == ("US", "CA", "San Francisco")
    assert (ada["email_consent"], ada["sms_consent"]) == ("yes", "no")
    assert ada["tags"] == "coffee club, vip"
    cleo = customers["7412000000103"]
    assert cleo["company_name"] == "Marsh & Daughters Café"
    assert cleo["sms_consent"] == "yes"
    assert customers["7412000000104"]["postal_code"] == "M5V 2T6"


def test_shopify_margin_inputs_are_complete(shopify):
    # Every order line's SKU has a product with a unit cost ("Cost per item"):
    # staging can cost every order, so margin comes from the export alone.
    _, out = shopify
    costs = {p["sku"]: p["unit_cost"] for p in rows_of(out / "products.csv")}
    for line in rows_of(out / "order_lines.csv"):
        assert costs[line["sku"]], line


def test_shopify_reconciliation(shopify):
    report, out = shopify
    assert report.balanced
    assert targets(report, "orders_export_1.csv") == {
        "orders": (4, 4, {"line_item_row": 2}),
        "order_lines": (6, 6, {}),
        "refunds": (2, 2, {"line_item_row": 2, "no_refund": 2}),
        "customers": (0, 0, {"customers_export_present": 4, "line_item_row": 2}),
    }
    assert targets(report, "products_export_1.csv") == {
        "products": (4, 4, {"image_row": 1})
    }
    assert targets(report, "customers_export.csv") == {"customers": (4, 4, {})}
    saved = json.loads((out / REPORT_NAME).read_text())
    assert saved["balanced"] is True
    (orders_entry,) = [i for i in saved["inputs"] if i["file"] == "orders_export_1.csv"]
    assert orders_entry["input_rows"] == 6
    assert orders_entry["targets"]["refunds"]["skipped"] == {
        "line_item_row": 2,
        "no_refund": 2,
    }
    assert saved["outputs"]["orders"]["rows"] == 4
    assert saved["outputs"]["orders"]["sources"] == ["orders_export_1.csv"]


def test_shopify_orders_alone_give_customers_with_accepts_marketing(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(PLATFORMS / "shopify" / "orders_export_1.csv", raw)
    report = convert(raw, tmp_path / "out")
    customers = rows_of(tmp_path / "out" / "customers.csv")
    assert [c["customer_id"] for c in customers] == [
        "email:ada.quill@example.com",
        "email:bram.oakes@example.net",
        "email:cleo.marsh@example.org",
        "email:ada.quill@example.com",  # a second version, from order #1004
    ]
    ada = customers[0]
    assert (ada["email_consent"], ada["consent_updated_at"]) == (
        "yes",
        "2026-03-02T09:14:05-05:00",
    )
    assert (ada["phone"], ada["country"], ada["postal_code"]) == (
        "+1 415-555-0123",
        "US",
        "94110",
    )
    assert customers[1]["email_consent"] == "no"
    assert customers[2]["company_name"] == "Marsh & Daughters Café"
    assert targets(report, "orders_export_1.csv")["customers"] == (
        4,
        4,
        {"line_item_row": 2},
    )


# --- WooCommerce ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def woo(tmp_path_factory):
    raw = copy_fixture(tmp_path_factory.mktemp("woo"), "woocommerce")
    return convert(raw, raw.parent / "out"), raw.parent / "out"


def test_woocommerce_orders(woo):
    _, out = woo
    orders = by(rows_of(out / "orders.csv"), "order_id")
    assert list(orders) == ["2051", "2052", "2053"]
    assert orders["2051"] == {
        "order_id": "2051",
        "customer_id": "17",
        "email": "lena.vogt@example.de",
        "ordered_at": "2026-04-10 18:22:31",  # store time, as written
        "updated_at": "",
        "currency": "EUR",
        "status": "completed",
        "channel": "",
        "subtotal": "28.30",  # item subtotals 23.80 + 4.50, before the coupon
        "discount_total": "2.83",
        "discount_codes": "sommer10",
        "shipping_charged": "5.90",
        "tax_total": "2.90",
        "total": "34.27",
        "shipping_cost": "",
    }
    assert orders["2052"]["customer_id"] == ""  # guest: WooCommerce writes 0
    assert orders["2053"]["status"] == "cancelled"


def test_woocommerce_lines_refunds_and_customers(woo):
    report, out = woo
    lines = rows_of(out / "order_lines.csv")
    assert [tuple(r.values()) for r in lines] == [
        # unit price = item_subtotal / qty; discount = item_subtotal - item_total
        ("2051", "301", "KAS-BERG-500", "2", "11.90", "2.38"),
        ("2051", "302", "BRT-ROG", "1", "4.50", "0.45"),
        ("2052", "303", "BUT-ALP-250", "3", "3.95", "0.00"),
        ("2053", "304", "BRT-ROG", "2", "4.50", "0.00"),
    ]
    assert rows_of(out / "refunds.csv") == [
        {
            "refund_id": "2077",
            "order_id": "2051",
            "refunded_at": "2026-04-14 09:05:12",
            "amount": "4.05",
            "is_return": "",
            "reason": "Brot kam zerdrückt an",
        }
    ]
    customers = rows_of(out / "customers.csv")
    assert [c["customer_id"] for c in customers] == [
        "17",
        "email:jonas.weber@example.de",
        "17",
    ]
    assert (customers[1]["city"], customers[1]["email"]) == (
        "München",
        "Jonas.Weber@example.de",
    )
    assert targets(report, "orders-export-2026-04-30.csv") == {
        "orders": (3, 3, {"line_item_row": 1}),
        "order_lines": (4, 4, {}),
        "refunds": (1, 1, {"line_item_row": 1, "no_refund": 2}),
        "customers": (3, 3, {"line_item_row": 1}),
    }


def test_woocommerce_default_layout_with_packed_line_items(tmp_path):
    # The "Default" layout: one line per order, items in line_items.
    header = (
        "order_id,date,status,shipping_total,tax_total,discount_total,order_total,"
        "refunded_total,order_currency,customer_id,billing_email,line_items,coupons,"
        "refunds"
    )
    line = (
        "7001,2026-05-01 10:00:00,completed,4.00,0.00,1.00,23.00,2.00,EUR,0,"
        'a@example.com,"name:Tea\\: green|sku:TEA-G|quantity:2|total:8.00;'
        'name:Mug|sku:MUG-1|quantity:1|total:12.00",code:HELLO|amount:1.00,'
    )
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "orders.csv.txt").write_text(header + "\n" + line + "\n")
    report = convert(raw, tmp_path / "out")
    lines = rows_of(tmp_path / "out" / "order_lines.csv")
    # older layout: only item totals (after discounts), so the unit price is
    # the discounted one and the subtotal adds the order discount back
    assert [tuple(r.values()) for r in lines] == [
        ("7001", "7001-1", "TEA-G", "2", "4.00", "0.00"),
        ("7001", "7001-2", "MUG-1", "1", "12.00", "0.00"),
    ]
    (order,) = rows_of(tmp_path / "out" / "orders.csv")
    assert (order["subtotal"], order["discount_codes"]) == ("21.00", "HELLO")
    (refund,) = rows_of(tmp_path / "out" / "refunds.csv")
    # no refund items: refunded_total, dated by the order (a lower bound)
    assert (refund["refund_id"], refund["amount"], refund["refunded_at"]) == (
        "7001-refund",
        "2.00",
        "2026-05-01 10:00:00",
    )
    # one input row gave two order lines
    assert targets(report, "orders.csv.txt")["order_lines"] == (2, 1, {})


def test_parse_items_handles_escapes():
    assert parse_items("name:A\\|B|qty:1;name:C\\:D|qty:2") == [
        {"name": "A|B", "qty": "1"},
        {"name": "C:D", "qty": "2"},
    ]
    assert parse_items("") == []


# --- Stripe --------------------------------------------------------------------


def test_stripe_only_shop_payments_are_orders(tmp_path):
    raw = copy_fixture(tmp_path, "stripe")
    report = convert(raw, tmp_path / "out")
    orders = rows_of(tmp_path / "out" / "orders.csv")
    assert [o["order_id"] for o in orders] == [
        "ch_3Pq1AaZ2eZvKYlo21A1",
        "ch_3Pq1BbZ2eZvKYlo22A2",
        "ch_3Pq1DdZ2eZvKYlo24A4",
    ]  # the failed and the uncaptured payments are not orders
    assert orders[1] == {
        "order_id": "ch_3Pq1BbZ2eZvKYlo22A2",
        "customer_id": "cus_Q1bTomasReyes",
        "email": "tomas.reyes@example.com",
        "ordered_at": "2026-02-10T16:40Z",  # "Created (UTC)" made explicit
        "updated_at": "",
        "currency": "usd",
        "status": "Paid",
        "channel": "",
        "subtotal": "129.00",
        "discount_total": "",
        "discount_codes": "",
        "shipping_charged": "",
        "tax_total": "",
        "total": "129.00",
        "shipping_cost": "",
    }
    refunds = rows_of(tmp_path / "out" / "refunds.csv")
    assert [(r["order_id"], r["amount"], r["refunded_at"]) for r in refunds] == [
        ("ch_3Pq1BbZ2eZvKYlo22A2", "29.00", "2026-02-12T09:00Z"),
        ("ch_3Pq1DdZ2eZvKYlo24A4", "49.00", "2026-02-21T11:30Z"),
    ]
    assert targets(report, "unified_payments.csv") == {
        "orders": (3, 3, {"failed_payment": 1, "not_captured": 1}),
        "refunds": (2, 2, {"failed_payment": 1, "no_refund": 1, "not_captured": 1}),
    }


def test_stripe_yields_to_a_store_export(tmp_path):
    raw = copy_fixture(tmp_path, "shopify", "stripe")
    report = convert(raw, tmp_path / "out")
    assert targets(report, "unified_payments.csv") == {
        "orders": (0, 0, {"store_orders_present": 5}),
        "refunds": (0, 0, {"store_orders_present": 5}),
    }
    orders = rows_of(tmp_path / "out" / "orders.csv")
    assert [o["order_id"] for o in orders] == ["#1001", "#1002", "#1003", "#1004"]


def test_stripe_yields_to_the_users_own_orders_file(tmp_path):
    raw = copy_fixture(tmp_path, "stripe")
    (raw / "orders.csv").write_text(",".join(contract()["orders"].columns) + "\n")
    report = convert(raw, raw)
    assert targets(report, "unified_payments.csv")["orders"] == (
        0,
        0,
        {"store_orders_present": 5},
    )
    assert "orders" not in report.outputs


# --- Klaviyo ----------------------------------------------------------------------


def test_klaviyo_profiles_and_events(tmp_path):
    raw = copy_fixture(tmp_path, "klaviyo")
    report = convert(raw, tmp_path / "out")
    out = tmp_path / "out"
    customers = by(rows_of(out / "customers.csv"), "customer_id")
    noor = customers["klaviyo:01HV7Q2K8M3T5X9Z1A2B3C4D5E"]
    assert (noor["email"], noor["phone"], noor["first_name"]) == (
        "noor.haddad@example.com",
        "+447700900123",
        "Noor",
    )
    assert (noor["email_consent"], noor["sms_consent"]) == ("SUBSCRIBED", "SUBSCRIBED")
    assert noor["consent_updated_at"] == "2026-01-14T08:21:44+00:00"
    assert (noor["country"], noor["city"], noor["postal_code"]) == (
        "United Kingdom",
        "Leeds",
        "LS1 4DT",
    )
    owen = customers["klaviyo:01HV7Q2K8M3T5X9Z1A2B3C4D5F"]
    assert owen["email"] == "Owen.Price@Example.com "  # raw: staging normalises
    assert (owen["email_consent"], owen["company_name"]) == (
        "UNSUBSCRIBED",
        "Price & Co",
    )
    assert rows_of(out / "suppressions.csv") == [
        {
            "email": "Owen.Price@Example.com ",
            "channel": "email",
            "reason": "unsubscribed",
            "suppressed_at": "2026-03-30T12:00:05+00:00",
        },
        {
            "email": "pia.lund@example.org",
            "channel": "email",
            "reason": "hard_bounce",
            "suppressed_at": "2026-02-03T05:06:07+00:00",
        },
    ]
    events = rows_of(out / "engagement_events.csv")
    assert [(e["event_id"], e["channel"], e["event_type"]) for e in events] == [
        ("4Xq9FvQ1Aa1", "email", "delivered"),
        ("4Xq9FvQ1Aa2", "email", "opened"),
        ("4Xq9FvQ1Aa3", "email", "clicked"),
        ("4Xq9FvQ1Aa5", "email", "unsubscribed"),
        ("4Xq9FvQ1Aa6", "email", "spam_complaint"),
        ("4Xq9FvQ1Aa7", "sms", "delivered"),
    ]  # "Placed Order" is not message engagement
    assert events[1]["campaign_id"] == "Spring Restock 2026"
    assert events[1]["occurred_at"] == "2026-04-21 09:14:40"
    assert targets(report, "klaviyo_events_2026-04.csv") == {
        "engagement_events": (6, 6, {"unmapped_metric": 1})
    }
    assert targets(report, "klaviyo_profiles_all_subscribers.csv") == {
        "customers": (3, 3, {}),
        "suppressions": (2, 2, {"not_suppressed": 1}),
    }


# --- Mailchimp ---------------------------------------------------------------------


def test_mailchimp_audience_files(tmp_path):
    raw = copy_fixture(tmp_path, "mailchimp")
    report = convert(raw, tmp_path / "out")
    customers = by(rows_of(tmp_path / "out" / "customers.csv"), "email")
    quinn = customers["quinn.rowe@example.com"]
    assert quinn["customer_id"] == "mailchimp:118402117"
    assert (quinn["email_consent"], quinn["consent_updated_at"]) == (
        "subscribed",
        "2025-09-01 10:02:31",  # CONFIRM_TIME (double opt-in)
    )
    assert (quinn["country"], quinn["region"], quinn["phone"]) == (
        "US",
        "IL",
        "+1 217 555 0142",
    )
    assert quinn["tags"] == '"VIP","Coffee club"'
    rosa = customers["rosa.ilic@example.net"]
    assert (rosa["last_name"], rosa["consent_updated_at"]) == (
        "Ilić",
        "2026-01-20 07:30:00",  # no CONFIRM_TIME: OPTIN_TIME
    )
    sam = customers["sam.tate@example.com"]
    assert (sam["email_consent"], sam["consent_updated_at"]) == (
        "unsubscribed",
        "2026-03-03 21:14:09",
    )
    tariq = customers["tariq.bounce@example.invalid"]
    assert tariq["email_consent"] == ""  # cleaned: consent unknown
    assert rows_of(tmp_path / "out" / "suppressions.csv") == [
        {
            "email": "tariq.bounce@example.invalid",
            "channel": "email",
            "reason": "bounced",
            "suppressed_at": "2026-02-02 02:02:02",
        },
        {
            "email": "sam.tate@example.com",
            "channel": "email",
            "reason": "unsubscribed",
            "suppressed_at": "2026-03-03 21:14:09",
        },
    ]
    assert targets(report, "subscribed_members_export_4f2a9c1d7e.csv") == {
        "customers": (2, 2, {}),
        "suppressions": (0, 0, {"subscribed": 2}),
    }
    assert targets(report, "cleaned_members_export_4f2a9c1d7e.csv") == {
        "customers": (1, 1, {}),
        "suppressions": (1, 1, {}),
    }


# --- HubSpot ---------------------------------------------------------------------


def test_hubspot_contacts(tmp_path):
    raw = copy_fixture(tmp_path, "hubspot")
    report = convert(raw, tmp_path / "out")
    customers = by(rows_of(tmp_path / "out" / "customers.csv"), "customer_id")
    assert customers["hubspot:51230001"] == {
        "customer_id": "hubspot:51230001",
        "email": "uma.becker@example.com",
        "phone": "+49 40 555 0101",
        "first_name": "Uma",
        "last_name": "Becker",
        "created_at": "2025-10-07 14:22",
        "country": "Germany",
        "region": "Hamburg",
        "city": "Hamburg",
        "postal_code": "20457",
        "language": "",
        "company_name": "Hafenrösterei GmbH",
        "company_size": "11-50",
        "industry": "Food & Beverages",
        "tags": "lifecycle_stage:Customer",
        "email_consent": "true",  # legal basis: consent
        "sms_consent": "",
        "consent_updated_at": "",
    }
    vik = customers["hubspot:51230002"]
    assert vik["email_consent"] == "false"  # unsubscribed from all email
    assert vik["tags"] == "lifecycle_stage:Lead, lead_status:Attempted to contact"
    wen = customers["hubspot:51230003"]
    assert wen["email_consent"] == ""  # legitimate interest is not consent
    assert targets(report, "hubspot-crm-exports-all-contacts-2026-05-01.csv") == {
        "customers": (3, 3, {})
    }


# --- help desk ---------------------------------------------------------------


def test_helpdesk_tickets(tmp_path):
    raw = copy_fixture(tmp_path, "helpdesk")
    report = convert(raw, tmp_path / "out")
    tickets = by(rows_of(tmp_path / "out" / "tickets.csv"), "ticket_id")
    assert tickets["4101"] == {
        "ticket_id": "4101",
        "email": "ada.quill@example.com",
        "created_at": "2026-04-24T10:12:45+02:00",
        "updated_at": "2026-04-25T08:00:10+02:00",
        "status": "Solved",
        "channel": "Mail",
        "subject": "Where is my order #1004?",
        "body": "Hi,\nI ordered on 18 April and it still says unfulfilled. "
        "Can you check?\n\nThanks, Ada",
        "satisfaction": "Good",
    }
    assert tickets["4102"]["body"] == (
        'The dripper was broken in the box, "cracked" right through. I want a refund.'
    )
    assert tickets["4103"]["satisfaction"] == "Offered"
    assert targets(report, "zendesk_tickets_export.csv") == {"tickets": (3, 3, {})}


def test_an_export_named_like_a_contract_file_is_renamed_in_place(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy2(
        PLATFORMS / "helpdesk" / "zendesk_tickets_export.csv", raw / "tickets.csv"
    )
    report = convert(raw, raw)
    assert report.renamed == [
        {"from": "tickets.csv", "to": "tickets.helpdesk-export.csv"}
    ]
    assert header_of(raw / "tickets.csv") == list(contract()["tickets"].columns)
    assert len(rows_of(raw / "tickets.csv")) == 3
    # the rerun converts the renamed export again and changes nothing
    before = (raw / "tickets.csv").read_bytes()
    again = convert(raw, raw)
    assert again.renamed == []
    assert [i.file for i in again.inputs] == ["tickets.helpdesk-export.csv"]
    assert (raw / "tickets.csv").read_bytes() == before
