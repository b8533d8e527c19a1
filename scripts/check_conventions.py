"""Project conventions, checked on dbt's manifest.json instead of by reviewers.

    python scripts/check_conventions.py [--target-path DIR] [--manifest FILE]

Runs `dbt parse` (into --target-path, else a temporary directory) unless
--manifest names a manifest.json, then prints one line per violation and exits 1
when there is any:

1. docs: every enabled model, and every column its YAML declares, has a
   description (doc blocks count: the manifest holds them rendered);
2. primary key: every model has a `primary_key` test on one column, `unique` +
   `not_null` (or `not_null_columns`) on one column, or a `unique_combination`
   test (macros/tests/generic_tests.sql), unless it is in
   NO_KEY_MODELS with a reason;
3. pii: a column named like personal data (PII_COLUMNS) carries `meta: {pii: true}`,
   and no model in the BI-facing `main` schema (models/marts/ outside
   models/marts/activation/) has a pii-tagged column;
4. sources: only models under models/staging/ and models/quality/ (the reports
   that count the landed lines) call source();
5. staging parents: a staging model reads at most one model besides its sources
   and seeds (staging is 1:1 with the exports; reports live in models/quality/);
6. mart chain: no path of ref() edges runs through more than MAX_MART_CHAIN
   models under models/marts/ (marts are short and wide: the segment machinery
   is in models/intermediate/segments/);
7. hidden edges: no macro of the project calls ref() or source(): a macro
   builds an expression, and the model that depends on a relation names it.

tests_py/test_conventions.py runs it on the project and on a synthetic manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Column names that hold personal data wherever they occur.
PII_COLUMNS = {"email", "phone", "first_name", "last_name", "full_name", "postal_code"}

# The longest allowed run of marts reading marts (issue "A house a newcomer can
# live in").
MAX_MART_CHAIN = 5

SOURCE_FOLDERS = ("models/staging/", "models/quality/")

# Models with no primary-key test, each with the reason (one line).
_LANDED = "keyed by (_source_file, _raw_row), which landing numbers; not re-tested"
NO_KEY_MODELS = {
    # every raw line, the largest tables of a build (stg_ views test their keys)
    "base_shop__campaigns": _LANDED,
    "base_shop__customers": _LANDED,
    "base_shop__engagement_events": _LANDED,
    "base_shop__erasure_requests": _LANDED,
    "base_shop__fx_rates": _LANDED,
    "base_shop__order_lines": _LANDED,
    "base_shop__orders": _LANDED,
    "base_shop__products": _LANDED,
    "base_shop__refunds": _LANDED,
    "base_shop__reviews": _LANDED,
    "base_shop__suppressions": _LANDED,
    "base_shop__tickets": _LANDED,
}


def _is_pii(column: dict) -> bool:
    meta = column.get("meta") or (column.get("config") or {}).get("meta") or {}
    return meta.get("pii") is True


def _keyed_models(manifest: dict) -> set[str]:
    """unique_ids of the models with a primary-key test."""
    unique, not_null, keyed = set(), set(), set()
    for node in manifest["nodes"].values():
        test = (node.get("test_metadata") or {}).get("name")
        if node["resource_type"] != "test" or not test:
            continue
        model = node.get("attached_node") or next(
            iter(node.get("depends_on", {}).get("nodes", [])), None
        )
        column = node.get("column_name")
        if test == "unique_combination" or (test == "primary_key" and column):
            keyed.add(model)
        elif test == "unique" and column:
            unique.add((model, column.lower()))
        elif test == "not_null" and column:
            not_null.add((model, column.lower()))
        elif test == "not_null_columns":
            names = (node.get("test_metadata", {}).get("kwargs") or {}).get(
                "column_names"
            ) or []
            not_null.update((model, name.lower()) for name in names)
    return keyed | {model for model, _ in unique & not_null}


def violations(manifest: dict) -> list[str]:
    """One line per convention broken by the manifest's enabled models."""
    found = []
    keyed = _keyed_models(manifest)
    nodes = sorted(manifest["nodes"].values(), key=lambda node: node["unique_id"])
    for node in nodes:
        enabled = node.get("config", {}).get("enabled", True)
        if node["resource_type"] != "model" or not enabled:
            continue
        name, path = node["name"], node["original_file_path"]
        bi_facing = path.startswith("models/marts/") and not path.startswith(
            "models/marts/activation/"
        )
        if not (node.get("description") or "").strip():
            found.append(f"docs: {name}: the model has no description")
        for column_name, column in node.get("columns", {}).items():
            if not (column.get("description") or "").strip():
                found.append(f"docs: {name}.{column_name}: no description")
            if column_name.lower() in PII_COLUMNS and not _is_pii(column):
                found.append(f"pii: {name}.{column_name}: needs meta: {{pii: true}}")
            if bi_facing and _is_pii(column):
                found.append(
                    f"pii: {name}.{column_name}: personal data in the BI-facing "
                    "main schema (move it to models/marts/activation/)"
                )
        if node["unique_id"] not in keyed and name not in NO_KEY_MODELS:
            found.append(
                f"primary key: {name}: no unique + not_null column and no "
                "unique_combination test (or add it to NO_KEY_MODELS with a reason)"
            )
        depends = node.get("depends_on", {}).get("nodes", [])
        if not path.startswith(SOURCE_FOLDERS) and (
            node.get("sources") or any(d.startswith("source.") for d in depends)
        ):
            found.append(
                f"sources: {name}: calls source() outside models/staging/ "
                "and models/quality/"
            )
        model_parents = sorted({d for d in depends if d.startswith("model.")})
        if path.startswith("models/staging/") and len(model_parents) > 1:
            found.append(
                f"staging parents: {name}: reads {len(model_parents)} models "
                f"({', '.join(d.split('.')[-1] for d in model_parents)}); "
                "staging reads its source, seeds and at most one base model"
            )
    found.extend(_mart_chain_violations(manifest))
    found.extend(_hidden_edges(manifest))
    return found


