"""Clusters and the rules that describe them.

k-means (scikit-learn) on the standardised features; k is the candidate with the
best silhouette on a seeded sample (ties: the smaller k). Each cluster is then
described, one against the rest, by a shallow decision tree on the profile's own
values; the leaves the tree gives to the cluster become a SQL boolean expression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.tree import DecisionTreeClassifier

from segmart.discover.features import Feature

K_RANGE = range(2, 9)
SILHOUETTE_SAMPLE = 4000
TREE_DEPTH = 3
# A leaf describes at least this share of the customers (or a quarter of a
# smaller cluster): no rule for a handful.
MIN_LEAF_SHARE = 0.01


@dataclass
class Clustering:
    k: int
    labels: np.ndarray
    silhouettes: dict[int, float]  # k -> silhouette of the candidates tried


def choose_k(scaled: np.ndarray, seed: int, k: int | None = None) -> Clustering:
    """k-means with the given k, or the k in K_RANGE with the best silhouette."""
    n = scaled.shape[0]
    candidates = [k] if k is not None else [c for c in K_RANGE if c < n]
    if not candidates or n < 2:
        raise ValueError(f"too few customers to cluster ({n})")
    rng = np.random.default_rng(seed)
    sample = rng.choice(n, size=min(n, SILHOUETTE_SAMPLE), replace=False)
    best, scores = None, {}
    for c in candidates:
        if len(candidates) == 1:
            break
        labels = KMeans(n_clusters=c, n_init=4, random_state=seed).fit_predict(
            scaled[sample]
        )
        scores[c] = (
            float(silhouette_score(scaled[sample], labels))
            if len(set(labels)) > 1
            else -1.0
        )
        if best is None or scores[c] > scores[best] + 1e-9:
            best = c
    chosen = candidates[0] if best is None else best
    model = KMeans(n_clusters=chosen, n_init=10, random_state=seed).fit(scaled)
    return Clustering(chosen, _relabel(model.labels_), scores)


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Clusters numbered by size, largest first (ties by first row): stable names."""
    ids, counts = np.unique(labels, return_counts=True)
    first = {i: int(np.argmax(labels == i)) for i in ids}
    order = sorted(ids, key=lambda i: (-counts[list(ids).index(i)], first[i]))
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping[x] for x in labels])


def _bound(column: np.ndarray, value: float) -> str:
    """The shortest decimal b that splits `column` as `<= value` does."""
    below = column[column <= value]
    above = column[column > value]
    lo = below.max() if below.size else value
    hi = above.min() if above.size else math.inf
    for digits in range(0, 7):
        b = round(value, digits)
        if lo <= b < hi:
            return f"{b:.{digits}f}"
    return repr(float(lo))


def _threshold(feature: Feature, column: np.ndarray, value: float, above: bool) -> str:
    """`feature > value` or `feature <= value` in SQL, as the tree split."""
    if feature.boolean:
        return feature.sql if above else f"not {feature.sql}"
    bound = str(math.floor(value)) if feature.integer else _bound(column, value)
    return f"{feature.sql} > {bound}" if above else f"{feature.sql} <= {bound}"


def describe(
    features: list[Feature], raw: np.ndarray, member: np.ndarray, seed: int
) -> str:
    """A SQL boolean expression for the rows where `member` is true.

    Nulls: the tree sees them as the column's median; the SQL, like every spec,
    treats a comparison with null as not matching.
    """
    values = raw.copy()
    for i in range(values.shape[1]):
        column = values[:, i]
        missing = np.isnan(column)
        if missing.any():
            column[missing] = np.nanmedian(column) if (~missing).any() else 0.0
    tree = DecisionTreeClassifier(
        max_depth=TREE_DEPTH,
        # a small cluster still gets leaves of its own (a quarter of it)
        min_samples_leaf=max(
            1, min(int(MIN_LEAF_SHARE * len(member)), int(member.sum()) // 4)
        ),
        random_state=seed,
    ).fit(values, member.astype(int))
    t = tree.tree_
    paths: list[list[str]] = []

    def walk(node: int, conditions: list[str]) -> None:
        if t.children_left[node] == t.children_right[node]:  # a leaf
            counts = t.value[node][0]
            if len(counts) > 1 and counts[1] > counts[0]:
                paths.append(conditions)
            return
        i = t.feature[node]
        value = float(t.threshold[node])
        for child, above in (
            (t.children_left[node], False),
            (t.children_right[node], True),
        ):
            split = _threshold(features[i], values[:, i], value, above)
            walk(child, [*conditions, split])

    walk(0, [])
    if not paths:
        return "false"
    if paths == [[]]:
        return "true"
    terms = [" and ".join(p) for p in paths]
    if len(terms) == 1:
        return terms[0]
    return "\n    or ".join(f"({term})" for term in terms)
