"""dbt docs and exposures: `dbt docs generate` works on a built database, every
mart and every column it outputs is documented, and the exposures name who reads
the marts.

A guard, not a style opinion: a mart column without a description fails here,
naming the model and the columns.
"""

from __future__ import annotations

import json
import shutil

import pytest

from segmart.dbt import run_dbt


@pytest.fixture(scope="module")
def docs(history, tmp_path_factory):
    """manifest.json and catalog.json of `dbt docs generate --static` on a copy of
    the history database (the catalog lists the columns each model outputs)."""
    root = tmp_path_factory.mktemp("docs")
    db_path = root / "docs.duckdb"
    shutil.copy(history.db_path, db_path)
    target = root / "target"
    result = run_dbt(
        ["docs", "generate", "--static"],
        db_path=db_path,
        raw_dir=history.raw_dir,
        target_path=target,
    )
    assert result.success, result.output[-3000:]
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    return manifest, catalog, target


def marts(manifest) -> dict[str, dict]:
    return {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
    }


def test_docs_generate_writes_the_site(docs):
    _, _, target = docs
    for name in ("index.html", "static_index.html", "catalog.json"):
        assert (target / name).stat().st_size > 0, name


def test_every_mart_has_a_description(docs):
    manifest, _, _ = docs
    found = marts(manifest)
    assert {"customer_profile", "segment_library", "segment_performance"} <= {
        node["name"] for node in found.values()
    }
    undocumented = [n["name"] for n in found.values() if not n["description"].strip()]
    assert undocumented == []


def test_every_mart_column_is_documented(docs):
    manifest, catalog, _ = docs
    missing = {}
    for uid, node in marts(manifest).items():
        built = catalog["nodes"].get(uid)
        assert built is not None, f"{node['name']} is not in the catalog (not built?)"
        described = {
            name.lower()
            for name, column in node["columns"].items()
            if (column.get("description") or "").strip()
        }
        absent = [c for c in built["columns"] if c.lower() not in described]
        if absent:
            missing[node["name"]] = absent
    assert missing == {}, f"document these columns in the marts' YAML: {missing}"


def test_exposures_declare_report_exports_and_dashboard_with_owners(docs):
    manifest, _, _ = docs
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {e["type"] for e in exposures.values()} >= {
        "analysis",
        "application",
        "dashboard",
    }
    for name in ("segment_report", "esp_audience_upload", "segment_dashboard"):
        exposure = exposures[name]
        assert exposure["owner"]["email"] and exposure["owner"]["name"], name
        assert exposure["description"].strip(), name
        assert exposure["depends_on"]["nodes"], name
    report_inputs = {
        uid.split(".")[-1] for uid in exposures["segment_report"]["depends_on"]["nodes"]
    }
    # the report reads exactly these relations (segmart.report.SOURCES)
    from segmart.report import SOURCES

    assert report_inputs == {source.split(".")[1] for source in SOURCES.values()}
    uploads = exposures["esp_audience_upload"]["depends_on"]["nodes"]
    assert "model.segmart.audience_members" in uploads
