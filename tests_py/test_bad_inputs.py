"""Bad raw exports nobody tried before: each is staged, quarantined with a reason,
or stops the build with a message naming the file (issue 21, item 8).

One build (module-scoped) lands tests_py/fixtures/raw/bad_inputs plus the files
written here because they are binary or large:

  orders.csv          one order twice with the same key and updated_at but another
                      total; epoch seconds and milliseconds; NUL bytes inside
                      values; a line with fewer fields than the header and one with
                      more; an eight-digit date (20240307)
  suppressions.csv    zero bytes (optional file)
  customers.csv.gz    gzip-compressed CSV
  refunds.parquet     typed Parquet: integer id, TIMESTAMPTZ, DECIMAL, BOOLEAN
  products.parquet    typed Parquet: DOUBLE, DECIMAL, BIGINT, naive TIMESTAMP
  tickets.csv         a ticket body of 3,000,000 characters (over DuckDB's 2 MB
                      default line limit)

Then one small build per file that must stop the build (a ';' file read with the
default delimiter, a zero-byte orders file, a header naming a column twice, a
corrupt gzip, an unterminated quote, one 20,000 rows down the file, mixed
CRLF/LF line endings).

Every expected value was worked out by hand from the fixture files:
1709287200 s = 2024-01-01 (1704067200) + 60 days (31 + 29) + 10 h = 2024-03-01
10:00:00 UTC, and 1709287200000 ms is the same instant.
"""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from segmart.dbt import error_lines

FIXTURE = Path(__file__).parent / "fixtures" / "raw" / "bad_inputs"
VARS = {"max_valid_date": "2024-12-31"}
BIG_BODY = 3_000_000  # characters of ticket T1's body

CUSTOMERS_CSV = (
    "customer_id,email,first_name,created_at\n"
    "C1,ann@example.com,Ann,2024-01-05T09:00:00Z\n"
    "C2,bob@example.com,Bob,2024-01-06T09:00:00Z\n"
)


def write_binary_exports(raw: Path) -> None:
    """The gzip, Parquet and megabyte files of the fixture folder."""
    with gzip.open(raw / "customers.csv.gz", "wt") as out:
        out.write(CUSTOMERS_CSV)
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        con.execute(
            "copy (select 1::integer as refund_id, 'B02' as order_id, "
            "timestamptz '2024-03-03 12:00:00+00' as refunded_at, "
            "5.50::decimal(10, 2) as amount, true as is_return, "
            "'damaged' as reason) to ? (format parquet)",
            [str(raw / "refunds.parquet")],
        )
        con.execute(
            "copy (select 'SKU1' as sku, 'Mug' as product_name, 12.5::double as "
            "price, 4.25::decimal(8, 2) as unit_cost, 7::bigint as "
            "inventory_quantity, timestamp '2024-02-01 08:30:00' as updated_at) "
            "to ? (format parquet)",
            [str(raw / "products.parquet")],
        )
    (raw / "tickets.csv").write_text(
        "ticket_id,email,created_at,status,body\n"
        f"T1,ann@example.com,2024-03-01T10:00:00Z,open,{'x' * BIG_BODY}\n"
        "T2,bob@example.com,2024-03-02T10:00:00Z,open,short\n"
    )


@pytest.fixture(scope="module")
def bad(builder, tmp_path_factory):
    raw = tmp_path_factory.mktemp("bad_inputs_raw")
    for path in FIXTURE.iterdir():
        shutil.copy(path, raw / path.name)
    write_binary_exports(raw)
    return builder("bad_inputs", raw, dbt_vars=VARS)


def test_the_bad_inputs_build(bad):
    assert bad.result.success, bad.result.output[-3000:]
    assert "Traceback" not in bad.result.output


def test_every_raw_row_is_accounted_for(bad):
    # orders: 8 data lines, one unreadable (B06); refunds, products: 1;
    # customers, tickets: 2; suppressions: none
    rows = bad.query(
        "select source_table, raw_rows, staged, quarantined, exact_duplicates, "
        "superseded, is_balanced from quality.dq_shop__reconciliation "
        "where raw_rows > 0 order by source_table"
    )
    assert rows == [
        ("customers", 2, 2, 0, 0, 0, True),
        ("orders", 8, 5, 2, 0, 1, True),
        ("products", 1, 1, 0, 0, 0, True),
        ("refunds", 1, 1, 0, 0, 0, True),
        ("tickets", 2, 2, 0, 0, 0, True),
    ]


