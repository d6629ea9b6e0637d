"""The tuner: a strategy proposes, a measurer measures, the database remembers.

`Tuner.tune` searches one workload: it measures the default schedule first (the baseline),
then asks the strategy for batches of points until the trial count or the time budget is
reached or the space is exhausted. Every outcome is recorded in the database the moment it
is known. A schedule the database already holds for this workload, target and tool version
is not measured again: its recorded outcome is told to the strategy instead, so a run
interrupted at any point (Ctrl-C, SIGKILL) resumes where it stopped, and running it again
to the same trial count measures nothing.

`Tuner.tune_program` tunes every distinct workload of a module once. It measures each
workload's default schedule, estimates its share of the program's time (default cost ×
occurrences) and divides the trials by those shares (largest remainder), most expensive
workload first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning.database import Trial, TuningDatabase
from tessera.compiler.tuning.measure import Measurer, Outcome
from tessera.compiler.tuning.space import SearchSpace, space_for
from tessera.compiler.tuning.strategies import make_strategy

if TYPE_CHECKING:
    from tessera.lowering.workloads import Workload

DEFAULT_DETAIL = "default schedule"


def tool_version() -> str:
    import tessera

    return tessera.__version__


@dataclass(frozen=True)
class Progress:
    workload: Workload
    index: int  # which workload of the run (0-based) ...
    workloads: int  # ... of how many
    done: int
    total: int
    best_cost: float | None
    default_cost: float | None
    elapsed_s: float

    @property
    def eta_s(self) -> float | None:
        if not self.done or self.done >= self.total:
            return None
        return self.elapsed_s / self.done * (self.total - self.done)


@dataclass
class WorkloadResult:
    workload: Workload
    default: Schedule
    default_cost: float | None
    trials: list[tuple[Schedule, Outcome]] = field(default_factory=list)
    measured: int = 0  # trials measured in this run (the rest came from the database)
    share: float = 1.0  # estimated share of the program's time

    @property
    def best(self) -> tuple[Schedule, float] | None:
        ok = [(s, o.cost) for s, o in self.trials if o.status == "ok" and o.cost is not None]
        if self.default_cost is not None:
            ok.append((self.default, self.default_cost))
        return min(ok, key=lambda sc: sc[1]) if ok else None

    @property
    def speedup(self) -> float | None:
        best = self.best
        if best is None or self.default_cost is None or not best[1]:
            return None
        return self.default_cost / best[1]

    def best_curve(self) -> list[float | None]:
        """The best cost after each trial, in trial order (None before the first success)."""
        curve, best = [], None
        for _, outcome in self.trials:
            if outcome.status == "ok" and outcome.cost is not None:
                best = outcome.cost if best is None else min(best, outcome.cost)
            curve.append(best)
        return curve


class Tuner:
    def __init__(self, measurer: Measurer, db: TuningDatabase, *, strategy: str = "model",
                 seed: int = 0, batch: int = 8, version: str | None = None,
                 progress: Callable[[Progress], None] | None = None):
        self.measurer, self.db, self.strategy, self.seed = measurer, db, strategy, seed
        self.batch = batch
        self.version = version or tool_version()
        self.progress = progress

    # -- one workload -----------------------------------------------------------------------

    def tune(self, workload: Workload, trials: int, *, time_budget: float | None = None,
             space: SearchSpace | None = None, index: int = 0, count: int = 1,
             default: tuple[Schedule, float | None] | None = None) -> WorkloadResult:
        started = time.perf_counter()
        if space is None:  # the target's own space, else the one derived from the loop nest
            own = getattr(self.measurer, "space", None)
            space = own(workload) if own else space_for(workload.nest,
                                                        self.measurer.resources(workload))
        strategy = make_strategy(self.strategy, space, self.seed)
        known = self._known(workload)
        schedule, default_cost = default or self._default(workload, known)
        result = WorkloadResult(workload, schedule, default_cost)

        def report() -> None:
            if self.progress:
                best = result.best
                self.progress(Progress(workload, index, count, len(result.trials), trials,
                                       best[1] if best else None, default_cost,
                                       time.perf_counter() - started))

        report()
        while len(result.trials) < trials:
            if time_budget is not None and time.perf_counter() - started >= time_budget:
                break
            points = strategy.propose(min(self.batch, trials - len(result.trials)))
            if not points:
                break  # the space is exhausted
            schedules = [space.schedule(p) for p in points]
            fresh: dict[str, Schedule] = {}  # measured now; a schedule twice in a batch once
            for s in schedules:
                if s.dumps() not in known:
                    fresh.setdefault(s.dumps(), s)
            for (key, s), outcome in zip(fresh.items(), self.measurer.measure(
                    workload, list(fresh.values()))):
                self._record(workload, s, outcome)
                known[key] = outcome
                result.measured += 1
            outcomes = [known[s.dumps()] for s in schedules]
            result.trials.extend(zip(schedules, outcomes))
            strategy.tell(points, [o.cost if o.status == "ok" else None for o in outcomes])
            report()
        return result

    # -- a whole program --------------------------------------------------------------------

    def tune_program(self, workloads: list[Workload], trials: int, *,
                     time_budget: float | None = None) -> list[WorkloadResult]:
        """Tune each workload once; `trials` and `time_budget` are for the whole program."""
        defaults = [self._default(w, self._known(w)) for w in workloads]
        weights = [w.count * (cost if cost is not None else 0.0)
                   for w, (_, cost) in zip(workloads, defaults)]
        total = sum(weights) or 1.0
        shares = [weight / total for weight in weights]
        allotted = allot(trials, shares)
        results = []
        order = sorted(range(len(workloads)), key=lambda i: -shares[i])
        for rank, i in enumerate(order):
            budget = None if time_budget is None else time_budget * shares[i]
            result = self.tune(workloads[i], allotted[i], time_budget=budget, index=rank,
                               count=len(workloads), default=defaults[i])
            result.share = shares[i]
            results.append(result)
        return results

    # -- the database -----------------------------------------------------------------------

    def _known(self, workload: Workload) -> dict[str, Outcome]:
        """The outcome of every schedule the database holds for the workload (the latest,
        should one have been measured twice)."""
        return {t.schedule.dumps(): Outcome(t.status, t.cost, t.detail) for t in
                self.db.trials(workload.key, self.measurer.target, self.version)}

    def _record(self, workload: Workload, schedule: Schedule, outcome: Outcome,
                detail: str = "") -> None:
        self.db.record(Trial(workload.key, self.measurer.target, self.version, schedule,
                             outcome.cost if outcome.status == "ok" else None, outcome.status,
                             self.seed, detail="; ".join(x for x in (detail, outcome.detail) if x)))

    def _default(self, workload: Workload,
                 known: dict[str, Outcome]) -> tuple[Schedule, float | None]:
        schedule = self.measurer.default_schedule(workload)
        outcome = known.get(schedule.dumps())
        if outcome is not None:
            return schedule, outcome.cost
        outcome = next(iter(self.measurer.measure(workload, [schedule])))
        self._record(workload, schedule, outcome, DEFAULT_DETAIL)
        return schedule, outcome.cost if outcome.status == "ok" else None


def allot(trials: int, shares: list[float]) -> list[int]:
    """`trials` divided in proportion to `shares`, by largest remainder."""
    exact = [trials * s for s in shares]
    out = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(shares)), key=lambda i: -(exact[i] - out[i]))
    for i in by_remainder[:trials - sum(out)]:
        out[i] += 1
    return out
