"""Send audiences back: audience rows -> import files for ESPs, CRMs and ad platforms.

``write_audience(rows, "meta", "out/champions_meta.csv")``; formats: klaviyo,
mailchimp, hubspot, activecampaign, meta, google_ads (the last two hashed).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from segmart.outputs.formats import (
    AUDIENCE_FIELDS,
    FORMATS,
    FORMULA_TRIGGERS,
    HASHED_FORMATS,
    AudienceFile,
    build_audience,
    is_e164,
    neutralise,
    write_audience,
)
from segmart.outputs.normalise import (
    country_code,
    e164,
    google_email,
    meta_name,
    meta_phone,
    normalise_email,
    sha256_hex,
)

__all__ = [
    "AUDIENCE_FIELDS",
    "FORMATS",
    "FORMULA_TRIGGERS",
    "HASHED_FORMATS",
    "AudienceFile",
    "build_audience",
    "country_code",
    "e164",
    "google_email",
    "is_e164",
    "meta_name",
    "meta_phone",
    "neutralise",
    "normalise_email",
    "read_audience_csv",
    "read_audience_table",
    "register",
    "sha256_hex",
    "write_audience",
]


def read_audience_csv(path: Path | str, segment: str | None = None) -> Iterator[dict]:
    """Audience rows from a CSV with (some of) the AUDIENCE_FIELDS as headers,
    optionally only one segment's."""
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            clean = {k.strip().lower(): v for k, v in row.items() if k}
            if segment is None or clean.get("segment_name") == segment:
                yield clean


def read_audience_table(
    db_path: Path | str, table: str, segment: str | None = None
) -> list[dict]:
    """Audience rows from a DuckDB table or view (read-only), optionally one
    segment's. Columns missing from the table are left blank."""
    import duckdb

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?", table):
        raise ValueError(f"not a table name: {table!r}")
    with duckdb.connect(str(db_path), read_only=True) as con:
        cursor = con.execute(f"select * from {table}")
        names = [d[0].lower() for d in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return [r for r in rows if segment is None or r.get("segment_name") == segment]


def register(cli_group: Any) -> None:
    """Add the ``audience-export`` command to a click group."""
    import click

    @cli_group.command("audience-export")
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(sorted(FORMATS)),
        required=True,
        help="Target platform's import format.",
    )
    @click.option(
        "--input",
        "input_csv",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Audience CSV (email, phone, first_name, last_name, country, "
        "segment_name, offer_hint).",
    )
    @click.option(
        "--db",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        envvar="SEGMART_DB_PATH",
        help="Read the audience from this DuckDB database instead (with --table).",
    )
    @click.option("--table", help="Audience table or view in --db.")
    @click.option("--segment", help="Only this segment's rows.")
    @click.option(
        "--default-country",
        help="ISO country for phones written without country code (e.g. US).",
    )
    @click.option(
        "--out",
        "out_path",
        type=click.Path(dir_okay=False, path_type=Path),
        required=True,
    )
    def audience_export(
        fmt: str,
        input_csv: Path | None,
        db: Path | None,
        table: str | None,
        segment: str | None,
        default_country: str | None,
        out_path: Path,
    ) -> None:
        """Write an audience import file for an ESP, CRM or ad platform."""
        if input_csv is not None:
            rows: Any = read_audience_csv(input_csv, segment)
        elif db is not None and table:
            rows = read_audience_table(db, table, segment)
        else:
            raise click.UsageError("give --input, or --db with --table")
        built = write_audience(rows, fmt, out_path, default_country)
        click.echo(f"{out_path}: {len(built.rows)} rows ({fmt})")
        for reason, count in sorted(built.skipped.items()):
            click.echo(f"  skipped {count}: {reason}")
        if built.phones_dropped:
            click.echo(
                f"  {built.phones_dropped} phone(s) left out: no country code "
                "(set --default-country)"
            )
        if built.emails_dropped:
            click.echo(
                f"  {built.emails_dropped} email(s) left out: they start with a "
                "spreadsheet formula character"
            )