# ------------------------------------------------------------------ orders.csv


def test_same_key_and_timestamp_keeps_the_later_line(bad):
    """B01 twice, same updated_at, totals 10.00 then 12.00: the later line of the
    file wins, the earlier one is superseded (counted, kept for the audit)."""
    assert bad.query(
        "select _raw_row, row_status, total from staging.base_shop__orders "
        "where order_id = 'B01' order by _raw_row"
    ) == [(1, "superseded", Decimal("10.00")), (2, "staged", Decimal("12.00"))]
    assert bad.query(
        "select total from staging.stg_shop__orders where order_id = 'B01'"
    ) == [(Decimal("12.00"),)]


def test_epoch_seconds_and_milliseconds_are_read_as_utc(bad):
    ten_am = dt.datetime(2024, 3, 1, 10, 0)
    assert bad.query(
        "select order_id, ordered_at from staging.stg_shop__orders "
        "where order_id in ('B02', 'B03') order by order_id"
    ) == [("B02", ten_am), ("B03", ten_am)]


def test_eight_digit_dates_stay_unparseable(bad):
    """20240307 could be a date or 1970-08-23 in epoch seconds: neither is
    guessed, the line is quarantined with the reason."""
    assert bad.query(
        "select reason from quality.dq_shop__quarantine "
        "where source_table = 'orders' and raw_values like '%\"B07\"%'"
    ) == [("unparseable_ordered_at",)]


def test_nul_bytes_are_removed_from_values(bad):
    # B04: email "dan@exa<NUL>mple.com", total "4<NUL>0.00"
    assert bad.query(
        "select email, total from staging.stg_shop__orders where order_id = 'B04'"
    ) == [("dan@example.com", Decimal("40.00"))]
    assert (
        bad.scalar(
            "select count(*) from raw.orders where contains(email, chr(0)) "
            "or contains(total, chr(0))"
        )
        == 0
    )


def test_a_line_with_more_fields_than_the_header_is_unreadable(bad):
    """B06 has 8 fields under a 7-column header: which one is extra cannot be
    told, so the line is quarantined whole (file line 8), not cut short."""
    rows = bad.query(
        "select raw_row, reason, raw_values from quality.dq_shop__quarantine "
        "where source_table = 'orders' and reason = 'unreadable_line'"
    )
    assert len(rows) == 1
    raw_row, _, raw_values = rows[0]
    assert raw_row == 8
    assert "TOO MANY COLUMNS" in raw_values
    assert "B06,fay@example.com" in raw_values and "surplus" in raw_values
    assert (
        bad.query("select * from staging.stg_shop__orders where order_id = 'B06'") == []
    )


def test_a_line_with_fewer_fields_reads_the_missing_ones_as_blank(bad):
    """B05 stops after its currency: the missing status and total are blank, as
    an exporter that drops trailing empty fields means, and the usual checks
    apply (a blank total and a blank status are allowed)."""
    assert bad.query(
        "select currency, status, total from staging.stg_shop__orders "
        "where order_id = 'B05'"
    ) == [("EUR", None, None)]


# ------------------------------------------------------ other files, one build


def test_zero_byte_optional_file_lands_empty_with_a_warning(bad):
    assert bad.scalar("select count(*) from staging.stg_shop__suppressions") == 0
    assert "suppressions.csv' is empty (0 bytes" in bad.result.output


def test_gzipped_csv_is_staged(bad):
    assert bad.query(
        "select customer_id, email, first_name from staging.stg_shop__customers "
        "order by customer_id"
    ) == [("C1", "ann@example.com", "Ann"), ("C2", "bob@example.com", "Bob")]


def test_typed_parquet_is_staged_with_its_values(bad):
    assert bad.query(
        "select refund_id, order_id, refunded_at, amount, is_return, reason "
        "from staging.stg_shop__refunds"
    ) == [
        ("1", "B02", dt.datetime(2024, 3, 3, 12, 0), Decimal("5.50"), True, "damaged")
    ]
    assert bad.query(
        "select sku, price, unit_cost, inventory_quantity, updated_at "
        "from staging.stg_shop__products"
    ) == [
        (
            "SKU1",
            Decimal("12.50"),
            Decimal("4.25"),
            7,
            dt.datetime(2024, 2, 1, 8, 30),
        )
    ]


