"""Detect platform exports in a folder and convert them to the raw-export contract.

``convert(in_dir, out_dir)`` works in place too (``in_dir == out_dir``), which is
how the main run uses it before ``dbt build``:

- contract files are recognised by name and header and never converted; the
  files it writes have exactly the contract header, which no platform signature
  matches (a test checks every contract file), so a rerun does not re-detect them;
- ``_conversion_report.json`` records each output with its SHA-256; a rerun may
  overwrite (or, when no longer produced, remove) only files whose bytes are still
  the ones it wrote. Any other contract file the run would write is the user's:
  the conversion stops with :class:`ConversionConflict` instead of replacing it;
- an export whose own name is a contract file name (a help desk's ``tickets.csv``)
  is renamed ``tickets.<platform>-export.csv`` before its output takes the name;
- every output keeps the newest modification time of the exports it came from,
  so source freshness measures the exports, not the conversion.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from segmart.adapters import (
    helpdesk,
    hubspot,
    klaviyo,
    mailchimp,
    shopify,
    stripe,
    woocommerce,
)
from segmart.adapters._base import Context, Kind, Outcome, Table
from segmart.adapters._io import read_header, read_table, write_csv
from segmart.adapters.mapping import (
    Mapping,
    MappingError,
    is_mapping_file,
    load_mapping,
)
from segmart.contract import contract

REPORT_NAME = "_conversion_report.json"
REPORT_VERSION = 1
CONTRACT_SUFFIXES = (".csv", ".csv.gz", ".parquet")
EXPORT_SUFFIXES = (".csv", ".csv.gz", ".txt")

#: Every export kind, in detection priority order (ties go to the earlier one).
KINDS: tuple[Kind, ...] = (
    *shopify.KINDS,
    *woocommerce.KINDS,
    *stripe.KINDS,
    *klaviyo.KINDS,
    *mailchimp.KINDS,
    *hubspot.KINDS,
    *helpdesk.KINDS,
)
PLATFORMS: tuple[str, ...] = tuple(dict.fromkeys(k.platform for k in KINDS)) + (
    "mapping",
)


class ConversionError(RuntimeError):
    """The conversion cannot go ahead; the message says why and what to do."""


class ConversionConflict(ConversionError):
    """A contract file the conversion would write already exists and is not an
    output of an earlier conversion (the user's own file)."""


@dataclass(frozen=True)
class Detected:
    """What one file of a folder is.

    `platform` is a platform name, "contract" for a contract file, "mapping" for a
    CSV named by a mapping file, or None when the header is not recognised.
    """

    path: Path
    platform: str | None
    kind: str | None
    targets: tuple[str, ...] = ()
    reason: str = ""

    @property
    def is_export(self) -> bool:
        """A platform export or mapped CSV (something to convert)."""
        return self.platform not in (None, "contract")


@dataclass
class TargetCount:
    """One input file's reconciliation for one target file."""

    rows_written: int = 0
    input_rows_used: int = 0
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass
class InputReport:
    """One converted input file: rows read and where each went, per target."""

    file: str
    platform: str
    kind: str
    input_rows: int
    encoding: str
    targets: dict[str, TargetCount]

    @property
    def balanced(self) -> bool:
        """input rows = rows used + rows skipped, for every target."""
        return all(
            self.input_rows == t.input_rows_used + sum(t.skipped.values())
            for t in self.targets.values()
        )


@dataclass
class OutputReport:
    """One written contract file."""

    file: str
    rows: int
    sha256: str
    sources: list[str]


@dataclass
class Report:
    """What a conversion read, wrote, skipped, renamed and left alone."""

    in_dir: str
    out_dir: str
    inputs: list[InputReport] = field(default_factory=list)
    outputs: dict[str, OutputReport] = field(default_factory=dict)
    contract_files: list[str] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)
    renamed: list[dict[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        """Every input reconciles for every target."""
        return all(i.balanced for i in self.inputs)

    def to_dict(self) -> dict:
        """The report as JSON-ready data (what `_conversion_report.json` holds)."""
        data = asdict(self)
        data["version"] = REPORT_VERSION
        data["balanced"] = self.balanced
        for entry, report in zip(data["inputs"], self.inputs, strict=True):
            entry["balanced"] = report.balanced
        return data


# --- detection -------------------------------------------------------------


def _has_suffix(path: Path, suffixes: Sequence[str]) -> bool:
    return path.name.lower().endswith(tuple(suffixes))


def contract_name(path: Path) -> str | None:
    """The contract file a path is named as (orders.csv -> orders), else None."""
    lower = path.name.lower()
    for suffix in CONTRACT_SUFFIXES:
        if lower.endswith(suffix) and lower[: -len(suffix)] in contract():
            return lower[: -len(suffix)]
    return None


def detect_kind(header: Iterable[str]) -> Kind | None:
    """The export kind a normalised header carries: of the kinds whose signature
    matches, the most specific (most signature groups), first on ties."""
    header = tuple(header)
    matches = [k for k in KINDS if k.matches(header)]
    if not matches:
        return None
    return max(matches, key=lambda k: (len(k.signature), -KINDS.index(k)))


def detect(folder: Path | str, mappings: Sequence[Mapping] = ()) -> list[Detected]:
    """Recognise each file of `folder` (not sub-folders), by name and header.

    A CSV named by a mapping file is "mapping" (once per mapping naming it);
    otherwise a platform signature in the header decides; otherwise a file named
    as a contract file is "contract"; anything else is unrecognised (platform
    None). Reports (``_*``), hidden files and mapping files are not listed. A
    mapping whose source lies outside `folder` is listed too.
    """
    folder = Path(folder)
    mapped: dict[Path, list[Mapping]] = defaultdict(list)
    for mapping in mappings:
        mapped[mapping.source.resolve()].append(mapping)
    found: list[Detected] = []
    paths = sorted(p for p in folder.iterdir() if p.is_file())
    paths += sorted(
        m.source
        for m in mappings
        if m.source.resolve() not in {p.resolve() for p in paths}
    )
    for path in dict.fromkeys(paths):
        if path.name.startswith(("_", ".")) or is_mapping_file(path):
            continue
        if path.resolve() in mapped:
            for mapping in mapped[path.resolve()]:
                found.append(
                    Detected(
                        path,
                        "mapping",
                        mapping.kind.name,
                        (mapping.target,),
                        f"named by {mapping.path.name}",
                    )
                )
            continue
        name = contract_name(path)
        header: tuple[str, ...] = ()
        if _has_suffix(path, EXPORT_SUFFIXES):
            try:
                header = read_header(path)
            except OSError as exc:
                found.append(Detected(path, None, None, (), f"unreadable: {exc}"))
                continue
        kind = detect_kind(header)
        if kind is not None:
            found.append(
                Detected(
                    path,
                    kind.platform,
                    kind.name,
                    kind.targets,
                    f"header matches {kind.description}",
                )
            )
        elif name is not None:
            found.append(Detected(path, "contract", name, (name,), "contract file"))
        else:
            found.append(Detected(path, None, None, (), "header not recognised"))
    return found


def find_mappings(folder: Path, extra: Sequence[Path | str] = ()) -> list[Mapping]:
    """Load the mapping files of `folder` (``*.mapping.yml``) and `extra` ones."""
    paths = sorted(p for p in folder.iterdir() if p.is_file() and is_mapping_file(p))
    paths += [Path(p) for p in extra]
    unique = dict.fromkeys(p.resolve() for p in paths)
    return [load_mapping(p, (folder,)) for p in unique]


def needs_conversion(folder: Path | str) -> bool:
    """Whether `convert(folder, folder)` has work to do: a platform export or a
    mapping file is present, or an earlier conversion left outputs to refresh."""
    folder = Path(folder)
    if not folder.is_dir():
        return False
    if (folder / REPORT_NAME).exists():
        return True
    if any(is_mapping_file(p) for p in folder.iterdir()):
        return True
    return any(d.is_export for d in detect(folder))


# --- conversion ------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _previous_outputs(out_dir: Path) -> dict[str, OutputReport]:
    """Files the last conversion wrote here, by target (empty if none)."""
    path = out_dir / REPORT_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {
            target: OutputReport(**entry)
            for target, entry in data.get("outputs", {}).items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def _is_ours(path: Path, previous: dict[str, OutputReport]) -> bool:
    """Whether `path` is still byte for byte a file the last conversion wrote."""
    by_file = {o.file: o.sha256 for o in previous.values()}
    return (
        path.name in by_file and path.is_file() and _sha256(path) == by_file[path.name]
    )


def _reconcile(
    table: Table, kind: Kind, outcomes: Iterable[Outcome]
) -> tuple[InputReport, dict[str, list[tuple[int, tuple[dict[str, str], ...]]]]]:
    """Check that every input row has exactly one outcome per target and count
    them; returns the report and the written rows per target (by row number)."""
    seen: dict[str, set[int]] = defaultdict(set)
    counts = {target: TargetCount() for target in kind.targets}
    rows: dict[str, list[tuple[int, tuple[dict[str, str], ...]]]] = defaultdict(list)
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    all_outcomes = list(outcomes) + [
        Outcome(number, target, (), reason)
        for number, reason in table.skipped.items()
        for target in kind.targets
    ]
    for outcome in all_outcomes:
        if outcome.target not in counts:
            raise ConversionError(
                f"adapter {kind.name} wrote to {outcome.target}, not one of its targets"
            )
        if outcome.row in seen[outcome.target]:
            raise ConversionError(
                f"adapter {kind.name}: row {outcome.row} of {table.path.name} "
                f"counted twice for {outcome.target}"
            )
        seen[outcome.target].add(outcome.row)
        count = counts[outcome.target]
        if outcome.rows:
            count.input_rows_used += 1
            count.rows_written += len(outcome.rows)
            rows[outcome.target].append((outcome.row, outcome.rows))
        else:
            reasons[outcome.target][outcome.reason or "unspecified"] += 1
    expected = set(range(1, table.total_rows + 1))
    for target, count in counts.items():
        count.skipped = dict(sorted(reasons[target].items()))
        if seen[target] != expected:
            missing = sorted(expected - seen[target])[:5]
            raise ConversionError(
                f"adapter {kind.name}: rows {missing} of {table.path.name} have no "
                f"outcome for {target} (nothing may be lost)"
            )
    report = InputReport(
        file=table.path.name,
        platform=kind.platform,
        kind=kind.name,
        input_rows=table.total_rows,
        encoding=table.encoding,
        targets=counts,
    )
    return report, rows


def convert(
    in_dir: Path | str,
    out_dir: Path | str | None = None,
    platform: str | None = None,
    *,
    mappings: Sequence[Path | str] = (),
    overwrite: bool = False,
) -> Report:
    """Convert the platform exports of `in_dir` into contract files in `out_dir`.

    `out_dir` defaults to `in_dir` (in place). `platform` (None or "auto": all)
    restricts the conversion to one platform's exports; the others are listed as
    ignored. `mappings` adds mapping files to those found in `in_dir`.
    `overwrite` lets the conversion replace contract CSVs that are the user's own.

    Returns the :class:`Report`, also written to ``<out_dir>/_conversion_report.json``.
    Raises MappingError for an invalid mapping, ConversionConflict when an output
    would replace the user's own file, ConversionError for other problems; nothing
    is written in those cases.
    """
    in_dir = Path(in_dir)
    if not in_dir.is_dir():
        raise ConversionError(f"input folder {in_dir} does not exist")
    in_dir = in_dir.resolve()
    out_dir = Path(out_dir).resolve() if out_dir is not None else in_dir
    restricted = platform not in (None, "auto")
    if restricted and platform not in PLATFORMS:
        raise ConversionError(
            f"unknown platform '{platform}' (one of: auto, {', '.join(PLATFORMS)})"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    report = Report(in_dir=str(in_dir), out_dir=str(out_dir))
    previous = _previous_outputs(out_dir)

    loaded = find_mappings(in_dir, mappings)
    by_kind = {m.kind.name: m for m in loaded}
    selected: list[Detected] = []
    for item in detect(in_dir, loaded):
        if item.platform == "contract":
            report.contract_files.append(item.path.name)
        elif item.platform is None:
            report.ignored.append({"file": item.path.name, "reason": item.reason})
        elif restricted and item.platform != platform:
            report.ignored.append(
                {"file": item.path.name, "reason": f"{item.platform} not selected"}
            )
        else:
            selected.append(item)

    inputs = {s.path.resolve() for s in selected}
    user_files = {
        name
        for folder in dict.fromkeys((in_dir, out_dir))
        for path in folder.iterdir()
        if (name := contract_name(path))
        and path.resolve() not in inputs
        and not (folder == out_dir and _is_ours(path, previous))
    }
    context = Context(
        kinds=frozenset(s.kind for s in selected if s.platform != "mapping"),
        user_contract_files=frozenset(user_files),
        mapped_targets=frozenset(
            by_kind[s.kind].target for s in selected if s.platform == "mapping"
        ),
    )

    kinds = {k.name: k for k in KINDS}
    produced: dict[str, list[tuple[str, list[dict[str, str]]]]] = defaultdict(list)
    mtimes: dict[str, float] = {}
    for item in selected:
        kind = (
            by_kind[item.kind].kind if item.platform == "mapping" else kinds[item.kind]
        )
        table = read_table(item.path)
        input_report, rows = _reconcile(table, kind, kind.convert(table, context))
        report.inputs.append(input_report)
        for target, numbered in rows.items():
            ordered = [
                r for _, group in sorted(numbered, key=lambda x: x[0]) for r in group
            ]
            produced[target].append((item.path.name, ordered))
            mtimes[target] = max(mtimes.get(target, 0.0), item.path.stat().st_mtime)
        if table.encoding != "utf-8":
            report.warnings.append(f"{item.path.name} was read as {table.encoding}")

    _check_conflicts(out_dir, produced, previous, inputs, overwrite)
    _write_outputs(out_dir, produced, mtimes, selected, report)
    for target, output in previous.items():
        path = out_dir / output.file
        if target in report.outputs or not path.exists():
            continue
        if _sha256(path) != output.sha256:
            report.warnings.append(
                f"{output.file} was written by an earlier conversion and changed "
                "since; left as it is"
            )
        elif restricted:
            report.outputs[target] = output  # another platform's output: kept
        else:
            path.unlink()
            report.removed.append(output.file)
    _write_report(out_dir, report)
    return report


def _check_conflicts(
    out_dir: Path,
    produced: dict[str, list[tuple[str, list[dict[str, str]]]]],
    previous: dict[str, OutputReport],
    inputs: set[Path],
    overwrite: bool,
) -> None:
    """Refuse to replace or shadow a contract file that is the user's own."""
    problems = []
    for target in produced:
        for suffix in CONTRACT_SUFFIXES:
            path = out_dir / f"{target}{suffix}"
            if not path.exists() or path.resolve() in inputs:
                continue
            if suffix == ".csv" and (overwrite or _is_ours(path, previous)):
                continue
            problems.append(path.name)
    if problems:
        raise ConversionConflict(
            f"{', '.join(problems)} in {out_dir} would be replaced (or would shadow "
            "the converted file) but is not an output of an earlier conversion. Move "
            "it away, or convert into another folder (--out), or pass --overwrite "
            "to replace a .csv."
        )


def _write_outputs(
    out_dir: Path,
    produced: dict[str, list[tuple[str, list[dict[str, str]]]]],
    mtimes: dict[str, float],
    selected: list[Detected],
    report: Report,
) -> None:
    """Rename exports that carry a contract name, then write each target."""
    for item in selected:
        name = contract_name(item.path)
        if name in produced and item.path.parent.resolve() == out_dir.resolve():
            suffix = item.path.name[len(name) :]
            new = out_dir / f"{name}.{item.platform}-export{suffix}"
            counter = 2
            while new.exists():
                new = out_dir / f"{name}.{item.platform}-export-{counter}{suffix}"
                counter += 1
            os.replace(item.path, new)
            report.renamed.append({"from": item.path.name, "to": new.name})
    files = contract()
    for target in files:
        if target not in produced:
            continue
        path = out_dir / f"{target}.csv"
        rows = [row for _, group in produced[target] for row in group]
        write_csv(path, files[target].columns, rows)
        os.utime(path, (mtimes[target], mtimes[target]))
        report.outputs[target] = OutputReport(
            file=path.name,
            rows=len(rows),
            sha256=_sha256(path),
            sources=[source for source, _ in produced[target]],
        )


def _write_report(out_dir: Path, report: Report) -> None:
    path = out_dir / REPORT_NAME
    tmp = out_dir / f".{REPORT_NAME}.tmp"
    tmp.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


__all__ = [
    "KINDS",
    "PLATFORMS",
    "REPORT_NAME",
    "ConversionConflict",
    "ConversionError",
    "Detected",
    "InputReport",
    "MappingError",
    "OutputReport",
    "Report",
    "TargetCount",
    "contract_name",
    "convert",
    "detect",
    "detect_kind",
    "find_mappings",
    "needs_conversion",
]
