"""Tests of segmart.adapters: platform exports -> the raw-export contract.

Each platform has a fixture in its export's exact shape (tests_py/fixtures/
platforms/<platform>/, fake people). Expected values are written out by hand
from those files; so are the reconciliation counts.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from segmart.adapters import (
    KINDS,
    REPORT_NAME,
    ConversionConflict,
    ConversionError,
    MappingError,
    convert,
    detect,
    detect_kind,
    find_mappings,
    load_mapping,
    needs_conversion,
)
from segmart.adapters._base import (
    Context,
    Kind,
    Table,
    contract_row,
    skipped,
    ts,
    utc_ts,
    written,
)
from segmart.adapters._io import read_table
from segmart.adapters.core import _reconcile
from segmart.contract import PROJECT_DIR, contract

PLATFORMS = Path(__file__).parent / "fixtures" / "platforms"


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def by(rows: list[dict[str, str]], key: str) -> dict[str, dict[str, str]]:
    return {r[key]: r for r in rows}


def copy_fixture(tmp_path: Path, *platforms: str) -> Path:
    """The fixture files of `platforms` copied into one fresh raw folder."""
    raw = tmp_path / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for platform in platforms:
        for path in (PLATFORMS / platform).iterdir():
            shutil.copy2(path, raw / path.name)
    return raw


def targets(report, file: str) -> dict[str, tuple[int, int, dict[str, int]]]:
    """(rows written, input rows used, skipped by reason) per target of a file."""
    (entry,) = [i for i in report.inputs if i.file == file]
    return {
        t: (c.rows_written, c.input_rows_used, c.skipped)
        for t, c in entry.targets.items()
    }


# --- detection ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "file", "kind"),
    [
        ("shopify", "orders_export_1.csv", "shopify_orders"),
        ("shopify", "customers_export.csv", "shopify_customers"),
        ("shopify", "products_export_1.csv", "shopify_products"),
        ("woocommerce", "orders-export-2026-04-30.csv", "woocommerce_orders"),
        ("stripe", "unified_payments.csv", "stripe_payments"),
        ("klaviyo", "klaviyo_profiles_all_subscribers.csv", "klaviyo_profiles"),
        ("klaviyo", "klaviyo_events_2026-04.csv", "klaviyo_events"),
        ("mailchimp", "subscribed_members_export_4f2a9c1d7e.csv", "mailchimp_members"),
        ("mailchimp", "cleaned_members_export_4f2a9c1d7e.csv", "mailchimp_members"),
        (
            "hubspot",
            "hubspot-crm-exports-all-contacts-2026-05-01.csv",
            "hubspot_contacts",
        ),
        ("helpdesk", "zendesk_tickets_export.csv", "helpdesk_tickets"),
    ],
)
def test_detect_recognises_each_export_by_its_header(platform, file, kind):
    found = {d.path.name: d for d in detect(PLATFORMS / platform)}
    assert found[file].kind == kind
    assert found[file].platform == platform
    assert found[file].is_export


def test_a_sheet_is_detected_only_through_its_mapping():
    folder = PLATFORMS / "sheets"
    (plain,) = detect(folder)
    assert plain.platform is None  # no platform header
    (mapped,) = detect(folder, find_mappings(folder))
    assert (mapped.platform, mapped.targets) == ("mapping", ("customers",))


@pytest.mark.parametrize("name", list(contract()))
def test_contract_files_are_never_taken_for_platform_exports(tmp_path, name):
    # What convert writes (the contract header) must not match any signature,
    # or an in-place rerun would convert its own output again.
    columns = contract()[name].columns
    assert detect_kind(columns) is None
    path = tmp_path / f"{name}.csv"
    path.write_text(",".join(columns) + "\n")
    (found,) = detect(tmp_path)
    assert (found.platform, found.kind) == ("contract", name)
    assert not found.is_export


def test_every_kind_matches_its_own_fixture_and_no_other(tmp_path):
    # Signatures are specific: each fixture header matches exactly one kind.
    for platform_dir in (p for p in PLATFORMS.iterdir() if p.is_dir()):
        for path in platform_dir.glob("*.csv"):
            header = read_table(path).header
            matching = [k.name for k in KINDS if k.matches(header)]
            expected = 0 if platform_dir.name == "sheets" else 1
            assert len(matching) == expected, (path.name, matching)


# --- value helpers ---------------------------------------------------------------


def test_ts_rewrites_only_the_space_before_offset_shape():
    assert ts("2026-03-02 09:14:05 -0500") == "2026-03-02T09:14:05-05:00"
    assert ts("2026-04-24 10:12 +0200") == "2026-04-24T10:12+02:00"
    assert ts("2026-03-02T09:14:05-05:00") == "2026-03-02T09:14:05-05:00"
    assert ts("2026-04-10 18:22:31") == "2026-04-10 18:22:31"
    assert ts("03/05/2026 14:22") == "03/05/2026 14:22"
    assert ts("") == ""


def test_utc_ts_marks_naive_utc_times():
    assert utc_ts("2026-02-03 10:15") == "2026-02-03T10:15Z"
    assert utc_ts("2026-02-03 10:15:09") == "2026-02-03T10:15:09Z"
    assert utc_ts("2026-02-03T10:15:09+00:00") == "2026-02-03T10:15:09+00:00"
    assert utc_ts("") == ""


def test_contract_row_has_every_column_and_rejects_unknown_ones():
    row = contract_row("refunds", refund_id="r1", amount="5")
    assert list(row) == list(contract()["refunds"].columns)
    assert row["refund_id"] == "r1" and row["reason"] == ""
    with pytest.raises(KeyError, match="refund_total"):
        contract_row("refunds", refund_total="5")


# --- mapping files (Google Sheets, Airtable, any CSV) --------------------------------


def test_sheet_mapping_converts_with_constants(tmp_path):
    raw = copy_fixture(tmp_path, "sheets")
    report = convert(raw, tmp_path / "out")
    customers = rows_of(tmp_path / "out" / "customers.csv")
    assert customers == [
        contract_row(
            "customers",
            customer_id="W-001",
            email="cleo.marsh@example.org",
            first_name="Cleo",
            last_name="Marsh",
            created_at="2025-08-01",
            country="US",
            company_name="Marsh & Daughters Café",
            industry="Food service",
            tags="wholesale",
            email_consent="TRUE",
        ),
        contract_row(
            "customers",
            customer_id="W-002",
            email="orders@harbourdeli.example",
            first_name="Inês",
            last_name="Costa",
            created_at="2026-01-15",
            country="PT",
            company_name="Harbour Deli",
            industry="Food service",
            tags="wholesale",
            email_consent="FALSE",
        ),
    ]
    assert targets(report, "Wholesale accounts - Sheet1.csv") == {
        "customers": (2, 2, {"blank_row": 1})  # the sheet's empty row
    }
    (entry,) = report.inputs
    assert (entry.platform, entry.kind) == (
        "mapping",
        "mapping:wholesale_accounts.mapping.yml",
    )


def test_example_mapping_in_mappings_folder_is_valid():
    mapping = load_mapping(
        PROJECT_DIR / "mappings" / "example_sheet.yml", (PLATFORMS / "sheets",)
    )
    assert mapping.target == "customers"
    assert mapping.columns["email"] == "Buyer Email"
    assert mapping.constants == {"tags": "wholesale", "industry": "Food service"}


def _mapping(tmp_path: Path, text: str) -> Path:
    (tmp_path / "sheet.csv").write_text(
        "Name,E-mail,Joined\nAl,al@example.com,2026-01-01\n"
    )
    path = tmp_path / "sheet.mapping.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "source: sheet.csv\ntarget: customers\ncolumns:\n  emial: E-mail\n",
            "unknown target column 'emial' in columns for customers",
        ),
        (
            "source: sheet.csv\ntarget: customers\ncolumns:\n  email: E-mail\n"
            "constants:\n  consent: 'yes'\n",
            "unknown target column 'consent' in constants for customers",
        ),
        (
            "source: sheet.csv\ntarget: clients\ncolumns:\n  email: E-mail\n",
            "unknown target file 'clients'",
        ),
        (
            "source: sheet.csv\ntarget: customers\ncolumns:\n  email: Email\n",
            "source column 'Email' (for email) is not in sheet.csv",
        ),
        (
            "source: sheet.csv\ntarget: customers\ncolumns:\n  email: E-mail\n"
            "constants:\n  email: x@example.com\n",
            "email both mapped and constant",
        ),
        (
            "source: other.csv\ntarget: customers\ncolumns:\n  email: E-mail\n",
            "source file 'other.csv' not found",
        ),
        (
            "source: sheet.csv\ntarget: customers\ncolumn:\n  email: E-mail\n",
            "unknown key(s) column",
        ),
    ],
)
def test_mapping_errors_name_the_problem(tmp_path, text, message):
    path = _mapping(tmp_path, text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert message in str(caught.value)
    # convert refuses too, and writes nothing
    with pytest.raises(MappingError):
        convert(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out" / "customers.csv").exists()


def test_mapping_constants_are_text(tmp_path):
    path = _mapping(
        tmp_path,
        "source: sheet.csv\ntarget: customers\ncolumns:\n  customer_id: Name\n"
        "  email: E-mail\n  created_at: Joined\nconstants:\n  email_consent: false\n"
        "  company_size: 10\n",
    )
    mapping = load_mapping(path)
    assert mapping.constants == {"email_consent": "false", "company_size": "10"}


# --- the whole folder, in place ---------------------------------------------------


def test_in_place_conversion_is_idempotent_and_not_redetected(tmp_path):
    raw = copy_fixture(tmp_path, "shopify", "klaviyo", "helpdesk")
    assert needs_conversion(raw)
    first = convert(raw, raw)
    outputs = {
        p.name: p.read_bytes() for p in raw.glob("*.csv") if p.stem in contract()
    }
    assert sorted(outputs) == [
        "customers.csv",
        "engagement_events.csv",
        "order_lines.csv",
        "orders.csv",
        "products.csv",
        "refunds.csv",
        "suppressions.csv",
        "tickets.csv",
    ]
    second = convert(raw, raw)
    # the outputs are contract files now, not exports: same inputs both times
    assert [i.file for i in second.inputs] == [i.file for i in first.inputs]
    assert sorted(second.contract_files) == sorted(outputs)
    assert {
        p.name: p.read_bytes() for p in raw.glob("*.csv") if p.stem in contract()
    } == outputs
    assert second.removed == [] and second.renamed == []
    # customers from two platforms: Shopify's 4 then Klaviyo's 3
    assert second.outputs["customers"].rows == 7
    assert second.outputs["customers"].sources == [
        "customers_export.csv",
        "klaviyo_profiles_all_subscribers.csv",
    ]


def test_rerun_removes_outputs_whose_export_is_gone(tmp_path):
    raw = copy_fixture(tmp_path, "shopify", "helpdesk")
    convert(raw, raw)
    (raw / "zendesk_tickets_export.csv").unlink()
    report = convert(raw, raw)
    assert report.removed == ["tickets.csv"]
    assert not (raw / "tickets.csv").exists()
    assert (raw / "orders.csv").exists()


def test_a_restricted_rerun_keeps_other_platforms_outputs(tmp_path):
    raw = copy_fixture(tmp_path, "shopify", "helpdesk")
    convert(raw, raw)
    report = convert(raw, raw, platform="helpdesk")
    assert [i.kind for i in report.inputs] == ["helpdesk_tickets"]
    assert {i["file"] for i in report.ignored} >= {"orders_export_1.csv"}
    assert (raw / "orders.csv").exists() and report.removed == []
    # still known as outputs: a full rerun may replace them
    assert "orders" in report.outputs
    convert(raw, raw)


def test_the_users_own_contract_file_is_never_replaced(tmp_path):
    raw = copy_fixture(tmp_path, "hubspot")
    own = "customer_id,email\nc1,own@example.com\n"
    (raw / "customers.csv").write_text(own)
    with pytest.raises(ConversionConflict, match="customers.csv"):
        convert(raw, raw)
    assert (raw / "customers.csv").read_text() == own
    assert not (raw / REPORT_NAME).exists()
    report = convert(raw, raw, overwrite=True)
    assert report.outputs["customers"].rows == 3


def test_an_edited_output_is_treated_as_the_users(tmp_path):
    raw = copy_fixture(tmp_path, "hubspot")
    convert(raw, raw)
    with (raw / "customers.csv").open("a") as handle:
        handle.write("hand-added,x@example.com" + "," * 16 + "\n")
    with pytest.raises(ConversionConflict):
        convert(raw, raw)


def test_a_parquet_file_would_shadow_the_output(tmp_path):
    raw = copy_fixture(tmp_path, "helpdesk")
    (raw / "tickets.parquet").write_bytes(b"PAR1")
    with pytest.raises(ConversionConflict, match="tickets.parquet"):
        convert(raw, raw)


def test_outputs_keep_the_newest_export_time(tmp_path):
    raw = copy_fixture(tmp_path, "mailchimp")
    for offset, path in enumerate(sorted(raw.iterdir())):
        os.utime(path, (1_770_000_000 + offset * 100, 1_770_000_000 + offset * 100))
    convert(raw, tmp_path / "out")
    assert (tmp_path / "out" / "customers.csv").stat().st_mtime == 1_770_000_200


def test_needs_conversion(tmp_path):
    assert not needs_conversion(tmp_path / "absent")
    (tmp_path / "orders.csv").write_text(",".join(contract()["orders"].columns) + "\n")
    assert not needs_conversion(tmp_path)  # contract files only
    shutil.copy2(PLATFORMS / "stripe" / "unified_payments.csv", tmp_path)
    assert needs_conversion(tmp_path)


def test_unknown_platform_and_missing_folder_are_errors(tmp_path):
    with pytest.raises(ConversionError, match="unknown platform 'magento'"):
        convert(tmp_path, platform="magento")
    with pytest.raises(ConversionError, match="does not exist"):
        convert(tmp_path / "absent")


def test_unrecognised_files_are_listed_not_converted(tmp_path):
    (tmp_path / "notes.csv").write_text("when,what\n2026-01-01,stocktake\n")
    report = convert(tmp_path, tmp_path / "out")
    assert report.ignored == [{"file": "notes.csv", "reason": "header not recognised"}]
    assert report.inputs == [] and report.outputs == {}


# --- reading quirks and the reconciliation guard ----------------------------------


def test_blank_and_overlong_records_are_counted(tmp_path):
    header = "Id,Requester email,Subject,Status,Created at\n"
    body = (
        "1,a@example.com,Hello,Open,2026-01-01 10:00\n"
        ",,,,\n"
        "2,b@example.com,Hi,Open,2026-01-02 10:00,surplus\n"
        "\n"
        "3,c@example.com,Hey,Solved,2026-01-03 10:00\n"
    )
    (tmp_path / "desk.csv").write_text(header + body)
    report = convert(tmp_path, tmp_path / "out")
    assert targets(report, "desk.csv") == {
        "tickets": (2, 2, {"blank_row": 2, "extra_fields": 1})
    }
    assert report.inputs[0].input_rows == 5


def test_semicolon_and_windows_1252_exports_are_read(tmp_path):
    text = "Id;Requester email;Subject;Status;Created at\n7;é@example.com;Café;Open;x\n"
    (tmp_path / "desk.csv").write_bytes(text.encode("cp1252"))
    report = convert(tmp_path, tmp_path / "out")
    (ticket,) = rows_of(tmp_path / "out" / "tickets.csv")
    assert (ticket["ticket_id"], ticket["subject"]) == ("7", "Café")
    assert report.warnings == ["desk.csv was read as cp1252"]


def _table(tmp_path: Path, rows: int) -> Table:
    path = tmp_path / "t.csv"
    path.write_text("a\n" + "".join(f"{i}\n" for i in range(rows)))
    return read_table(path)


def test_reconciliation_refuses_a_lost_row(tmp_path):
    table = _table(tmp_path, 3)
    kind = Kind("test_kind", "test", "", (), ("tickets",), lambda t, c: ())
    outcomes = [
        written(table.rows[0], "tickets", contract_row("tickets", ticket_id="1")),
        skipped(table.rows[1], "tickets", "why_not"),
    ]  # row 3 has no outcome
    with pytest.raises(ConversionError, match=r"rows \[3\].*nothing may be lost"):
        _reconcile(table, kind, outcomes)


def test_reconciliation_refuses_a_row_counted_twice(tmp_path):
    table = _table(tmp_path, 1)
    kind = Kind("test_kind", "test", "", (), ("tickets",), lambda t, c: ())
    outcomes = [
        written(table.rows[0], "tickets", contract_row("tickets", ticket_id="1")),
        skipped(table.rows[0], "tickets", "again"),
    ]
    with pytest.raises(ConversionError, match="counted twice"):
        _reconcile(table, kind, outcomes)


def test_context_store_orders():
    assert not Context().store_orders_present
    assert Context(kinds=frozenset({"shopify_orders"})).store_orders_present
    assert Context(user_contract_files=frozenset({"orders"})).store_orders_present
    assert Context(mapped_targets=frozenset({"orders"})).store_orders_present


# --- what staging will read -------------------------------------------------------

ISO_OFFSET = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?"
)


def test_every_converted_timestamp_parses_as_staging_parses_it(tmp_path):
    # The same two ISO branches as macros/parsing.sql duckdb__parse_timestamp:
    # with an offset -> timestamptz, without -> timestamp. Each value must parse.
    raw = copy_fixture(
        tmp_path,
        "shopify",
        "klaviyo",
        "mailchimp",
        "hubspot",
        "helpdesk",
        "sheets",
    )
    convert(raw, raw)
    stripe_raw = copy_fixture(tmp_path / "s", "stripe")
    convert(stripe_raw, stripe_raw)
    values = []
    for folder in (raw, stripe_raw):
        for path in folder.glob("*.csv"):
            if path.stem not in contract():
                continue
            for row in rows_of(path):
                values += [
                    (path.name, c, v) for c, v in row.items() if c.endswith("_at") and v
                ]
    assert len(values) > 40
    with duckdb.connect() as con:
        for name, column, value in values:
            offset = re.fullmatch(
                ISO_OFFSET + r"\s?(Z|z|[+-][0-9]{2}(:?[0-9]{2})?)", value
            )
            naive = re.fullmatch(ISO_OFFSET, value)
            assert offset or naive, (name, column, value)
            cast = "timestamptz" if offset else "timestamp"
            (parsed,) = con.execute(f"select try_cast(? as {cast})", [value]).fetchone()
            assert parsed is not None, (name, column, value)


# --- command line ------------------------------------------------------------------


def test_detect_and_convert_commands(tmp_path):
    import click
    from click.testing import CliRunner

    from segmart.cli.adapters import register

    @click.group()
    def cli() -> None:
        pass

    register(cli)
    raw = copy_fixture(tmp_path, "stripe", "sheets")
    listed = CliRunner().invoke(cli, ["detect", str(raw)])
    assert listed.exit_code == 0, listed.output
    assert "unified_payments.csv" in listed.output
    assert "stripe/stripe_payments -> orders, refunds" in listed.output
    assert (
        "mapping/mapping:wholesale_accounts.mapping.yml -> customers" in listed.output
    )
    converted = CliRunner().invoke(cli, ["convert", str(raw)])
    assert converted.exit_code == 0, converted.output
    assert "orders                   3 written; skipped: failed_payment 1" in (
        converted.output
    )
    assert (raw / "orders.csv").exists() and (raw / "customers.csv").exists()
    (raw / "customers.csv").write_text("customer_id\nmine\n")
    conflict = CliRunner().invoke(cli, ["convert", str(raw)])
    assert conflict.exit_code == 1 and "customers.csv" in conflict.output


def test_example_woocommerce_products_mapping(tmp_path):
    # WooCommerce's built-in product exporter header, plus the Cost of Goods
    # extension's meta column.
    header = (
        'ID,Type,SKU,Name,Published,"Is featured?","Visibility in catalog",'
        '"Short description",Description,"Tax status","In stock?",Stock,'
        '"Sale price","Regular price",Categories,Tags,Images,Parent,Position,'
        '"Meta: _wc_cog_cost"'
    )
    row = (
        '88,simple,KAS-BERG-500,"Bergkäse 500 g",1,0,visible,,"Würzig",taxable,1,'
        '14,,11.90,"Käse > Hartkäse",,,,0,6.10'
    )
    (tmp_path / "wc-product-export.csv").write_text(header + "\n" + row + "\n")
    example = PROJECT_DIR / "mappings" / "woocommerce_products.yml"
    shutil.copy2(example, tmp_path / "products.mapping.yml")
    convert(tmp_path, tmp_path / "out")
    (product,) = rows_of(tmp_path / "out" / "products.csv")
    assert product == contract_row(
        "products",
        sku="KAS-BERG-500",
        product_name="Bergkäse 500 g",
        category="Käse > Hartkäse",
        unit_cost="6.10",
        price="11.90",
        inventory_quantity="14",
    )


def test_a_mapping_given_twice_converts_once(tmp_path):
    raw = copy_fixture(tmp_path, "sheets")
    same_file = raw / ".." / "raw" / "wholesale_accounts.mapping.yml"
    report = convert(raw, tmp_path / "out", mappings=[same_file])
    assert report.outputs["customers"].rows == 2
