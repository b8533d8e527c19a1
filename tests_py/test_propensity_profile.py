"""Propensity scores in customer_profile, where a segment spec can use them.

A generated shop (a cafe, and a durables shop) is built in a copy of the project
with the spec tests_py/fixtures/segments/zz_likely_to_reorder.sql, whose rule is
`propensity_orders_again_30d >= 0.5`:

1. first build, before `segmart propensity` ever ran: green, every score column
   null, the spec empty;
2. `segmart propensity` (the CLI), then a rebuild: the spec's members are exactly
   the customers whose published score in the Parquet file is at least 0.5, read
   here with pyarrow, independently of the model; the profile carries the AUC and
   the date the scores were computed;
3. a rebuild with the var propensity_min_auc raised above the holdout AUC: the
   build withholds the target (null scores, empty spec) and its log says so.

The vars themselves are also read by the command: a raised propensity_min_auc in
dbt_project.yml withholds a target that the default threshold publishes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from segmart.cli import main
from segmart.dbt import run_dbt
from segmart.discover import propensity
from segmart.generate import generate
from tests_py.test_propensity import AS_OF, planted_orders
from tests_py.test_segments import SPECS, copy_project

SPEC = "zz_likely_to_reorder"
TARGET = "orders_again_30d"
RULE_BAR = 0.5  # the spec's rule: propensity_orders_again_30d >= 0.5
REBUILD = [
    "build",
    "--select",
    "int_customer_propensity",
    "int_customer_profile",
    "customer_profile",
    "int_segment_candidates",
    "--exclude-resource-type",
    "unit_test",
    "--indirect-selection",
    "cautious",
]


def members(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            r[0]
            for r in con.execute(
                "select customer_key from intermediate.int_segment_candidates "
                "where segment_name = ?",
                [SPEC],
            ).fetchall()
        }


def profile_scores(db: Path) -> dict[str, list[tuple]]:
    """Per known target: (customer_key, score, AUC, scored on, as_of) where scored."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            t: con.execute(
                f"select customer_key, propensity_{t}, propensity_{t}_auc, "
                "propensity_as_of_date, as_of_date from main.customer_profile "
                f"where propensity_{t} is not null order by customer_key"
            ).fetchall()
            for t in propensity.TARGETS
        }


def null_scores(db: Path) -> int:
    """Customers with any propensity column set (0 when all are null)."""
    columns = [
        f"propensity_{t}{suffix}" for t in propensity.TARGETS for suffix in ("", "_auc")
    ] + ["propensity_as_of_date"]
    where = " or ".join(f"{c} is not null" for c in columns)
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            f"select count(*) from main.customer_profile where {where}"
        ).fetchone()[0]


# Whether orders_again_30d has a signal: a cafe's regulars reorder within weeks;
# a durables shop's customers almost never order twice in 30 days (about 1% in
# its holdout), so the target is withheld there, and the spec stays empty.
SHAPES = {"cafe": True, "durables": False}


@pytest.fixture(scope="module", params=list(SHAPES))
def shop(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"propensity_{request.param}")
    project = copy_project(root / "project")
    shutil.copy(SPECS / f"{SPEC}.sql", project / "segments" / f"{SPEC}.sql")
    raw = root / "raw"
    generate(out_dir=raw, customers=1500, seed=3, shape=request.param, progress=False)
    db = root / "shop.duckdb"

    def dbt(args, name):
        return run_dbt(
            args,
            project_dir=project,
            db_path=db,
            raw_dir=raw,
            target_path=root / f"target_{name}",
        )

    first = dbt(
        ["build", "--select", "+int_segment_candidates", "+customer_profile"]
        + REBUILD[-4:],
        "first",
    )
    state = {"first": first, "first_members": members(db)}
    state["signal"] = SHAPES[request.param]
    state["first_scores"] = null_scores(db) if first.success else None
    scores = root / "scores.parquet"
    state["cli"] = CliRunner().invoke(
        main,
        ["propensity", "--db", str(db), "--out", str(scores)],
    )
    state["rebuilt"] = dbt(REBUILD, "rebuilt")
    state["members"] = members(db)
    state["profile"] = profile_scores(db)
    state["parquet"] = pq.read_table(scores).to_pylist()
    raised = dbt(REBUILD + ["--vars", "{propensity_min_auc: 0.999}"], "raised")
    state["raised"] = raised
    state["raised_members"] = members(db)
    state["raised_scores"] = null_scores(db)
    return state


def test_first_build_without_scores_is_green_and_null(shop):
    assert shop["first"].success, shop["first"].output[-3000:]
    assert shop["first_scores"] == 0
    assert shop["first_members"] == set()
    assert "no published scores in this database" in shop["first"].output


