"""Search strategies: which points of a space to measure next.

A strategy proposes a batch of unmeasured points (`propose`), is told their costs (`tell`:
None for a failed candidate), and proposes again; an empty batch means the space is
exhausted. Every strategy draws from its own `random.Random(seed)`, so a seed and the costs
it is told fix the sequence of trials: random and grid search do not even look at the
costs, and a resumed run that is told the trials already in the database proposes what
the interrupted run would have.

    random       uniform draws from the valid points
    grid         every valid point in a fixed order (small spaces only)
    evolutionary a steady-state genetic algorithm: parents by tournament among the best
                 measured points (the elites always among them), uniform crossover,
                 per-knob mutation to a neighbouring choice
    model        gradient-boosted trees trained on the trials so far rank a few thousand
                 candidates (random draws and mutations of the best), the best predicted
                 are measured, a few random ones keep exploring
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

import numpy as np

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.tuning.model import BoostedTrees, features
from tessera.compiler.tuning.space import Point, SearchSpace

GRID_LIMIT = 200_000  # points before constraints


class Strategy:
    name = ""

    def __init__(self, space: SearchSpace, seed: int = 0):
        self.space = space
        self.rng = random.Random(seed)
        self.seen: set[Point] = set()
        self.measured: list[tuple[Point, float | None]] = []

    def propose(self, n: int) -> list[Point]:
        raise NotImplementedError

    def tell(self, points: Sequence[Point], costs: Sequence[float | None]) -> None:
        for point, cost in zip(points, costs):
            self.seen.add(point)
            self.measured.append((point, cost))

    # -- helpers --------------------------------------------------------------------------

    def ranked(self) -> list[tuple[Point, float]]:
        """Successful trials, cheapest first."""
        return sorted(((p, c) for p, c in self.measured if c is not None),
                      key=lambda pc: pc[1])

    def _fresh(self, point: Point | None, batch: set[Point]) -> bool:
        return (point is not None and point not in self.seen and point not in batch
                and self.space.valid(point))

    def _random_points(self, n: int, batch: set[Point], tries: int = 2000) -> list[Point]:
        out: list[Point] = []
        for _ in range(tries):
            if len(out) == n:
                break
            point = tuple(self.rng.choice(k.choices) for k in self.space.knobs)
            if self._fresh(point, batch):
                batch.add(point)
                out.append(point)
        return out

    def mutate(self, point: Point, rate: float | None = None) -> Point:
        """Each knob moves with probability `rate` (default: one knob on average) to a
        neighbouring choice, or now and then to any choice."""
        knobs = self.space.knobs
        rate = rate if rate is not None else 1 / len(knobs)
        out = list(point)
        changed = False
        while not changed:
            for i, knob in enumerate(knobs):
                if len(knob.choices) < 2 or self.rng.random() >= rate:
                    continue
                index = knob.choices.index(out[i])
                if self.rng.random() < 0.75:
                    index = min(max(index + self.rng.choice((-1, 1)), 0), len(knob.choices) - 1)
                else:
                    index = self.rng.randrange(len(knob.choices))
                changed |= knob.choices[index] != out[i]
                out[i] = knob.choices[index]
            if not any(len(k.choices) > 1 for k in knobs):
                break
        return tuple(out)


class RandomSearch(Strategy):
    name = "random"

    def propose(self, n: int) -> list[Point]:
        return self._random_points(n, set(), tries=max(2000, 50 * n))


class GridSearch(Strategy):
    name = "grid"

    def __init__(self, space: SearchSpace, seed: int = 0):
        super().__init__(space, seed)
        if space.size > GRID_LIMIT:
            raise TesseraError(f"grid search: the space has {space.size} points before "
                             f"constraints (more than {GRID_LIMIT}); restrict it or use "
                             f"another strategy")
        self._points = space.points()

    def propose(self, n: int) -> list[Point]:
        out: list[Point] = []
        for point in self._points:
            if point not in self.seen:
                out.append(point)
                if len(out) == n:
                    break
        return out


class EvolutionarySearch(Strategy):
    name = "evolutionary"

    def __init__(self, space: SearchSpace, seed: int = 0, population: int = 16,
                 elites: int = 4, tournament: int = 3, crossover: float = 0.7):
        super().__init__(space, seed)
        self.population, self.elites = population, elites
        self.tournament, self.crossover = tournament, crossover

    def propose(self, n: int) -> list[Point]:
        ranked = self.ranked()
        batch: set[Point] = set()
        if len(ranked) < self.population // 2:
            return self._random_points(n, batch)
        parents = [p for p, _ in ranked[:self.population]]
        out: list[Point] = []
        for _ in range(50 * n):
            if len(out) == n:
                break
            mother = self._select(parents)
            child = mother
            if self.rng.random() < self.crossover:
                father = self._select(parents)
                child = tuple(a if self.rng.random() < 0.5 else b
                              for a, b in zip(mother, father))
            if child == mother or self.rng.random() < 0.5:
                child = self.mutate(child)
            if self._fresh(child, batch):
                batch.add(child)
                out.append(child)
        if len(out) < n:  # the neighbourhood is used up: explore
            out += self._random_points(n - len(out), batch)
        return out

    def _select(self, parents: list[Point]) -> Point:
        # The list is ranked, so the lowest index among the drawn is the fittest; the elites
        # are drawn from as often as the rest and win every tournament they enter.
        drawn = [self.rng.randrange(len(parents)) for _ in range(self.tournament)]
        if self.rng.random() < self.elites / max(len(parents), 1):
            drawn.append(self.rng.randrange(min(self.elites, len(parents))))
        return parents[min(drawn)]


class ModelGuidedSearch(Strategy):
    name = "model"

    def __init__(self, space: SearchSpace, seed: int = 0, candidates: int = 2000,
                 explore: float = 0.125, warmup: int = 8):
        super().__init__(space, seed)
        self.candidates, self.explore, self.warmup = candidates, explore, warmup

    def propose(self, n: int) -> list[Point]:
        ranked = self.ranked()
        batch: set[Point] = set()
        if len(ranked) < self.warmup:
            return self._random_points(n, batch)
        model = self._train()
        pool = self._random_points(self.candidates // 2, batch)
        best = [p for p, _ in ranked[:8]]
        for _ in range(self.candidates // 2):
            child = self.mutate(self.rng.choice(best))
            if self._fresh(child, batch):
                batch.add(child)
                pool.append(child)
        if not pool:
            return []
        predicted = model.predict(features(self.space, pool))
        explore = min(n - 1, math.floor(n * self.explore)) if n > 1 else 0
        chosen = [pool[i] for i in np.argsort(predicted, kind="stable")[:n - explore]]
        taken = set(chosen)
        rest = [p for p in pool if p not in taken]
        chosen += self.rng.sample(rest, min(explore, len(rest)))
        return chosen

    def _train(self) -> BoostedTrees:
        ok = [(p, c) for p, c in self.measured if c is not None]
        worst = max(c for _, c in ok)
        # A failed candidate teaches the model too: as twice the worst cost seen.
        data = ok + [(p, 2 * worst) for p, c in self.measured if c is None]
        x = features(self.space, [p for p, _ in data])
        y = np.log(np.asarray([c for _, c in data], dtype=np.float64))
        return BoostedTrees().fit(x, y)


STRATEGIES: dict[str, type[Strategy]] = {
    s.name: s for s in (RandomSearch, GridSearch, EvolutionarySearch, ModelGuidedSearch)}


def make_strategy(name: str, space: SearchSpace, seed: int = 0) -> Strategy:
    if name not in STRATEGIES:
        raise TesseraError(f"unknown strategy '{name}' (strategies: {', '.join(STRATEGIES)})")
    return STRATEGIES[name](space, seed)
