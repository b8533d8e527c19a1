"""Reading platform exports and writing contract files (CSV only, stdlib csv)."""

from __future__ import annotations

import csv
import gzip
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from segmart.adapters._base import Row, Table, norm_header

#: Delimiters a spreadsheet export may use; the header decides.
DELIMITERS = (",", ";", "\t")


def read_text(path: Path) -> tuple[str, str]:
    """The file's text and the encoding that read it.

    UTF-8 (with or without BOM) first; a file that is not valid UTF-8 is read as
    Windows-1252 (what Excel writes on "Save as CSV" in Western locales), and the
    report says so.
    """
    data = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def sniff_delimiter(first_line: str) -> str:
    """The delimiter of a header line: the candidate found most often outside
    quotes (ties go to the comma)."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_header(path: Path) -> tuple[str, ...]:
    """The normalised header of a CSV export (empty when the file is empty)."""
    text, _ = read_text(path)
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(first), delimiter=sniff_delimiter(first))
    header = next(reader, [])
    return tuple(norm_header(h) for h in header)


def read_table(path: Path) -> Table:
    """Parse a CSV export into a :class:`Table`.

    Every record after the header is a numbered input row. A record whose fields
    are all blank is skipped as `blank_row`; one with more fields than the header
    as `extra_fields` (its extra values have no column). A shorter record is padded
    with blanks. A repeated header name keeps its first column.
    """
    text, encoding = read_text(path)
    first = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    raw_header = next(reader, [])
    header = tuple(norm_header(h) for h in raw_header)
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        positions.setdefault(name, index)
    rows: list[Row] = []
    skipped: dict[int, str] = {}
    number = 0
    for record in reader:
        number += 1
        if not any(field.strip() for field in record):
            skipped[number] = "blank_row"
            continue
        if len(record) > len(header):
            skipped[number] = "extra_fields"
            continue
        padded = tuple(record) + ("",) * (len(header) - len(record))
        rows.append(Row(number, padded, positions))
    return Table(
        path=path,
        header=header,
        rows=rows,
        encoding=encoding,
        delimiter=delimiter,
        total_rows=number,
        skipped=skipped,
    )


def write_csv(
    path: Path, columns: Sequence[str], rows: Iterable[dict[str, str]]
) -> None:
    """Write a CSV atomically (temporary file, then rename): a reader never sees
    a half-written contract file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([row.get(column, "") for column in columns])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
