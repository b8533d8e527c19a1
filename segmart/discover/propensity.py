"""Propensity scores trained point-in-time (`segmart propensity`).

Features are computed in SQL from the built order facts
(intermediate.int_orders_margined) with a cutoff date: only orders on or before
the cutoff, and only what was known on the order day (revenue, margin before
refunds, discount), never refunds, which are dated later. Labels come from the
orders in the `horizon` days after the cutoff.

Time-based holdout, for a target with horizon h and the build's as_of A:
- train: features at A - 2h, labels from (A - 2h, A - h];
- holdout: features at A - h, labels from (A - h, A]: AUC, Brier score and a
  calibration table (mean score against the observed rate by score fifth);
- publish: refit on the holdout window, score features at A. A target whose
  holdout AUC is below `min_auc` is not published.

The targets to fit and `min_auc` are the dbt vars `propensity_targets` and
`propensity_min_auc` (dbt_project.yml); the command's flags override them. The
published scores go to a Parquet file and to the table SCHEMA.SCORES_TABLE in the
database, which the model int_customer_propensity turns into profile columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score

from segmart.contract import PROJECT_DIR
from segmart.errors import UserError
from segmart.library import read_db

MIN_AUC = 0.65  # when dbt_project.yml has no propensity_min_auc
SCHEMA = "propensity"  # where the scores are published in the database
SCORES_TABLE = "customer_propensity_scores"  # one row per customer and target
FITS_TABLE = "propensity_fits"  # one row per fitted target: AUC, verdict, reason
MIN_ROWS = 50  # customers in a window, and at least this many...
MIN_POSITIVES = 10  # ...positives and negatives to fit or judge a model
TOP_SHARE = 0.1  # top accounts: the top tenth by margin in the horizon


@dataclass(frozen=True)
class Target:
    name: str
    horizon: int  # days after the cutoff the label looks at
    description: str
    first_time_only: bool = False  # population: customers with one order day
    top_accounts: bool = False  # label: top tenth by margin, not "ordered"


TARGETS = {
    t.name: t
    for t in (
        Target("orders_again_30d", 30, "orders again within 30 days"),
        Target(
            "becomes_repeat_90d",
            90,
            "a one-time buyer orders again within 90 days",
            first_time_only=True,
        ),
        Target(
            "top_account_lookalike_180d",
            180,
            "is among the top tenth by margin over the next 180 days",
            top_accounts=True,
        ),
    )
}

FEATURES = (
    "days_since_last_order",
    "tenure_days",
    "orders_count",
    "order_days_count",
    "net_revenue",
    "margin_before_refunds",
    "average_order_value",
    "orders_90d",
    "orders_365d",
    "discount_share",
)
_FEATURES_SQL = """
select
    customer_key,
    date_diff('day', max(order_date), $cutoff) as days_since_last_order,
    date_diff('day', min(order_date), $cutoff) as tenure_days,
    count(*) as orders_count,
    count(distinct order_date) as order_days_count,
    sum(net_revenue) as net_revenue,
    sum(margin_before_refunds) as margin_before_refunds,
    avg(net_revenue) as average_order_value,
    count(*) filter (where order_date > $cutoff - interval 90 day) as orders_90d,
    count(*) filter (where order_date > $cutoff - interval 365 day) as orders_365d,
    avg(case when is_discounted then 1.0 else 0.0 end) as discount_share
from intermediate.int_orders_margined
where order_date <= $cutoff and customer_key is not null
group by customer_key
order by customer_key
"""
_LABELS_SQL = """
select
    customer_key,
    count(*) as orders_after,
    coalesce(sum(margin_before_refunds), 0) as margin_after
from intermediate.int_orders_margined
where order_date > $cutoff
    and order_date <= $cutoff + interval (cast($horizon as integer)) day
    and customer_key is not null
