"""Staging on bad inputs: every raw row is staged, quarantined or counted.

Each folder under tests_py/fixtures/raw/ is built once per session (a dbt build
each) and holds a few focused behaviours, one named test per behaviour:

  values                   emails, blank ids, money strings, negative and zero
                           amounts, bad dates, timezone offsets, unknown enums
  versions_and_references  exact duplicates, order versions, unknown SKUs, orders,
                           customers, refunds larger than their order
  european                 decimal commas and ';' as the CSV delimiter
  file_quirks              BOM, CRLF, quoted newlines, non-ASCII, extra and missing
                           columns, a missing file, a header-only file, bad UTF-8
  missing_orders           no orders file: the build stops with a clear message

Every expected value below was worked out by hand from the fixture files.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests_py.conftest import raw_values_breaches

RAW = Path(__file__).parent / "fixtures" / "raw"

# Vars each fixture is built with. max_valid_date pins "future" (after 2025-01-01).
BUILD_VARS: dict[str, dict] = {
    "values": {"max_valid_date": "2024-12-31", "source_timezone": "Europe/Paris"},
    "versions_and_references": {"max_valid_date": "2024-12-31"},
    "european": {
        "max_valid_date": "2024-12-31",
        "decimal_comma": True,
        "csv_delimiter": ";",
    },
    "file_quirks": {"max_valid_date": "2024-12-31"},
}

# Raw rows per source table, counted by hand in each fixture (data lines, not the
# header; a ticket body over three lines is one row). Tables not listed: 0.
RAW_ROWS: dict[str, dict[str, int]] = {
    "values": {"orders": 23, "refunds": 5},
    "versions_and_references": {
        "orders": 8,
        "customers": 1,
        "products": 1,
        "order_lines": 3,
        "reviews": 2,
        "refunds": 4,
    },
    "european": {"orders": 4, "fx_rates": 1},
    "file_quirks": {
        "orders": 2,
        "customers": 3,
        "tickets": 2,
        "products": 1,
        "reviews": 1,
        "engagement_events": 3,
    },
}

# The referential data tests, which warn (never fail) when a reference is unknown.
REFERENTIAL_TESTS = {
    "lines_for_unknown_orders": "relationships_where_stg_shop__order_lines_order_id",
    "unknown_skus_in_lines": "relationships_where_stg_shop__order_lines_sku",
    "unknown_skus_in_reviews": "relationships_where_stg_shop__reviews_sku",
    "orders_for_unknown_customers": "relationships_where_stg_shop__orders_customer_id",
    "refunds_for_unknown_orders": "relationships_where_stg_shop__refunds_order_id",
    "refunds_over_order_total": "sum_within_parent_stg_shop__refunds_amount",
}


@pytest.fixture(scope="module")
def staged(builder):
    """Build a fixture folder (once per session) and return its Build."""

    def _build(name: str):
        return builder(f"staging_{name}", RAW / name, dbt_vars=BUILD_VARS[name])

    return _build


def rows_by_key(build, sql: str) -> dict:
    """Query rows keyed by their first column."""
    return {row[0]: row[1:] for row in build.query(sql)}


def quarantine_reasons(build, table: str) -> dict[int, str]:
    return dict(
        build.query(
            "select raw_row, reason from quality.dq_shop__quarantine "
            "where source_table = ?",
            [table],
        )
    )


def data_quality(build, kind: str) -> dict[tuple[str, str], int]:
    rows = build.query(
        "select source_table, reason, rows_count from quality.dq_shop__data_quality "
        "where kind = ?",
        [kind],
    )
    return {(table, reason): count for table, reason, count in rows}


def reconciliation(build, table: str) -> dict:
    cursor_rows = build.query(
        "select raw_rows, landed_rows, unreadable_lines, staged, quarantined, "
        "exact_duplicates, superseded from quality.dq_shop__reconciliation "
        "where source_table = ?",
        [table],
    )
    names = (
        "raw_rows",
        "landed_rows",
        "unreadable_lines",
        "staged",
        "quarantined",
        "exact_duplicates",
        "superseded",
    )
    return dict(zip(names, cursor_rows[0], strict=True))


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args)


# --------------------------------------------------------- every fixture builds


@pytest.mark.parametrize("name", sorted(BUILD_VARS))
def test_staging_nodes_pass(staged, name):
    """Every staging model, unit test and data test runs without error."""
    result = staged(name).result
    staging = [
        r
        for r in result.results
        if "stg_shop__" in r["unique_id"] or "base_shop__" in r["unique_id"]
    ]
    assert staging, result.output[-3000:]
    bad = {r["unique_id"]: r["status"] for r in staging}
    bad = {k: v for k, v in bad.items() if v not in ("success", "pass", "warn")}
    assert bad == {}, result.output[-3000:]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(BUILD_VARS))
def test_build_succeeds(staged, name):
    """The whole project builds on the fixture: no error, no stack trace."""
    result = staged(name).result
    assert result.success, result.output[-3000:]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(BUILD_VARS))
def test_reconciliation_balances(staged, name):
    rows = staged(name).query(
        "select source_table, raw_rows, staged, quarantined, exact_duplicates, "
        "superseded, is_balanced from quality.dq_shop__reconciliation"
    )
    assert len(rows) == 12
    for table, raw, stg, quarantined, duplicates, superseded, balanced in rows:
        assert raw == RAW_ROWS[name].get(table, 0), table
        assert raw == stg + quarantined + duplicates + superseded, table
        assert balanced, table


def test_reconciliation_test_guards_the_balance(staged):
    statuses = staged("values").result.status_of(
        "expression_is_true_dq_shop__reconciliation"
    )
    assert statuses == ["pass"]


# ------------------------------------------------------------------- values


def test_wrong_case_and_padded_emails_are_normalised(staged):
    # V01: "  Ann.Lee@Example.COM  "
    email, invalid = staged("values").query(
        "select email, is_email_invalid from staging.stg_shop__orders "
        "where order_id = 'V01'"
    )[0]
    assert (email, invalid) == ("ann.lee@example.com", False)


def test_invalid_emails_are_staged_as_null_flagged_and_counted(staged):
    build = staged("values")
    rows = rows_by_key(
        build,
        "select order_id, email, is_email_invalid from staging.stg_shop__orders "
        "where order_id in ('V02', 'V03')",
    )
    assert rows == {"V02": (None, True), "V03": (None, False)}
    counted = data_quality(build, "counted")
    assert counted[("orders", "invalid_email")] == 1
    assert counted[("orders", "missing_email")] == 1


def test_blank_required_ids_are_quarantined(staged):
    # raw rows 4 (empty order_id) and 5 (spaces only)
    reasons = quarantine_reasons(staged("values"), "orders")
    assert reasons[4] == "missing_order_id"
    assert reasons[5] == "missing_order_id"


def test_currency_strings_are_read_as_amounts(staged):
    rows = rows_by_key(
        staged("values"),
        "select order_id, subtotal, total from staging.stg_shop__orders "
        "where order_id in ('V06', 'V07')",
    )
    assert rows == {
        "V06": (Decimal("1234.50"), Decimal("1234.50")),  # "$1,234.50"
        "V07": (Decimal("1234.50"), Decimal("1234.50")),  # "1234.5 USD"
    }


def test_negative_and_unreadable_order_amounts_are_quarantined(staged):
    build = staged("values")
    reasons = quarantine_reasons(build, "orders")
    assert reasons[8] == "negative_total"  # "(12.00)"
    assert reasons[9] == "unparseable_total"  # "N/A"
    assert reasons[10] == "negative_subtotal"  # "-10.00"
    rows = rows_by_key(
        build,
        "select order_id, total, discount_total from staging.stg_shop__orders "
        "where order_id in ('V11', 'V12')",
    )
    # a zero total is a free order; a negative discount keeps its magnitude
    assert rows == {
        "V11": (Decimal("0.00"), Decimal("0.00")),
        "V12": (Decimal("15.00"), Decimal("5.00")),
    }


def test_negative_and_zero_refund_amounts_are_quarantined(staged):
    build = staged("values")
    assert quarantine_reasons(build, "refunds") == {
        1: "negative_amount",  # -5.00
        2: "zero_amount",  # 0
        4: "negative_amount",  # (3.00)
        5: "missing_refunded_at",
    }
    assert build.query(
        "select refund_id, amount, is_return from staging.stg_shop__refunds"
    ) == [("R3", Decimal("2.50"), True)]


def test_unparseable_future_and_ancient_dates_are_quarantined(staged):
    reasons = quarantine_reasons(staged("values"), "orders")
    assert reasons[13] == "unparseable_ordered_at"  # "not a date"
    assert reasons[14] == "future_ordered_at"  # 2025-06-01, max_valid_date 2024-12-31
    assert reasons[15] == "ancient_ordered_at"  # 1970-01-01


def test_mixed_timezone_offsets_are_stored_as_utc(staged):
    rows = rows_by_key(
        staged("values"),
        "select order_id, ordered_at from staging.stg_shop__orders "
        "where order_id between 'V16' and 'V20'",
    )
    assert rows == {
        "V16": (utc(2024, 3, 10, 11),),  # 12:00+01:00
        "V17": (utc(2024, 3, 10, 17),),  # 12:00-05:00
        "V18": (utc(2024, 3, 10, 12),),  # 12:00Z
        "V19": (utc(2024, 3, 10, 11),),  # naive, Europe/Paris in winter (+1)
        "V20": (utc(2024, 7, 10, 10),),  # naive, Europe/Paris in summer (+2)
    }


def test_unknown_status_values_become_other_and_are_counted(staged):
    build = staged("values")
    rows = rows_by_key(
        build,
        "select order_id, status, channel from staging.stg_shop__orders "
        "where order_id in ('V21', 'V22', 'V23')",
    )
    assert rows == {
        "V21": ("other", "web"),  # "lost in space"
        "V22": ("fulfilled", "web"),  # "Shipped"
        "V23": ("paid", "other"),  # "PAID", "Teleport"
    }
    counted = data_quality(build, "counted")
    assert counted[("orders", "unknown_status")] == 1
    assert counted[("orders", "unknown_channel")] == 1


def test_quarantine_keeps_the_raw_values_and_every_reason(staged):
    source_file, reasons, raw_values = staged("values").query(
        "select source_file, reasons, raw_values from quality.dq_shop__quarantine "
        "where source_table = 'orders' and raw_row = 9"
    )[0]
    assert source_file.endswith("values/orders.csv")
    assert reasons == "unparseable_total"
    assert json.loads(raw_values)["total"] == "N/A"
    assert json.loads(raw_values)["order_id"] == "V09"


def test_data_quality_quarantined_rows_add_up_to_the_quarantine(staged):
    quarantined = data_quality(staged("values"), "quarantined")
    assert quarantined == {
        ("orders", "missing_order_id"): 2,
        ("orders", "negative_total"): 1,
        ("orders", "unparseable_total"): 1,
        ("orders", "negative_subtotal"): 1,
        ("orders", "unparseable_ordered_at"): 1,
        ("orders", "future_ordered_at"): 1,
        ("orders", "ancient_ordered_at"): 1,
        ("refunds", "negative_amount"): 2,
        ("refunds", "zero_amount"): 1,
        ("refunds", "missing_refunded_at"): 1,
    }


# --------------------------------------------------- versions_and_references


def test_exact_duplicate_rows_are_dropped_and_counted(staged):
    build = staged("versions_and_references")
    copies = build.scalar(
        "select count(*) from staging.stg_shop__orders where order_id = 'O1'"
    )
    assert copies == 1
    assert reconciliation(build, "orders")["exact_duplicates"] == 1
    assert data_quality(build, "counted")[("orders", "exact_duplicate")] == 1


def test_several_versions_of_an_order_keep_the_latest_valid_one(staged):
    build = staged("versions_and_references")
    # O2 in four versions: updated 02-01, 02-03, 02-05 and 02-07 (total "oops")
    row = build.query(
        "select status, total, discount_total, updated_at "
        "from staging.stg_shop__orders where order_id = 'O2'"
    )
    latest = ("delivered", Decimal("45.00"), Decimal("5.00"), utc(2024, 2, 5, 10))
    assert row == [latest]
    assert quarantine_reasons(build, "orders") == {6: "unparseable_total"}
    assert reconciliation(build, "orders")["superseded"] == 2


def test_unknown_skus_are_staged_counted_and_warned(staged):
    build = staged("versions_and_references")
    assert build.query(
        "select order_id, sku from staging.stg_shop__order_lines where sku = 'SKU-404'"
    ) == [("O3", "SKU-404")]
    assert build.query(
        "select review_id from staging.stg_shop__reviews where sku = 'SKU-999'"
    ) == [("RV2",)]
    counted = data_quality(build, "counted")
    assert counted[("order_lines", "unknown_sku")] == 1
    assert counted[("reviews", "unknown_sku")] == 1
    result = build.result
    assert result.status_of(REFERENTIAL_TESTS["unknown_skus_in_lines"]) == ["warn"]
    assert result.status_of(REFERENTIAL_TESTS["unknown_skus_in_reviews"]) == ["warn"]


def test_lines_and_refunds_for_unknown_orders_are_counted_and_warned(staged):
    build = staged("versions_and_references")
    counted = data_quality(build, "counted")
    assert counted[("order_lines", "unknown_order")] == 1  # O9
    assert counted[("refunds", "unknown_order")] == 1  # F3 -> O9
    result = build.result
    assert result.status_of(REFERENTIAL_TESTS["lines_for_unknown_orders"]) == ["warn"]
    assert result.status_of(REFERENTIAL_TESTS["refunds_for_unknown_orders"]) == ["warn"]


def test_orders_for_unknown_customer_ids_are_counted_and_warned(staged):
    build = staged("versions_and_references")
    # O3 has customer c9 (unknown); O4 is a guest checkout (no id): not counted
    assert data_quality(build, "counted")[("orders", "unknown_customer")] == 1
    statuses = build.result.status_of(REFERENTIAL_TESTS["orders_for_unknown_customers"])
    assert statuses == ["warn"]


def test_refunds_larger_than_the_order_are_counted_and_warned(staged):
    build = staged("versions_and_references")
    # O2 total 45.00, refunds F1 30.00 + F2 20.00 = 50.00: both rows counted
    counted = data_quality(build, "counted")
    assert counted[("refunds", "refunds_exceed_order_total")] == 2
    statuses = build.result.status_of(REFERENTIAL_TESTS["refunds_over_order_total"])
    assert statuses == ["warn"]


def test_referential_warnings_stay_quiet_on_clean_references(staged):
    result = staged("values").result
    for fragment in REFERENTIAL_TESTS.values():
        assert result.status_of(fragment) == ["pass"], fragment


# ------------------------------------------------------------------ european


def test_european_decimal_commas_with_semicolon_delimiter(staged):
    build = staged("european")
    rows = rows_by_key(
        build,
        "select order_id, subtotal, shipping_charged, total, shipping_cost, "
        "discount_codes from staging.stg_shop__orders",
    )
    assert rows == {
        "E1": (
            Decimal("1234.50"),
            Decimal("4.90"),
            Decimal("1239.40"),
            Decimal("3.20"),
            None,
        ),
        "E2": (
            Decimal("12.50"),
            Decimal("0.00"),
            Decimal("12.50"),
            Decimal("0.00"),
            "SPRING;SUMMER",  # a quoted delimiter stays in the value
        ),
        "E3": (
            Decimal("12345.67"),
            Decimal("0.00"),
            Decimal("12345.67"),  # "12.345,67 €"
            Decimal("0.00"),
            None,
        ),
    }
    # a dot-decimal amount is not read as a European one
    assert build.query(
        "select raw_row, reasons from quality.dq_shop__quarantine "
        "where source_table = 'orders'"
    ) == [(4, "unparseable_subtotal,unparseable_total")]
    assert build.query(
        "select currency, rate_date, rate_to_base from staging.stg_shop__fx_rates"
    ) == [("EUR", dt.date(2024, 3, 1), Decimal("1.08420000"))]


# --------------------------------------------------------------- file_quirks


def test_utf8_bom_does_not_hide_the_first_column(staged):
    build = staged("file_quirks")
    assert build.query(
        "select order_id from staging.stg_shop__orders order by order_id"
    ) == [("Q1",), ("Q2",)]


def test_crlf_line_endings_leave_no_carriage_return(staged):
    # customers.csv ends its lines with CRLF; sms_consent is the last column
    rows = rows_by_key(
        staged("file_quirks"),
        "select customer_id, country, sms_consent from staging.stg_shop__customers",
    )
    assert rows == {"c1": ("PL", True), "c2": ("ES", False), "c3": ("JP", True)}


def test_non_ascii_names_are_kept(staged):
    rows = rows_by_key(
        staged("file_quirks"),
        "select customer_id, first_name, last_name from staging.stg_shop__customers",
    )
    assert rows == {
        "c1": ("Zoë", "Łukasiewicz"),
        "c2": ("José", "Núñez"),
        "c3": ("結衣", "小林"),
    }


def test_quoted_fields_keep_commas_quotes_and_newlines(staged):
    rows = rows_by_key(
        staged("file_quirks"),
        "select ticket_id, subject, body, satisfaction from staging.stg_shop__tickets",
    )
    assert rows == {
        "T1": (
            "Refund, please",
            'Hi,\nmy order "Q1" arrived broken.\nThanks',
            "good",
        ),
        "T2": ("Where is it?", "Simple body", None),
    }


def test_extra_unexpected_column_is_ignored(staged):
    # products.csv has a `vendor` column between sku and product_name
    assert staged("file_quirks").query(
        "select sku, product_name, category, unit_cost from staging.stg_shop__products"
    ) == [("SKU-1", "House Blend", "coffee_beans", Decimal("4.00"))]


def test_missing_optional_column_arrives_as_null(staged):
    # reviews.csv has no body column
    assert staged("file_quirks").query(
        "select review_id, rating, body from staging.stg_shop__reviews"
    ) == [("RV1", 5, None)]


def test_missing_optional_file_gives_an_empty_typed_model(staged):
    build = staged("file_quirks")  # no campaigns file
    assert build.scalar("select count(*) from staging.stg_shop__campaigns") == 0
    types = dict(
        build.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'staging' and table_name = 'stg_shop__campaigns'"
        )
    )
    assert types["campaign_id"] == "VARCHAR"
    assert types["sent_at"] == "TIMESTAMP"


def test_header_only_file_gives_an_empty_model(staged):
    build = staged("file_quirks")  # suppressions.csv holds its header only
    assert build.scalar("select count(*) from staging.stg_shop__suppressions") == 0
    assert build.query(
        "select raw_rows, staged, quarantined from quality.dq_shop__reconciliation "
        "where source_table = 'suppressions'"
    ) == [(0, 0, 0)]


def test_invalid_utf8_line_is_counted_as_unreadable(staged):
    build = staged("file_quirks")
    # engagement_events.csv: line 3 (EV2) holds the byte 0xFF
    assert build.query(
        "select source_table, raw_row, reason from quality.dq_shop__quarantine"
    ) == [("engagement_events", 3, "unreadable_line")]
    assert build.query(
        "select event_id from staging.stg_shop__engagement_events order by event_id"
    ) == [("EV1",), ("EV3",)]
    assert build.query(
        "select raw_rows, landed_rows, unreadable_lines, staged, quarantined "
        "from quality.dq_shop__reconciliation where source_table = 'engagement_events'"
    ) == [(3, 2, 1, 2, 1)]
    quarantined = data_quality(build, "quarantined")
    assert quarantined == {("engagement_events", "unreadable_line"): 1}


# ------------------------------------------------------------ missing_orders


def test_missing_required_file_stops_the_build_with_a_clear_message(builder):
    build = builder("staging_missing_orders", RAW / "missing_orders")
    assert not build.result.success
    assert "the required raw export 'orders' is missing" in build.result.output
    assert "Traceback" not in build.result.output


# ---------------------------------------------------------------- generated


def test_generated_messy_data_reconciles(generated):
    rows = generated.query(
        "select source_table, raw_rows, staged, quarantined, exact_duplicates, "
        "superseded, is_balanced from quality.dq_shop__reconciliation"
    )
    assert len(rows) == 12
    for table, raw, stg, quarantined, duplicates, superseded, balanced in rows:
        assert raw == stg + quarantined + duplicates + superseded, table
        assert balanced, table
    assert dict((r[0], r[2]) for r in rows)["orders"] > 0
    assert "Traceback" not in generated.result.output


def test_raw_values_are_kept_for_the_lines_not_staged_only(generated):
    """A staged line's raw JSON is not written again (its values are the parsed
    columns; the line stays in raw); every other line keeps it for the quarantine
    and an audit. Checked on every base table of the generated messy data set,
    which has more than 20 lines that are not staged."""
    breaches, unstaged = raw_values_breaches(
        generated.query, lambda name: f"staging.base_shop__{name}"
    )
    assert breaches == []
    assert unstaged > 20
