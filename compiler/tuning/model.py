"""The cost model of the model-guided search: gradient-boosted regression trees on features
of a point, trained online on the trials measured so far.

Features are read off the point itself: every numeric knob as its log2, every flag as 0/1,
every categorical knob (a loop order, a `None`) one-hot, plus the space's derived features
(`SearchSpace.feature`: register-tile size, cache footprints over the cache sizes). The
model predicts log(cost), so a 2× slower schedule is the same distance away everywhere.

Boosted trees are what TVM's and Ansor's cost models use (XGBoost); the ~60 lines below
are the same algorithm at toy scale (least-squares boosting of depth-limited trees, the
best split searched exhaustively), enough for the hundreds of trials a tuning run makes,
and kept in NumPy so the tuner needs nothing beyond the core dependencies.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tessera.compiler.tuning.space import Point, SearchSpace


def features(space: SearchSpace, points: Sequence[Point]) -> np.ndarray:
    rows = []
    for point in points:
        values = space.values(point)
        row: list[float] = []
        for knob in space.knobs:
            value = values[knob.name]
            if isinstance(value, bool):
                row.append(float(value))
            elif isinstance(value, (int, float)) and all(
                    isinstance(c, (int, float)) and not isinstance(c, bool) for c in knob.choices):
                row.append(math.log2(max(float(value), 1e-9)))
            else:
                row.extend(float(value == c) for c in knob.choices)
        row.extend(float(f(values)) for _, f in space.features)
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(points), -1)


class BoostedTrees:
    """Least-squares gradient boosting of regression trees (Friedman, 2001)."""

    def __init__(self, rounds: int = 60, depth: int = 3, rate: float = 0.3,
                 min_leaf: int = 2):
        self.rounds, self.depth, self.rate, self.min_leaf = rounds, depth, rate, min_leaf
        self.base = 0.0
        self.trees: list = []

    def fit(self, x: np.ndarray, y: np.ndarray) -> BoostedTrees:
        self.base = float(np.mean(y)) if len(y) else 0.0
        self.trees = []
        residual = y - self.base
        for _ in range(self.rounds):
            tree = self._grow(x, residual, self.depth)
            residual = residual - self.rate * self._predict_tree(tree, x)
            self.trees.append(tree)
        return self

    def predict(self, x: np.ndarray) -> np.ndarray:
        out = np.full(len(x), self.base)
        for tree in self.trees:
            out += self.rate * self._predict_tree(tree, x)
        return out

    def _grow(self, x: np.ndarray, y: np.ndarray, depth: int):
        """A leaf is a float; a split is (feature, threshold, left, right)."""
        if depth == 0 or len(y) < 2 * self.min_leaf:
            return float(np.mean(y)) if len(y) else 0.0
        best = None  # (sse, feature, threshold)
        n = len(y)
        split = np.arange(self.min_leaf, n - self.min_leaf + 1)  # left side sizes
        for f in range(x.shape[1]):
            order = np.argsort(x[:, f], kind="stable")
            xs, ys = x[order, f], y[order]
            sums, squares = np.cumsum(ys), np.cumsum(ys * ys)
            left_sum, left_sq = sums[split - 1], squares[split - 1]
            sse = (left_sq - left_sum ** 2 / split
                   + (squares[-1] - left_sq) - (sums[-1] - left_sum) ** 2 / (n - split))
            sse[xs[split - 1] == xs[np.minimum(split, n - 1)]] = np.inf  # not a real cut
            if not len(sse) or not np.isfinite(sse.min()):
                continue
            i = int(np.argmin(sse))
            if best is None or sse[i] < best[0] - 1e-12:
                best = (float(sse[i]), f, (xs[split[i] - 1] + xs[split[i]]) / 2)
        if best is None:
            return float(np.mean(y))
        _, f, threshold = best
        mask = x[:, f] <= threshold
        return (f, threshold, self._grow(x[mask], y[mask], depth - 1),
                self._grow(x[~mask], y[~mask], depth - 1))

    def _predict_tree(self, tree, x: np.ndarray) -> np.ndarray:
        if not isinstance(tree, tuple):
            return np.full(len(x), tree)
        f, threshold, left, right = tree
        mask = x[:, f] <= threshold
        out = np.empty(len(x))
        out[mask] = self._predict_tree(left, x[mask])
        out[~mask] = self._predict_tree(right, x[~mask])
        return out
