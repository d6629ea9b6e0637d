"""The plumbing of `tuning_experiments.ipynb`: budgets, fresh tuning runs, machine peaks.

The notebook keeps the experiments and the plots; what is here is the part a reader does
not need to see to follow them: reading the budget, tuning one workload into a database of
its own, measuring a grid of schedules, and timing the machine's compute and memory peaks.

    TESSERA_NOTEBOOK_BUDGET=ci    tiny shapes and trial counts (the test suite, ~2 minutes)
    TESSERA_NOTEBOOK_BUDGET=full  the study (the default; ~10 minutes on 2 cores)

Everything runs on one thread, with fixed seeds. Run the whole notebook in place with

    TESSERA_NOTEBOOK_BUDGET=full jupyter execute --inplace --kernel_name=python3 \\
        notebooks/tuning_experiments.ipynb
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod
from pathlib import Path

import numpy as np

BUDGET_VARIABLE = "TESSERA_NOTEBOOK_BUDGET"


def repo_root(start: Path | None = None) -> Path:
    """The repository root: the first folder up from `start` (default: the working
    directory) that holds bench/cases.py, else the one the tessera package was loaded from."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "bench" / "cases.py").exists():
            return folder
    import tessera.compiler

    return Path(tessera.compiler.__file__).resolve().parents[1]


# -- budgets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Budget:
    name: str
    # Measurement: each sample lasts at least min_sample_s, the median of `repeat` counts.
    repeat: int
    min_sample_s: float
    timeout_s: float
    # 1. convergence: one matmul and one convolution, `trials` per strategy and seed.
    matmul: int  # M = K = N
    conv: dict  # bindings of bench.cases.CONV
    trials: int
    seeds: tuple[int, ...]
    grid_max_points: int  # grid search joins the curves when the space is this small
    # 2. landscape: the tile sizes of d0 and d2 tried (None: every size the space offers).
    landscape_tiles: tuple[int, ...] | None
    # 3. speed-up over the default across bench/cases.py.
    cases: tuple[str, ...]
    case_trials: int
    # 4. roofline: SGEMM size (OpenBLAS, one thread), copy size, the elementwise kernel.
    sgemm: int
    stream_mib: int
    elementwise: int  # elements of each operand of the elementwise add
    elementwise_trials: int
    batch: int = 8
    strategies: tuple[str, ...] = ("random", "evolutionary", "model")


BUDGETS = {
    "ci": Budget(
        name="ci", repeat=3, min_sample_s=0.002, timeout_s=20.0,
        matmul=128, conv={"N": 1, "C": 16, "K": 16, "H": 28, "W": 28},
        trials=16, seeds=(0,), grid_max_points=5_000,
        landscape_tiles=(8, 16, 32, 64, 128),
        cases=("matmul-256", "conv2d-64x56x56", "mlp-64", "lenet5-1"), case_trials=8,
        sgemm=512, stream_mib=64, elementwise=1 << 22, elementwise_trials=8,
    ),
    "full": Budget(
        name="full", repeat=3, min_sample_s=0.01, timeout_s=30.0,
        matmul=512, conv={"N": 1, "C": 64, "K": 64, "H": 56, "W": 56},
        trials=48, seeds=(0,), grid_max_points=5_000,
        landscape_tiles=None,
        cases=("matmul-256", "matmul-512", "matmul-1024", "matmul-128x768x3072",
               "conv2d-64x56x56", "mlp-64", "lenet5-1", "lenet5-64"),
        case_trials=32,
        sgemm=1024, stream_mib=256, elementwise=1 << 24, elementwise_trials=24,
    ),
}


def budget(name: str | None = None) -> Budget:
    """The budget named by `name`, else by $TESSERA_NOTEBOOK_BUDGET, else `full`."""
    name = (name or os.environ.get(BUDGET_VARIABLE) or "full").strip().lower()
    if name not in BUDGETS:
        raise ValueError(f"{BUDGET_VARIABLE}={name!r}: expected one of {', '.join(BUDGETS)}")
    return BUDGETS[name]


def measurer(b: Budget):
    """A one-thread C measurer for the budget (use it as a context manager)."""
    from tessera.targets.c.tuning import CMeasurer

    return CMeasurer(threads=1, repeat=b.repeat, min_sample_s=b.min_sample_s,
                     timeout_s=b.timeout_s, seed=0)


# -- workloads ------------------------------------------------------------------------------


def main_workload(source: str, entry: str, bindings: dict[str, int]):
    """The workload of a program that does the most work (the convolution of a padded
    convolution, not its padding copy)."""
    from tessera.compiler.tuning.api import program_workloads

    return max(program_workloads(source, entry, bindings), key=lambda w: w.iterations)


def workload_flops(w) -> int:
    """A multiply-add per iteration of an op with reductions (matmul, convolution), counted
    as two FLOPs; one FLOP per iteration of an elementwise op."""
    return (2 if w.nest.reductions else 1) * w.iterations


def workload_bytes(w) -> int:
    """The compulsory memory traffic: every operand read or written once."""
    shapes = re.findall(r"memref<((?:\d+x)+)[a-z]", w.key.split(" #")[0])
    return sum(prod(int(d) for d in s.rstrip("x").split("x")) for s in shapes) * w.element_bytes


def gflops(flops: float, cost: float | None) -> float:
    return flops / cost / 1e9 if cost else float("nan")


# -- tuning into fresh databases --------------------------------------------------------------