def test_spec_members_are_the_customers_whose_score_passes(shop):
    assert shop["cli"].exit_code == 0, shop["cli"].output
    assert shop["rebuilt"].success, shop["rebuilt"].output[-3000:]
    # the command's block for TARGET, up to its WITHHELD line if it has one
    verdict = shop["cli"].output.split(f"{TARGET}: ", 1)[1].split("\n  WITHHELD")[0]
    rows = [r for r in shop["parquet"] if r["target"] == TARGET]
    expected = {r["customer_key"] for r in rows if r["score"] >= RULE_BAR}
    if shop["signal"]:
        assert "PUBLISHED" in verdict
        # the rule splits the shop: some pass it, some do not
        assert expected and len(expected) < len(rows)
    else:
        assert "PUBLISHED" not in verdict and not rows
        note = f"propensity: {TARGET} withheld: holdout AUC"
        assert note in shop["rebuilt"].output
    assert shop["members"] == expected


def test_profile_carries_score_auc_and_date(shop):
    published = {r["target"] for r in shop["parquet"]}
    assert published, "some target is published in every shape"
    for target, profile in shop["profile"].items():
        rows = {r["customer_key"]: r for r in shop["parquet"] if r["target"] == target}
        assert {r[0] for r in profile} == set(rows)
        for key, score, auc, scored_on, as_of in profile:
            assert score == pytest.approx(rows[key]["score"])
            assert auc == pytest.approx(rows[key]["holdout_auc"]) and auc >= 0.65
            assert scored_on == rows[key]["as_of_date"] == as_of


def test_raised_threshold_var_withholds_in_the_build(shop):
    assert shop["raised"].success, shop["raised"].output[-3000:]
    assert shop["raised_scores"] == 0
    assert shop["raised_members"] == set()
    assert f"propensity: {TARGET} withheld: holdout AUC" in shop["raised"].output


# --- the command reads the vars of dbt_project.yml ---------------------------


def project_with_vars(root: Path, **dbt_vars) -> Path:
    """A project folder whose dbt_project.yml is the real one with `dbt_vars` set."""
    real = yaml.safe_load((propensity.PROJECT_DIR / "dbt_project.yml").read_text())
    real["vars"].update(dbt_vars)
    root.mkdir(parents=True, exist_ok=True)
    (root / "dbt_project.yml").write_text(yaml.safe_dump(real))
    return root


def test_vars_name_the_targets_and_the_threshold():
    targets, min_auc = propensity.configured()
    assert targets == list(propensity.TARGETS)
    assert min_auc == 0.65


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("planted") / "orders.duckdb"
    planted_orders(path)
    return path


def test_raised_threshold_var_withholds_the_target(planted, tmp_path):
    db = tmp_path / "orders.duckdb"
    shutil.copy(planted, db)
    default = propensity.run(db, tmp_path / "a.parquet", [TARGET], write_db=False)
    assert default[0].published  # holdout AUC >= 0.75 on the planted signal
    raised = project_with_vars(tmp_path / "raised", propensity_min_auc=0.999)
    fits = propensity.run(db, tmp_path / "b.parquet", project_dir=raised)
    assert [f.target.name for f in fits] == list(propensity.TARGETS)
    fit = fits[0]
    assert fit.auc == pytest.approx(default[0].auc)
    assert not fit.published and "below 0.999" in fit.reason
    assert pq.read_table(tmp_path / "b.parquet").num_rows == 0
    # the flag overrides the var
    flagged = propensity.run(
        db, tmp_path / "c.parquet", [TARGET], 0.6, project_dir=raised, write_db=False
    )
    assert flagged[0].published


def test_targets_var_chooses_what_is_fitted(planted, tmp_path):
    db = tmp_path / "orders.duckdb"
    shutil.copy(planted, db)
    one = project_with_vars(tmp_path / "one", propensity_targets=[TARGET])
    fits = propensity.run(db, tmp_path / "s.parquet", project_dir=one)
    assert [f.target.name for f in fits] == [TARGET]
    # published in the database too, with every fit's verdict
    with duckdb.connect(str(db), read_only=True) as con:
        published = con.execute(
            "select count(*), min(as_of_date) from "
            f"{propensity.SCHEMA}.{propensity.SCORES_TABLE}"
        ).fetchone()
        verdicts = con.execute(
            f"select target, published from {propensity.SCHEMA}.{propensity.FITS_TABLE}"
        ).fetchall()
    assert published == (600, AS_OF)
    assert verdicts == [(TARGET, True)]


def test_known_targets_macro_lists_every_target():
    macro = (propensity.PROJECT_DIR / "macros" / "propensity.sql").read_text()
    listed = macro.split("return([", 1)[1].split("])", 1)[0]
    assert [t.strip(" '") for t in listed.split(",")] == list(propensity.TARGETS)
