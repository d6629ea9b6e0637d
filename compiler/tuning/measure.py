"""Measurement: what a tuner asks of a target, and how results come back.

A `Measurer` measures a batch of candidate schedules of one workload and returns one
`Outcome` each. It owns everything target-specific: how a candidate is built, where and how
it runs, what its cost unit is (seconds on the C target, simulated cycles on a simulated
one), and the reference a result is checked against. A failing candidate is an outcome with
a failure status, never an exception: the search goes on.

`check_result` is the agreement test (`compiler/agreement.py`, as `tessera run` judges a
result) every measurer applies to a candidate's outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from tessera.compiler.agreement import compare
from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning.space import Resources

if TYPE_CHECKING:
    from tessera.lowering.workloads import Workload


@dataclass(frozen=True)
class Outcome:
    status: str  # one of database.STATUSES
    cost: float | None = None
    detail: str = ""


class Measurer(Protocol):
    target: str  # the database's target key: backend, machine, flags, threads
    unit: str  # the cost's unit ("s", "cycles")

    def resources(self, workload: Workload) -> Resources:
        """The budgets the search space of `workload` is constrained by."""
        ...

    # Optional: `space(workload) -> SearchSpace`, a target's own search space (the NPU's
    # dataflows); without it the tuner derives one from the loop nest and `resources`.

    def default_schedule(self, workload: Workload) -> Schedule:
        """What the workload gets without tuning: the baseline speed-ups are against."""
        ...

    def measure(self, workload: Workload, schedules: Sequence[Schedule]) -> Iterator[Outcome]:
        """One outcome per schedule, in order, each as soon as it is known (so the tuner
        records it before the next is measured)."""
        ...

    def close(self) -> None:
        ...


def check_result(outputs: Sequence[np.ndarray], reference: Sequence[np.ndarray]) -> str:
    """'' when `outputs` agree with `reference`, else what is wrong."""
    if len(outputs) != len(reference):
        return f"{len(outputs)} results, expected {len(reference)}"
    for i, (got, want) in enumerate(zip(outputs, reference)):
        if got.shape != want.shape:
            return f"result {i} has shape {got.shape}, expected {want.shape}"
        agreement = compare(got, want)
        if not agreement.ok:
            return f"result {i} {agreement}"
    return ""


class PooledMeasurer:
    """What a measurer with a pool of builders (`_pool`) and per-workload temporary
    directories (`_prepared`: objects with a `directory`) does on `close` and in `with`."""

    _pool = None
    _prepared: dict

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        for prepared in self._prepared.values():
            prepared.directory.cleanup()
        self._prepared.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
