"""Column mappings for data that fits no platform (Google Sheets, Airtable, any CSV).

The analyst writes one YAML file per source CSV and target contract file:

.. code-block:: yaml

    source: wholesale_accounts.csv   # next to the mapping file (or in the input folder)
    target: customers                # a contract file
    columns:                         # contract column: source column header
      customer_id: Account No
      email: Buyer Email
    constants:                       # contract column: the same value on every row
      email_consent: "false"

Mapping files in the input folder are picked up when named ``*.mapping.yml``
(or ``.yaml``). Everything is validated before anything is written: an unknown
target, an unknown contract column, a source column the CSV lacks, a column both
mapped and constant, or an unknown key is an error that names it.

The source must be inside the exports folder: it is resolved (``..``, symlinks)
and a source outside it (``../../etc/passwd``, an absolute path, a symlink out)
is refused with an error naming the mapping and the path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from segmart.adapters._base import (
    Context,
    Kind,
    Outcome,
    Table,
    contract_row,
    norm_header,
    ts,
    written,
)
from segmart.adapters._io import read_header
from segmart.contract import contract

MAPPING_SUFFIXES = (".mapping.yml", ".mapping.yaml")
ALLOWED_KEYS = {"source", "target", "columns", "constants", "description"}


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the problem."""


@dataclass(frozen=True)
class Mapping:
    """A validated column mapping: source CSV -> one contract file."""

    path: Path
    source: Path
    target: str
    columns: dict[str, str]
    constants: dict[str, str]

    @property
    def kind(self) -> Kind:
        """The mapping as an export kind, for the conversion."""
        return Kind(
            name=f"mapping:{self.path.name}",
            platform="mapping",
            description=f"column mapping {self.path.name} -> {self.target}",
            signature=(),
            targets=(self.target,),
            convert=self.convert,
            source=str(self.path),
        )

    def convert(self, table: Table, context: Context) -> Iterator[Outcome]:
        """Each source row -> one row of the target (mapped values + constants)."""
        for row in table.rows:
            values = {
                col: row.get(norm_header(src)) for col, src in self.columns.items()
            }
            values.update(self.constants)
            values = {
                col: ts(value) if col.endswith("_at") else value
                for col, value in values.items()
            }
            yield written(row, self.target, contract_row(self.target, **values))


def is_mapping_file(path: Path) -> bool:
    """Whether a file name marks a mapping (``*.mapping.yml`` / ``.yaml``)."""
    return path.name.lower().endswith(MAPPING_SUFFIXES)


def _text(value: object, where: str) -> str:
    """A YAML scalar as text (booleans as true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value)
    raise MappingError(f"{where} must be a single value, not {type(value).__name__}")


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path`, resolved (symlinks followed), is inside `folder`."""
    return path.resolve().is_relative_to(folder.resolve())


def load_mapping(
    path: Path, search_dirs: tuple[Path, ...] = (), exports_dir: Path | None = None
) -> Mapping:
    """Read and validate a mapping file.

    The source CSV is looked up next to the mapping file, then in `search_dirs`,
    and must resolve inside `exports_dir` (default: the first of `search_dirs`,
    else the mapping's folder). Raises MappingError naming the first problem
    found.
    """
    name = path.name
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MappingError(f"mapping {name}: not valid YAML ({exc})") from exc
    if not isinstance(spec, dict):
        raise MappingError(f"mapping {name}: expected keys source, target, columns")
    unknown_keys = sorted(set(spec) - ALLOWED_KEYS)
    if unknown_keys:
        raise MappingError(
            f"mapping {name}: unknown key(s) {', '.join(unknown_keys)} "
            f"(allowed: {', '.join(sorted(ALLOWED_KEYS))})"
        )
    for key in ("source", "target", "columns"):
        if not spec.get(key):
            raise MappingError(f"mapping {name}: '{key}' is required")

    target = str(spec["target"])
    files = contract()
    if target not in files:
        raise MappingError(
            f"mapping {name}: unknown target file '{target}' "
            f"(contract files: {', '.join(files)})"
        )
    allowed = files[target].columns

    columns_spec = spec["columns"]
    constants_spec = spec.get("constants") or {}
    if not isinstance(columns_spec, dict) or not isinstance(constants_spec, dict):
        raise MappingError(
            f"mapping {name}: 'columns' and 'constants' map contract columns to values"
        )
    for section, entries in (("columns", columns_spec), ("constants", constants_spec)):
        for column in entries:
            if column not in allowed:
                raise MappingError(
                    f"mapping {name}: unknown target column '{column}' in {section} "
                    f"for {target} (columns of {target}: {', '.join(allowed)})"
                )
    both = sorted(set(columns_spec) & set(constants_spec))
    if both:
        raise MappingError(
            f"mapping {name}: column(s) {', '.join(both)} both mapped and constant"
        )
    columns = {
        str(col): _text(src, f"mapping {name}: columns.{col}")
        for col, src in columns_spec.items()
    }
    constants = {
        str(col): _text(value, f"mapping {name}: constants.{col}")
        for col, value in constants_spec.items()
    }

    source_name = str(spec["source"])
    exports = exports_dir or (search_dirs[0] if search_dirs else path.parent)
    candidates = [path.parent / source_name] + [d / source_name for d in search_dirs]
    inside = [c for c in candidates if _inside(c, exports)]
    source = next((c for c in inside if c.is_file()), None)
    named = exports / source_name  # an absolute source_name stays absolute
    found_outside = [
        c for c in candidates if c not in inside and (c.exists() or c.is_symlink())
    ]
    if source is None and (not _inside(named, exports) or found_outside):
        outside = found_outside[0] if found_outside else named
        raise MappingError(
            f"mapping {name}: source '{source_name}' ({outside.resolve()}) is "
            f"outside the exports folder {exports.resolve()}: refused"
        )
    if source is None:
        raise MappingError(
            f"mapping {name}: source file '{source_name}' not found "
            f"(looked in {', '.join(str(c.parent) for c in candidates)})"
        )
    header = read_header(source)
    for column, src in columns.items():
        if norm_header(src) not in header:
            raise MappingError(
                f"mapping {name}: source column '{src}' (for {column}) is not in "
                f"{source.name} (its columns: {', '.join(header)})"
            )
    return Mapping(
        path=path, source=source, target=target, columns=columns, constants=constants
    )
