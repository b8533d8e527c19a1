"""Tests of segmart.outputs: audience rows -> ESP, CRM and ad-platform files.

Customer-match hashes are checked against hashes computed here independently
(hashlib on the normalised text written out by hand), and against the worked
examples in Meta's documentation.
"""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from segmart.outputs import (
    FORMATS,
    HASHED_FORMATS,
    build_audience,
    country_code,
    e164,
    google_email,
    meta_name,
    meta_phone,
    normalise_email,
    read_audience_csv,
    read_audience_table,
    write_audience,
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


ROWS = [
    {
        "email": "  Ada.Quill@Example.COM ",
        "phone": "+1 (415) 555-0123",
        "first_name": " Ada ",
        "last_name": "Quill",
        "country": "US",
        "segment_name": "champions",
        "offer_hint": "early access",
    },
    {
        "email": "lena.vogt@example.de",
        "phone": "0151 2345 6789",  # national, with trunk 0; country from default
        "first_name": "Lena",
        "last_name": "Vogt-Müller",
        "country": "",
        "segment_name": "win_back",
        "offer_hint": "10% off",
    },
    {
        "email": "John.Smith+promo@Gmail.com",
        "phone": "020 7946 0958",
        "first_name": "Mary-Jane",
        "last_name": "O'Neil",
        "country": "United Kingdom",
        "segment_name": "champions",
        "offer_hint": "",
    },
    {
        "email": "",
        "phone": "(650) 555-1212",
        "first_name": "Valéry",
        "last_name": "",
        "country": "US",
        "segment_name": "sms_only",
        "offer_hint": "",
    },
    {
        "email": "not-an-email",
        "phone": "12345",
        "first_name": "Nobody",
        "last_name": "",
        "country": "",
        "segment_name": "champions",
        "offer_hint": "",
    },
]


def read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


# --- normalisation rules ---------------------------------------------------------


def test_emails_are_trimmed_and_lower_cased():
    assert normalise_email("  Ada.Quill@Example.COM ") == "ada.quill@example.com"
    assert normalise_email("not-an-email") == ""
    assert normalise_email("a b@example.com") == ""
    assert normalise_email(None) == ""


def test_google_drops_gmail_dots_only_for_gmail():
    assert google_email(" John.Smith+promo@Gmail.com") == "johnsmith+promo@gmail.com"
    assert google_email("j.s@googlemail.com") == "js@googlemail.com"
    assert google_email("J.S@Example.com") == "j.s@example.com"


@pytest.mark.parametrize(
    ("phone", "country", "expected"),
    [
        ("+1 (415) 555-0123", None, "+14155550123"),
        ("(415) 555-0123", "US", "+14155550123"),
        ("415.555.0123 ext. 12", "US", "+14155550123"),
        ("1-415-555-0123", "US", "+14155550123"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("0151 2345 6789", "DE", "+4915123456789"),
        ("020 7946 0958", "United Kingdom", "+442079460958"),
        ("0044 20 7946 0958", "GB", "+442079460958"),
        ("+44 (0)20 7946 0958", None, "+4402079460958"),  # as written: kept
        ("06 1234 5678", "IT", "+390612345678"),  # Italy keeps its leading 0
        ("(415) 555-0123", None, ""),  # national, country unknown: not guessed
        ("555-0123", "US", ""),  # too short for North America
        ("12345", "DE", ""),
        ("", "US", ""),
    ],
)
def test_phones_become_e164(phone, country, expected):
    assert e164(phone, country) == expected


def test_meta_phone_is_digits_with_country_code_without_plus():
    assert meta_phone("(650) 555-1212", "US") == "16505551212"
    assert meta_phone("0151 2345 6789", "DE") == "4915123456789"
    assert meta_phone("0151 2345 6789") == ""


def test_meta_names_lose_punctuation_keep_letters():
    assert meta_name(" Mary-Jane ") == "maryjane"
    assert meta_name("O'Neil") == "oneil"
    assert meta_name("Valéry") == "valéry"
    assert meta_name("정") == "정"


def test_country_codes():
    assert country_code("us") == "US"
    assert country_code("United Kingdom") == "GB"
    assert country_code(" germany ") == "DE"
    assert country_code("Atlantis") == ""


def test_meta_documented_examples():
    # The worked examples of Meta's customer information parameters page.
    assert sha(normalise_email("John_Smith@gmail.com")) == (
        "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
    )
    assert sha(meta_phone("(650)555-1212", "US")) == (
        "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"
    )
    assert sha(meta_name("Mary")) == (
        "6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec"
    )
    assert sha(meta_name("Valéry")) == (
        "08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c"
    )


# --- customer-match files -----------------------------------------------------------


def test_meta_customer_list(tmp_path):
    built = write_audience(ROWS, "meta", tmp_path / "meta.csv", default_country="DE")
    header, rows = read(tmp_path / "meta.csv")
    assert header == ["email", "phone", "fn", "ln", "country"]
    assert len(rows) == 4  # the last row has neither a valid email nor phone
    assert dict(built.skipped) == {"no_email_or_phone": 1}
    assert rows[0] == {
        "email": sha("ada.quill@example.com"),
        "phone": sha("14155550123"),
        "fn": sha("ada"),
        "ln": sha("quill"),
        "country": sha("us"),
    }
    assert rows[1] == {
        "email": sha("lena.vogt@example.de"),
        "phone": sha("4915123456789"),  # default country DE, trunk 0 dropped
        "fn": sha("lena"),
        "ln": sha("vogtmüller"),
        "country": sha("de"),
    }
    assert rows[2]["email"] == sha("john.smith+promo@gmail.com")  # Meta keeps dots
    assert rows[2]["phone"] == sha("442079460958")
    assert (rows[2]["fn"], rows[2]["ln"]) == (sha("maryjane"), sha("oneil"))
    assert rows[2]["country"] == sha("gb")
    assert rows[3]["email"] == ""  # no email: left blank, not a hash of ""
    assert rows[3]["phone"] == sha("16505551212")


def test_google_ads_customer_match(tmp_path):
    built = write_audience(ROWS, "google_ads", tmp_path / "google.csv", "DE")
    header, rows = read(tmp_path / "google.csv")
    assert header == ["Email", "Phone", "First Name", "Last Name", "Country", "Zip"]
    assert len(rows) == 4 and dict(built.skipped) == {"no_email_or_phone": 1}
    assert rows[0] == {
        "Email": sha("ada.quill@example.com"),
        "Phone": sha("+14155550123"),  # Google hashes E.164 with its +
        "First Name": sha("ada"),
        "Last Name": sha("quill"),
        "Country": "US",  # in clear, as Google's template asks
        "Zip": "",
    }
    assert rows[1]["Phone"] == sha("+4915123456789")
    assert rows[1]["Last Name"] == sha("vogt-müller")
    assert rows[2]["Email"] == sha("johnsmith+promo@gmail.com")  # gmail dots gone
    assert rows[2]["First Name"] == sha("mary-jane")
    assert rows[3]["Phone"] == sha("+16505551212")


@pytest.mark.parametrize("fmt", sorted(HASHED_FORMATS))
def test_customer_match_files_hold_no_plain_contact_details(tmp_path, fmt):
    path = tmp_path / f"{fmt}.csv"
    write_audience(ROWS, fmt, path, default_country="DE")
    text = path.read_text(encoding="utf-8")
    assert "@" not in text
    for row in ROWS:
        digits = re.sub(r"\D", "", row["phone"])
        for plain in (digits, digits.lstrip("0"), row["phone"].strip()):
            if len(plain) >= 7:
                assert plain not in text, plain
    names = {r[k].strip().lower() for r in ROWS for k in ("first_name", "last_name")}
    _, rows = read(path)
    for row in rows:
        for column, value in row.items():
            assert value.strip().lower() not in names - {""}, (column, value)
            if column in ("Country", "Zip"):
                assert value == "" or re.fullmatch(r"[A-Z]{2}", value)
            else:
                assert value == "" or re.fullmatch(r"[0-9a-f]{64}", value), column


# --- ESP and CRM files ---------------------------------------------------------------


def test_klaviyo_list_import(tmp_path):
    built = write_audience(ROWS, "klaviyo", tmp_path / "k.csv", default_country="DE")
    header, rows = read(tmp_path / "k.csv")
    assert header == [
        "Email",
        "Phone Number",
        "First Name",
        "Last Name",
        "Country",
        "segmart_segment",
        "segmart_offer_hint",
    ]
    assert rows[0] == {
        "Email": "ada.quill@example.com",
        "Phone Number": "+14155550123",
        "First Name": "Ada",
        "Last Name": "Quill",
        "Country": "US",
        "segmart_segment": "champions",
        "segmart_offer_hint": "early access",
    }
    assert rows[1]["Phone Number"] == "+4915123456789"
    assert rows[3]["Email"] == "" and rows[3]["Phone Number"] == "+16505551212"
    assert len(rows) == 4 and dict(built.skipped) == {"no_email_or_phone": 1}


def test_mailchimp_hubspot_activecampaign_need_an_email(tmp_path):
    for fmt, header in (
        (
            "mailchimp",
            [
                "Email Address",
                "First Name",
                "Last Name",
                "Phone Number",
                "Country",
                "Tags",
                "Offer Hint",
            ],
        ),
        (
            "hubspot",
            [
                "Email",
                "First Name",
                "Last Name",
                "Phone Number",
                "Country/Region",
                "segmart_segment",
                "segmart_offer_hint",
            ],
        ),
        (
            "activecampaign",
            ["Email", "First Name", "Last Name", "Phone", "Tags", "Offer Hint"],
        ),
    ):
        built = write_audience(ROWS, fmt, tmp_path / f"{fmt}.csv")
        got_header, rows = read(tmp_path / f"{fmt}.csv")
        assert got_header == header
        assert [r[header[0]] for r in rows] == [
            "ada.quill@example.com",
            "lena.vogt@example.de",
            "john.smith+promo@gmail.com",
        ]
        assert dict(built.skipped) == {"no_email": 2}
        # Lena's national number has no country here (no default): left out
        assert built.phones_dropped == 1
    _, hubspot_rows = read(tmp_path / "hubspot.csv")
    assert hubspot_rows[0]["segmart_segment"] == "champions"
    assert hubspot_rows[2]["Country/Region"] == "GB"
    _, ac_rows = read(tmp_path / "activecampaign.csv")
    assert ac_rows[0]["Tags"] == "champions" and ac_rows[0]["Phone"] == "+14155550123"
    assert hubspot_rows[0]["Phone Number"] == "+14155550123"
    _, mc_rows = read(tmp_path / "mailchimp.csv")
    assert mc_rows[0]["Phone Number"] == "+14155550123"
    assert mc_rows[1]["Phone Number"] == "" and mc_rows[1]["Tags"] == "win_back"


def test_hubspot_segment_property_name_is_configurable():
    built = FORMATS["hubspot"](ROWS[:1], segment_property="customer_segment")
    assert built.header[5] == "customer_segment"
    assert built.rows[0][5] == "champions"


def test_builders_are_pure_and_reject_unknown_formats():
    first = build_audience(ROWS, "meta", "DE")
    again = build_audience(ROWS, "meta", "DE")
    assert first.rows == again.rows and first.rows_in == len(ROWS)
    with pytest.raises(ValueError, match="unknown format 'tiktok'"):
        build_audience(ROWS, "tiktok")


# --- reading audiences -------------------------------------------------------------


def test_read_audience_csv_and_table(tmp_path):
    path = tmp_path / "audience.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)
    assert [r["email"] for r in read_audience_csv(path, "win_back")] == [
        "lena.vogt@example.de"
    ]
    db = tmp_path / "a.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "create table audience as select * from read_csv(?, all_varchar=true)",
            [str(path)],
        )
    rows = read_audience_table(db, "audience", "champions")
    assert [r["first_name"] for r in rows] == [" Ada ", "Mary-Jane", "Nobody"]
    with pytest.raises(ValueError, match="not a table name"):
        read_audience_table(db, "audience; drop table audience")


def test_audience_export_command(tmp_path):
    import click
    from click.testing import CliRunner

    from segmart.cli.export import register

    @click.group()
    def cli() -> None:
        pass

    register(cli)
    path = tmp_path / "audience.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)
    out = tmp_path / "meta.csv"
    args = ["audience-export", "--format", "meta", "--input", str(path)]
    result = CliRunner().invoke(
        cli, [*args, "--segment", "champions", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert f"{out}: 2 rows (meta)" in result.output
    assert "skipped 1: no_email_or_phone" in result.output
    _, rows = read(out)
    assert rows[0]["email"] == sha("ada.quill@example.com")
    missing = CliRunner().invoke(
        cli, ["audience-export", "--format", "meta", "--out", str(out)]
    )
    assert missing.exit_code == 2 and "give --input" in missing.output


# --------------------------------------------------- channel -> import format


def test_every_contact_channel_has_an_import_format():
    """The seed's contact channels (read here straight from enum_values.csv) and
    the channels segmart writes audience files for are the same set."""
    from segmart.contract import PROJECT_DIR
    from segmart.outputs import CHANNEL_FORMATS, FORMATS

    with (PROJECT_DIR / "seeds" / "enum_values.csv").open(newline="") as handle:
        domain = {
            row["value"]
            for row in csv.DictReader(handle)
            if row["domain"] == "contact_channel"
        }
    assert set(CHANNEL_FORMATS) == domain - {"all"}
    assert set(CHANNEL_FORMATS.values()) <= set(FORMATS)


def test_channel_formats_refuse_an_unknown_format(tmp_path):
    from segmart.outputs.channels import read_channel_formats

    seed = tmp_path / "channel_formats.csv"
    seed.write_text("channel,audience_format\nemail,klaviyo\nsms,fax\n")
    with pytest.raises(ValueError, match=r"line 3: unknown audience_format 'fax'"):
        read_channel_formats(seed)
    seed.write_text("channel,audience_format\nemail,klaviyo\nemail,meta\n")
    with pytest.raises(ValueError, match="line 3: empty or repeated channel"):
        read_channel_formats(seed)
    seed.write_text("channel,audience_format\nemail,klaviyo\nsms,meta\n")
    assert read_channel_formats(seed) == {"email": "klaviyo", "sms": "meta"}


def test_an_unknown_channel_names_the_seed():
    from segmart.outputs import channel_format

    assert channel_format("paid_social") == "meta"
    with pytest.raises(ValueError, match="channel 'fax' has no row in channel_formats"):
        channel_format("fax")
