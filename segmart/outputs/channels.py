"""The import format per contact channel, read from the dbt seed that holds it.

``seeds/channel_formats.csv`` is the one home of the mapping (a dbt test checks
it names every channel of the ``contact_channel`` domain in ``enum_values``);
this module only reads it and checks each format is one segmart writes.
"""

from __future__ import annotations

import csv
from pathlib import Path

from segmart.contract import PROJECT_DIR
from segmart.outputs.formats import FORMATS

CHANNEL_FORMATS_SEED = PROJECT_DIR / "seeds" / "channel_formats.csv"


def read_channel_formats(path: Path = CHANNEL_FORMATS_SEED) -> dict[str, str]:
    """channel -> audience format, in the seed's order; a format segmart does not
    write, a repeated channel or a missing column is a ValueError naming the file."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"channel", "audience_format"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: needs the columns channel, audience_format")
        formats: dict[str, str] = {}
        for line, row in enumerate(reader, start=2):
            channel = (row["channel"] or "").strip()
            fmt = (row["audience_format"] or "").strip()
            if fmt not in FORMATS:
                raise ValueError(
                    f"{path}, line {line}: unknown audience_format {fmt!r} "
                    f"(one of {', '.join(sorted(FORMATS))})"
                )
            if not channel or channel in formats:
                raise ValueError(f"{path}, line {line}: empty or repeated channel")
            formats[channel] = fmt
    return formats


CHANNEL_FORMATS = read_channel_formats()


def channel_format(channel: str) -> str:
    """The import format of `channel`'s audience file."""
    try:
        return CHANNEL_FORMATS[channel]
    except KeyError:
        raise ValueError(
            f"channel {channel!r} has no row in {CHANNEL_FORMATS_SEED.name} "
            "(add one: channel,audience_format)"
        ) from None