group by customer_key
"""


def features_at(
    con: duckdb.DuckDBPyConnection, cutoff: dt.date
) -> tuple[list[str], np.ndarray]:
    """Customer keys and FEATURES as of `cutoff` (orders on or before it only)."""
    rows = con.execute(_FEATURES_SQL, {"cutoff": cutoff}).fetchall()
    keys = [r[0] for r in rows]
    values = np.array([[float(v) for v in r[1:]] for r in rows], dtype=float)
    return keys, values.reshape(len(rows), len(FEATURES))


def window(
    con: duckdb.DuckDBPyConnection, target: Target, cutoff: dt.date
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Features at `cutoff` and the labels of the `horizon` days after it."""
    keys, x = features_at(con, cutoff)
    after = {
        r[0]: (r[1], float(r[2]))
        for r in con.execute(
            _LABELS_SQL, {"cutoff": cutoff, "horizon": target.horizon}
        ).fetchall()
    }
    if target.first_time_only:
        keep = x[:, FEATURES.index("order_days_count")] == 1
        keys = [k for k, kept in zip(keys, keep, strict=True) if kept]
        x = x[keep]
    if target.top_accounts:
        margin = np.array([after.get(k, (0, 0.0))[1] for k in keys])
        positive = margin[margin > 0]
        if positive.size == 0:
            return keys, x, np.zeros(len(keys), dtype=int)
        bar = np.quantile(margin, 1 - TOP_SHARE)
        y = ((margin >= bar) & (margin > 0)).astype(int)
    else:
        y = np.array([1 if k in after else 0 for k in keys], dtype=int)
    return keys, x, y


@dataclass
class Fit:
    target: Target
    train_cutoff: dt.date | None = None
    holdout_cutoff: dt.date | None = None
    train_rows: int = 0
    holdout_rows: int = 0
    holdout_rate: float | None = None
    auc: float | None = None
    brier: float | None = None
    calibration: list[tuple[float, float, int]] = field(default_factory=list)
    published: bool = False
    reason: str = ""
    scores: dict[str, float] = field(default_factory=dict)


def _usable(y: np.ndarray) -> bool:
    return (
        len(y) >= MIN_ROWS
        and int(y.sum()) >= MIN_POSITIVES
        and int(len(y) - y.sum()) >= MIN_POSITIVES
    )


def _model(seed: int) -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.1, max_leaf_nodes=15, random_state=seed
    )


def _calibration(p: np.ndarray, y: np.ndarray, bins: int = 5):
    """(mean score, observed rate, customers) per score quantile bin."""
    order = np.argsort(p, kind="stable")
    return [
        (float(p[part].mean()), float(y[part].mean()), int(len(part)))
        for part in np.array_split(order, bins)
        if len(part)
    ]


def fit_target(
    con: duckdb.DuckDBPyConnection,
    target: Target,
    as_of: dt.date,
    min_auc: float = MIN_AUC,
    seed: int = 0,
    shuffle_labels: bool = False,
) -> Fit:
    """Train, judge on the time-based holdout, and score when good enough.

    `shuffle_labels` permutes the labels of both windows (seeded): a check that
    a model without signal is withheld.
    """
    fit = Fit(target)
    h = dt.timedelta(days=target.horizon)
    fit.holdout_cutoff = as_of - h
    fit.train_cutoff = as_of - 2 * h
    _, x_train, y_train = window(con, target, fit.train_cutoff)
    _, x_hold, y_hold = window(con, target, fit.holdout_cutoff)
    if shuffle_labels:
        rng = np.random.default_rng(seed)
        y_train, y_hold = rng.permutation(y_train), rng.permutation(y_hold)
    fit.train_rows, fit.holdout_rows = len(y_train), len(y_hold)
    if not (_usable(y_train) and _usable(y_hold)):
        fit.reason = (
            f"too little history: each window needs {MIN_ROWS} customers with "
            f"{MIN_POSITIVES} positives and negatives (train {len(y_train)} / "
            f"{int(y_train.sum())}, holdout {len(y_hold)} / {int(y_hold.sum())})"
        )
        return fit
    p = _model(seed).fit(x_train, y_train).predict_proba(x_hold)[:, 1]
    fit.holdout_rate = float(y_hold.mean())
    fit.auc = float(roc_auc_score(y_hold, p))
    fit.brier = float(brier_score_loss(y_hold, p))
    fit.calibration = _calibration(p, y_hold)
    if fit.auc < min_auc:
        fit.reason = f"holdout AUC {fit.auc:.3f} is below {min_auc}: not published"
        return fit
    keys, x_now = features_at(con, as_of)
    if target.first_time_only:
        keep = x_now[:, FEATURES.index("order_days_count")] == 1
        keys = [k for k, kept in zip(keys, keep, strict=True) if kept]
        x_now = x_now[keep]
    model = _model(seed).fit(x_hold, y_hold)
    fit.scores = dict(zip(keys, model.predict_proba(x_now)[:, 1].tolist(), strict=True))
    fit.published = True
    fit.reason = f"holdout AUC {fit.auc:.3f} >= {min_auc}: published"
    return fit