def test_a_value_over_a_megabyte_is_staged_whole(bad):
    assert bad.query(
        "select ticket_id, length(body) from staging.stg_shop__tickets "
        "order by ticket_id"
    ) == [("T1", BIG_BODY), ("T2", 5)]


# -------------------------------------------------- files that stop the build

ORDERS_HEADER = "order_id,email,ordered_at,currency,total"

# file name, bytes, what the message must say besides the file's path
STOPS: dict[str, tuple[str, bytes, list[str]]] = {
    "semicolon_with_default_delimiter": (
        "orders.csv",
        b"order_id;email;ordered_at;currency;total\nA1;a@x.com;2024-01-01;EUR;10\n",
        ["looks ';'-delimited", "csv_delimiter"],
    ),
    "zero_byte_orders": ("orders.csv", b"", ["is empty (0 bytes"]),
    "case_variant_header": (
        "orders.csv",
        b"order_id,email,Email,ordered_at,currency,total\n"
        b"A1,a@x.com,b@x.com,2024-01-01,EUR,10\n",
        ["has the column 'email' 2 times in its header (email, Email"],
    ),
    "duplicate_header": (
        "orders.csv",
        b"order_id,total,email,total,ordered_at,currency\n"
        b"A1,10,a@x.com,11,2024-01-01,EUR\n",
        ["has the column 'total' 2 times in its header (total, total"],
    ),
    "corrupt_gzip": (
        "orders.csv.gz",
        gzip.compress((ORDERS_HEADER + "\nA1,a@x.com,2024-01-01,EUR,10\n").encode())[
            :30
        ],
        ["GZIP stream"],
    ),
    "unterminated_quote": (
        "orders.csv",
        (
            ORDERS_HEADER + "\nA1,a@x.com,2024-01-01,EUR,10\n"
            'A2,"b@x.com,2024-01-02,EUR,12\nA3,c@x.com,2024-01-03,EUR,13\n'
        ).encode(),
        ["Error when sniffing file"],
    ),
    # past the sniffer's sample: DuckDB reads the open quote to the end of the
    # file and returns the lines before it, without an error. 25,001 lines (a
    # header and 25,000 rows); data row 20,001 opens a quote; rows 20,002 to
    # 25,000 (4,999 lines) were lost.
    "unterminated_quote_far_down": (
        "orders.csv",
        (
            ORDERS_HEADER
            + "\n"
            + "".join(
                f'A{i},"b@x.com,2024-01-02,EUR,12\n'
                if i == 20_001
                else f"A{i},a{i}@x.com,2024-01-01,EUR,10\n"
                for i in range(1, 25_001)
            )
        ).encode(),
        [
            "4999 of its lines were not read after data row 20001 ('A20001')",
            "never closed",
        ],
    ),
    "mixed_line_endings": (
        "orders.csv",
        (
            ORDERS_HEADER + "\r\nA1,a@x.com,2024-01-01,EUR,10\n"
            "A2,b@x.com,2024-01-02,EUR,11\r\n"
        ).encode(),
        ["Error when sniffing file"],
    ),
}

# segmart's own line under dbt's output (segmart.dbt.file_hints), per case
HINTS = {
    "corrupt_gzip": "is not a readable gzip file",
    "unterminated_quote": "a quote opened and never closed",
    "mixed_line_endings": "(CRLF) and Unix (LF) line endings",
}


@pytest.mark.parametrize("case", sorted(STOPS))
def test_a_file_that_cannot_be_read_stops_the_build_naming_it(
    builder, tmp_path_factory, case
):
    name, content, says = STOPS[case]
    raw = tmp_path_factory.mktemp(f"stop_{case}")
    (raw / name).write_bytes(content)
    result = builder(f"bad_inputs_{case}", raw).result
    assert not result.success
    output = result.output
    assert str(raw / name) in output, output[-3000:]
    for text in says:
        assert text in output, output[-3000:]
    assert "Traceback" not in output
    if case in HINTS:
        hints = [line for line in error_lines(output) if line.startswith("segmart: ")]
        assert len(hints) == 1 and str(raw / name) in hints[0], hints
        assert HINTS[case] in hints[0]