@dataclass
class Run:
    """One tuning run: a strategy and seed on one workload, in a database of its own."""

    strategy: str
    seed: int
    result: object  # WorkloadResult
    seconds: float
    values: dict[str, dict] = field(default_factory=dict)  # schedule.dumps() -> knob values

    def curve(self, flops: float) -> np.ndarray:
        """Best GFLOP/s after each trial (NaN before the first success)."""
        return np.array([gflops(flops, c) for c in self.result.best_curve()])

    def rates(self, flops: float) -> np.ndarray:
        """Each trial's own GFLOP/s (NaN for a failure), in trial order."""
        return np.array([gflops(flops, o.cost) if o.status == "ok" else float("nan")
                         for _, o in self.result.trials])

    def best_values(self) -> dict | None:
        """The knob values of the best trial of the search (not the default schedule)."""
        ok = [(o.cost, s) for s, o in self.result.trials if o.status == "ok" and o.cost]
        return self.values.get(min(ok, key=lambda cs: cs[0])[1].dumps()) if ok else None


def recording(space):
    """`space`, with the knob values of every schedule it builds kept in the returned dict
    (a trial holds a schedule; the landscape experiment needs its point)."""
    seen: dict[str, dict] = {}
    build = space.build

    def build_and_remember(values):
        schedule = build(values)
        seen[schedule.dumps()] = dict(values)
        return schedule

    space.build = build_and_remember
    return space, seen


def tune_fresh(m, workload, strategy: str, trials: int, seed: int, *, space=None,
               batch: int = 8) -> Run:
    """Tune `workload` with a fresh, throw-away tuning database: nothing is replayed from an
    earlier run, so runs are independent (compiled libraries are still cached)."""
    from tessera.compiler.tuning.database import TuningDatabase
    from tessera.compiler.tuning.space import space_for
    from tessera.compiler.tuning.tuner import Tuner

    space, seen = recording(space or space_for(workload.nest, m.resources(workload)))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tessera-notebook-") as folder:
        with TuningDatabase(Path(folder) / "tuning.db") as db:
            tuner = Tuner(m, db, strategy=strategy, seed=seed, batch=batch)
            result = tuner.tune(workload, trials, space=space)
    return Run(strategy, seed, result, time.perf_counter() - started, seen)


def measure_points(m, workload, space, points: Sequence[tuple]) -> list:
    """Measure the schedules of `points` directly, constraints or not (for the landscape's
    cells the space's constraints leave out)."""
    if not points:
        return []
    return list(m.measure(workload, [space.schedule(p) for p in points]))


def tune_case(case, b: Budget, seed: int = 0):
    """Tune every workload of a bench case with the model-guided search (`tessera.tune`, the
    public API), in a fresh database; the results, most expensive workload first."""
    import tessera

    with tempfile.TemporaryDirectory(prefix="tessera-notebook-") as folder:
        return tessera.tune(case.source, entry=case.entry, bindings=case.bindings,
                            strategy="model", trials=b.case_trials, seed=seed,
                            db=Path(folder) / "tuning.db", batch=b.batch, threads=1,
                            repeat=b.repeat, min_sample_s=b.min_sample_s,
                            timeout_s=b.timeout_s)


def program_costs(results) -> tuple[float, float]:
    """(default, tuned) time of one call of the program's tuned ops: each workload's cost
    times its occurrences, summed."""
    default = sum(r.workload.count * r.default_cost for r in results)
    tuned = sum(r.workload.count * r.best[1] for r in results)
    return default, tuned


# -- machine peaks ----------------------------------------------------------------------------

_PEAKS = r"""
import json, sys, time
import numpy as np
n, mib = int(sys.argv[1]), int(sys.argv[2])

def best(f, seconds=1.0, least=5):
    f()
    times, started = [], time.perf_counter()
    while len(times) < least or time.perf_counter() - started < seconds:
        t = time.perf_counter(); f(); times.append(time.perf_counter() - t)
    return min(times)

rng = np.random.default_rng(0)
a, b = rng.standard_normal((2, n, n), dtype=np.float32)
c = np.empty_like(a)
sgemm = 2 * n ** 3 / best(lambda: np.matmul(a, b, out=c))
count = (mib << 20) // 4
x, y = rng.standard_normal((2, count), dtype=np.float32)
z = np.empty_like(x)
copy = 2 * x.nbytes / best(lambda: np.copyto(z, x))       # read x, write z
add = 3 * x.nbytes / best(lambda: np.add(x, y, out=z))    # read x and y, write z
try:  # which kernels OpenBLAS picked for this CPU (it falls back on CPUs it does not know)
    from threadpoolctl import threadpool_info
    kernels = next((i.get("architecture") for i in threadpool_info()
                    if i.get("internal_api") == "openblas"), None) or "its own"
except ImportError:
    kernels = "unknown"
print(json.dumps({"sgemm_flops": sgemm, "copy_bytes": copy, "add_bytes": add,
                  "openblas": kernels}))
"""


def machine_peaks(b: Budget) -> dict[str, float]:
    """One-thread peaks, measured in a process of its own (so OpenBLAS starts with one
    thread): SGEMM FLOP/s (OpenBLAS through NumPy) and memory bandwidth in bytes/s (a copy and
    an add of arrays larger than the last-level cache, counting the bytes read and written;
    write-allocate traffic is not counted, as in STREAM), and which SGEMM kernels OpenBLAS
    used ("openblas")."""
    one = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", _PEAKS, str(b.sgemm), str(b.stream_mib)],
                          env={**os.environ, **one}, capture_output=True, text=True,
                          check=True, timeout=600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()