def configured(project_dir: Path = PROJECT_DIR) -> tuple[list[str], float]:
    """The vars propensity_targets and propensity_min_auc of dbt_project.yml."""
    project = yaml.safe_load((Path(project_dir) / "dbt_project.yml").read_text())
    dbt_vars = (project or {}).get("vars") or {}
    targets = dbt_vars.get("propensity_targets", list(TARGETS))
    if isinstance(targets, str):
        targets = [targets]
    return [str(t) for t in targets], float(dbt_vars.get("propensity_min_auc", MIN_AUC))


def _fits_table(fits: list[Fit], as_of: dt.date, min_auc: float) -> pa.Table:
    return pa.table(
        {
            "target": pa.array([f.target.name for f in fits], pa.string()),
            "description": pa.array([f.target.description for f in fits], pa.string()),
            "horizon_days": pa.array([f.target.horizon for f in fits], pa.int32()),
            "as_of_date": pa.array([as_of] * len(fits), pa.date32()),
            "train_cutoff": pa.array([f.train_cutoff for f in fits], pa.date32()),
            "holdout_cutoff": pa.array([f.holdout_cutoff for f in fits], pa.date32()),
            "train_rows": pa.array([f.train_rows for f in fits], pa.int64()),
            "holdout_rows": pa.array([f.holdout_rows for f in fits], pa.int64()),
            "holdout_auc": pa.array([f.auc for f in fits], pa.float64()),
            "brier": pa.array([f.brier for f in fits], pa.float64()),
            "min_auc": pa.array([min_auc] * len(fits), pa.float64()),
            "published": pa.array([f.published for f in fits], pa.bool_()),
            "reason": pa.array([f.reason for f in fits], pa.string()),
        }
    )


def publish_in_db(db: Path, scores: pa.Table, fits: pa.Table) -> None:
    """Replace SCHEMA.SCORES_TABLE and SCHEMA.FITS_TABLE in the database."""
    try:
        con = duckdb.connect(str(db))
    except duckdb.Error as error:
        raise UserError(f"cannot write the scores into {db}: {error}") from error
    with con:
        con.execute(f"create schema if not exists {SCHEMA}")
        for name, table in ((SCORES_TABLE, scores), (FITS_TABLE, fits)):
            con.register("published", table)
            con.execute(
                f"create or replace table {SCHEMA}.{name} as select * from published"
            )
            con.unregister("published")


def build_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    return con.execute(
        "select as_of_date from intermediate.int_build_context"
    ).fetchone()[0]


def run(
    db: Path,
    out: Path,
    targets: list[str] | None = None,
    min_auc: float | None = None,
    seed: int = 0,
    project_dir: Path = PROJECT_DIR,
    write_db: bool = True,
) -> list[Fit]:
    """Fit the targets; write the published scores to the Parquet file `out`.

    `targets` and `min_auc` default to the project's vars (`configured`). With
    `write_db`, the scores and every target's verdict are also published in the
    database (SCHEMA), where the next build reads them into customer_profile.
    """
    configured_targets, configured_min_auc = configured(project_dir)
    targets = targets or configured_targets
    min_auc = configured_min_auc if min_auc is None else min_auc
    unknown = sorted(set(targets or []) - set(TARGETS))
    if unknown:
        raise ValueError(f"unknown target {unknown}; targets: {', '.join(TARGETS)}")
    with read_db(Path(db)) as con:
        as_of = build_as_of(con)
        fits = [
            fit_target(con, TARGETS[name], as_of, min_auc, seed) for name in targets
        ]
    rows = [
        (key, fit.target.name, score, as_of, fit.auc)
        for fit in fits
        if fit.published
        for key, score in sorted(fit.scores.items())
    ]
    table = pa.table(
        {
            "customer_key": pa.array([r[0] for r in rows], pa.string()),
            "target": pa.array([r[1] for r in rows], pa.string()),
            "score": pa.array([r[2] for r in rows], pa.float64()),
            "as_of_date": pa.array([r[3] for r in rows], pa.date32()),
            "holdout_auc": pa.array([r[4] for r in rows], pa.float64()),
        }
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out)
    if write_db:
        publish_in_db(Path(db), table, _fits_table(fits, as_of, min_auc))
    return fits
