"""The raw-export contract, read from the dbt source declaration (declared once)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
SOURCES_YML = PROJECT_DIR / "models" / "staging" / "shop" / "_shop__sources.yml"


@dataclass(frozen=True)
class RawFile:
    """One file of the raw-export contract."""

    name: str
    columns: tuple[str, ...]
    required: bool


@cache
def contract() -> dict[str, RawFile]:
    """Return the contract files by name, in declaration order."""
    spec = yaml.safe_load(SOURCES_YML.read_text())
    (source,) = [s for s in spec["sources"] if s["name"] == "shop"]
    files: dict[str, RawFile] = {}
    for table in source["tables"]:
        files[table["name"]] = RawFile(
            name=table["name"],
            columns=tuple(c["name"] for c in table["columns"]),
            required=bool(table.get("meta", {}).get("required", False)),
        )
    return files