_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_HIDDEN_EDGE = re.compile(r"\b(ref|source)\s*\(")


def _hidden_edges(manifest: dict) -> list[str]:
    """The project's macros that call ref() or source() (Jinja comments aside)."""
    found = []
    for _uid, macro in sorted(manifest.get("macros", {}).items()):
        if macro.get("package_name") != "segmart":
            continue
        code = _JINJA_COMMENT.sub("", macro.get("macro_sql", ""))
        calls = sorted({m.group(1) for m in _HIDDEN_EDGE.finditer(code)})
        if calls:
            found.append(
                f"hidden edges: macro {macro['name']} calls "
                f"{' and '.join(c + '()' for c in calls)}; let the model read the "
                "relation and the macro build an expression over it"
            )
    return found


def _mart_chain_violations(manifest: dict) -> list[str]:
    """The mart chains longer than MAX_MART_CHAIN, each as its list of names."""
    marts = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node.get("config", {}).get("enabled", True)
        and node["original_file_path"].startswith("models/marts/")
    }
    longest: dict[str, list[str]] = {}

    def chain(uid: str) -> list[str]:
        if uid not in longest:
            parents = marts[uid].get("depends_on", {}).get("nodes", [])
            best = max(
                (chain(p) for p in parents if p in marts and p != uid),
                key=len,
                default=[],
            )
            longest[uid] = [*best, marts[uid]["name"]]
        return longest[uid]

    too_long = sorted(
        {tuple(chain(uid)) for uid in marts if len(chain(uid)) > MAX_MART_CHAIN}
    )
    return [
        f"mart chain: {len(path)} marts ({' -> '.join(path)}); at most {MAX_MART_CHAIN}"
        for path in too_long
        if not any(len(o) > len(path) and o[: len(path)] == path for o in too_long)
    ]


def parse(target_path: Path) -> dict:
    """Run `dbt parse` into target_path and return its manifest."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {"DBT_PROFILES_DIR": str(PROJECT_DIR), **os.environ}
    env.setdefault("SEGMART_RAW_DIR", str(target_path / "raw"))
    env.setdefault("SEGMART_DB_PATH", str(target_path / "parse.duckdb"))
    command = [str(dbt) if dbt.exists() else "dbt", "parse", "--no-partial-parse"]
    command += ["--project-dir", str(PROJECT_DIR), "--target-path", str(target_path)]
    command += ["--log-path", str(target_path / "logs")]
    proc = subprocess.run(
        command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.exit(f"dbt parse failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return json.loads((target_path / "manifest.json").read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target-path", type=Path, help="dbt parse writes here")
    parser.add_argument("--manifest", type=Path, help="check this manifest.json")
    args = parser.parse_args(argv)
    if args.manifest:
        manifest = json.loads(args.manifest.read_text())
    elif args.target_path:
        manifest = parse(args.target_path.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="segmart-conventions-") as tmp:
            manifest = parse(Path(tmp))
    found = violations(manifest)
    for line in found:
        print(line)
    print(f"{len(found)} convention violation(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
