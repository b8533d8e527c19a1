"""scripts/check_conventions.py: the project keeps its conventions (docs, primary
keys, pii tags, source() only in staging and quality, staging parents, mart
chains), and each check can fail."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

from segmart.contract import PROJECT_DIR

SCRIPT = PROJECT_DIR / "scripts" / "check_conventions.py"
_spec = importlib.util.spec_from_file_location("check_conventions", SCRIPT)
conventions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(conventions)


def test_the_project_keeps_its_conventions(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--target-path", str(tmp_path / "target")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def model(name: str, path: str, columns: dict, **node) -> dict:
    return {
        "unique_id": f"model.segmart.{name}",
        "resource_type": "model",
        "name": name,
        "original_file_path": path,
        "description": "A model.",
        "config": {"enabled": True},
        "columns": {
            column: {"name": column, "description": "A column.", **extra}
            for column, extra in columns.items()
        },
        "sources": [],
        "depends_on": {"nodes": []},
        **node,
    }


def data_test(name: str, model_name: str, column: str | None = None, **kwargs) -> dict:
    return {
        "unique_id": f"test.segmart.{name}_{model_name}_{column}",
        "resource_type": "test",
        "test_metadata": {"name": name, "kwargs": kwargs},
        "attached_node": f"model.segmart.{model_name}",
        "column_name": column,
    }


def test_each_check_reports_its_violation():
    pii = {"meta": {"pii": True}}
    nodes = [
        # clean: a staging model keyed on one column, reading a source
        model(
            "stg_clean",
            "models/staging/stg_clean.sql",
            {"id": {}, "email": pii},
            sources=[["shop", "orders"]],
            depends_on={"nodes": ["source.segmart.shop.orders"]},
        ),
        data_test("unique", "stg_clean", "id"),
        data_test("not_null", "stg_clean", "id"),
        # no model description, a column without one, keyed by a combination
        model(
            "int_undocumented",
            "models/intermediate/int_undocumented.sql",
            {"id": {"description": ""}},
            description=" ",
        ),
        data_test("unique_combination", "int_undocumented"),
        # unique without not_null is no key; an untagged last_name
        model("int_unkeyed", "models/intermediate/int_unkeyed.sql", {"last_name": {}}),
        data_test("unique", "int_unkeyed", "last_name"),
        # personal data in the BI-facing main schema; source() outside staging
        model(
            "mart_leaky",
            "models/marts/mart_leaky.sql",
            {"id": {}, "phone": {"config": {"meta": {"pii": True}}}},
            depends_on={"nodes": ["source.segmart.shop.customers"]},
        ),
        data_test("unique", "mart_leaky", "id"),
        data_test("not_null", "mart_leaky", "id"),
        # the activation schema may hold personal data
        model(
            "audience",
            "models/marts/activation/audience.sql",
            {"id": {}, "email": pii},
        ),
        data_test("primary_key", "audience", "id"),
        # unique on one column and that column among a model-level not_null_columns
        model("int_folded", "models/intermediate/int_folded.sql", {"id": {}}),
        data_test("unique", "int_folded", "id"),
        data_test("not_null_columns", "int_folded", column_names=["ID", "x"]),
        # a disabled model is not checked
        model("off", "models/off.sql", {}, description="", config={"enabled": False}),
        # a quality report may read the landing (source); a staging model that
        # reads two models is a report in the wrong folder
        model(
            "dq_counts",
            "models/quality/dq_counts.sql",
            {"id": {}},
            depends_on={"nodes": ["source.segmart.shop.orders", "model.segmart.s1"]},
        ),
        data_test("unique_combination", "dq_counts"),
        model(
            "stg_report",
            "models/staging/stg_report.sql",
            {"id": {}},
            depends_on={"nodes": ["model.segmart.base_a", "model.segmart.base_b"]},
        ),
        data_test("unique_combination", "stg_report"),
        # marts m1 -> ... -> m6 (a chain of 6) and m3 -> m_side (4): one violation
        *chain_of_marts(["m1", "m2", "m3", "m4", "m5", "m6"], side=("m3", "m_side")),
    ]
    macros = {
        # a macro that joins a seed hides the edge; one that mentions ref() in a
        # Jinja comment, or names a parameter `relation`, does not
        "macro.segmart.join_seed": {
            "name": "join_seed",
            "package_name": "segmart",
            "macro_sql": "{% macro join_seed() %}join {{ ref('enum_values') }}"
            "{% endmacro %}",
        },
        "macro.segmart.documented": {
            "name": "documented",
            "package_name": "segmart",
            "macro_sql": "{#- with x as (select * from {{ ref('a') }}) -#}"
            "{% macro documented(relation) %}{{ relation }}.id{% endmacro %}",
        },
        "macro.dbt.ref": {
            "name": "ref",
            "package_name": "dbt",
            "macro_sql": "{% macro ref() %}{{ source('a', 'b') }}{% endmacro %}",
        },
    }
    manifest = {"nodes": {node["unique_id"]: node for node in nodes}, "macros": macros}
    found = conventions.violations(manifest)
    assert found == [
        "docs: int_undocumented: the model has no description",
        "docs: int_undocumented.id: no description",
        "pii: int_unkeyed.last_name: needs meta: {pii: true}",
        found[3],
        found[4],
        found[5],
        found[6],
        "mart chain: 6 marts (m1 -> m2 -> m3 -> m4 -> m5 -> m6); at most 5",
        found[8],
    ], found
    assert found[8].startswith("hidden edges: macro join_seed calls ref();")
    assert found[3].startswith("primary key: int_unkeyed: ")
    assert found[4].startswith("pii: mart_leaky.phone: personal data in the BI-facing")
    assert found[5] == (
        "sources: mart_leaky: calls source() outside models/staging/ "
        "and models/quality/"
    )
    assert found[6].startswith("staging parents: stg_report: reads 2 models (base_a,")
    clean = ("stg_clean", "audience", "int_folded", "dq_counts", "m_side")
    assert not any(name in line for line in found for name in clean)


def chain_of_marts(names: list[str], side: tuple[str, str]) -> list[dict]:
    """Keyed, documented marts, each reading the one before it, and one side
    branch (side[1] reads side[0])."""
    nodes = []
    parents = [None, *names[:-1]]
    edges = [*zip(names, parents, strict=True), (side[1], side[0])]
    for name, parent in edges:
        depends = [f"model.segmart.{parent}"] if parent else []
        nodes.append(
            model(
                name,
                f"models/marts/{name}.sql",
                {"id": {}},
                depends_on={"nodes": depends},
            )
        )
        nodes.append(data_test("unique_combination", name))
    return nodes


def test_main_exits_non_zero_on_a_violation(tmp_path, capsys):
    manifest = tmp_path / "manifest.json"
    node = model("int_x", "models/intermediate/int_x.sql", {}, description="")
    manifest.write_text(json.dumps({"nodes": {node["unique_id"]: node}}))
    assert conventions.main(["--manifest", str(manifest)]) == 1
    assert "docs: int_x: the model has no description" in capsys.readouterr().out
