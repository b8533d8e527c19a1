"""Bring your own exports: platform CSV exports -> the raw-export contract.

``detect(folder)`` says what each file is; ``convert(in_dir, out_dir)`` writes the
contract files (``orders.csv``, ``customers.csv``, ...) with a nothing-lost
reconciliation in ``_conversion_report.json``. See ``core`` for the in-place
rules and DECISIONS.md for the per-platform mappings.
"""

from __future__ import annotations

from segmart.adapters.core import (
    KINDS,
    PLATFORMS,
    REPORT_NAME,
    ConversionConflict,
    ConversionError,
    Detected,
    InputReport,
    OutputReport,
    Report,
    TargetCount,
    contract_name,
    convert,
    detect,
    detect_kind,
    find_mappings,
    needs_conversion,
)
from segmart.adapters.mapping import Mapping, MappingError, load_mapping

__all__ = [
    "KINDS",
    "PLATFORMS",
    "REPORT_NAME",
    "ConversionConflict",
    "ConversionError",
    "Detected",
    "InputReport",
    "Mapping",
    "MappingError",
    "OutputReport",
    "Report",
    "TargetCount",
    "contract_name",
    "convert",
    "detect",
    "detect_kind",
    "find_mappings",
    "load_mapping",
    "needs_conversion",
]
