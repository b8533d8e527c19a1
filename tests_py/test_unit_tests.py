"""The dbt unit tests (logic on hand-made rows), run once per session.

Fixture builds leave them out (conftest.NO_UNIT_TESTS): they check the models'
logic, not the data, so running them in every build only cost time. Here every
unit test of the project runs against the generated build's database (dbt needs
the models' parents to exist to read their columns), with the default vars and
with every non-default var the staging fixtures build with: each unit test pins
the vars it depends on, so it must pass whatever vars a build is run with.
"""

from __future__ import annotations

import json

import pytest

from segmart.dbt import run_dbt

# the non-default vars of tests_py/test_staging.py's builds that reach the models
# (csv_delimiter only tells landing how to read the files: the generated exports
# are comma-separated)
STAGING_VARS = {
    "max_valid_date": "2024-12-31",
    "source_timezone": "Europe/Paris",
    "decimal_comma": True,
}


@pytest.mark.parametrize("dbt_vars", [None, STAGING_VARS], ids=["defaults", "staging"])
def test_every_unit_test_passes(generated, tmp_path, dbt_vars):
    target = tmp_path / "target"
    run = run_dbt(
        ["test", "--select", "test_type:unit"],
        db_path=generated.db_path,
        raw_dir=generated.raw_dir,
        dbt_vars=dbt_vars,
        target_path=target,
    )
    manifest = json.loads((target / "manifest.json").read_text())
    expected = {
        uid for uid in manifest["unit_tests"] if uid.startswith("unit_test.segmart.")
    }
    statuses = {
        r["unique_id"]: r["status"]
        for r in run.results
        if r["unique_id"].startswith("unit_test.")
    }
    assert set(statuses) == expected, "a unit test did not run"
    assert len(expected) > 40
    failed = {uid: status for uid, status in statuses.items() if status != "pass"}
    assert failed == {}, run.output[-3000:]
    assert run.success
