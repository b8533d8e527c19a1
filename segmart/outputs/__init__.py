"""Send audiences back: audience rows -> import files for ESPs, CRMs and ad platforms.

``write_audience(rows, "meta", "out/champions_meta.csv")``; formats: klaviyo,
mailchimp, hubspot, activecampaign, meta, google_ads (the last two hashed).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from segmart.outputs.channels import CHANNEL_FORMATS, channel_format
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
    "CHANNEL_FORMATS",
    "FORMATS",
    "FORMULA_TRIGGERS",
    "HASHED_FORMATS",
    "AudienceFile",
    "build_audience",
    "channel_format",
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
