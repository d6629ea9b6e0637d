"""Measuring schedules on the C target: build in parallel, run each in a process of its own.

`CMeasurer` measures a batch of candidate schedules of one workload in two phases, as TVM's
builder and runner do:

1. *build*: each candidate's kernel module is scheduled, lowered, emitted and compiled by a
   pool of worker processes (one per core), into the content-addressed library cache. A
   `ScheduleError`, a compiler failure, or a worker that dies is a `compile-error`.
2. *run*: one candidate at a time (so candidates do not time each other's interference), a
   fresh Python process (`measure_worker.py`, NumPy and ctypes only) loads the library, runs
   it once for its result and then times it: the median of `repeat` samples after a
   warm-up. A signal or non-zero exit is a `crash`, running past `timeout_s` a `timeout`, and
   a result that disagrees with the reference (the naive loop nest of the same kernel, run
   the same way) is `wrong`.

The target key names what the cost depends on: the CPU model, the compiler and its flags,
and the thread count.
"""

from __future__ import annotations

import concurrent.futures as futures
import functools
import json
import multiprocessing
import os
import platform
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning.measure import Outcome, PooledMeasurer, check_result
from tessera.compiler.tuning.space import Resources
from tessera.lowering.workloads import KERNEL, Workload

WORKER = Path(__file__).with_name("measure_worker.py")
REFERENCE_TIMEOUT_S = 600.0


def target_key(threads: int) -> str:
    from tessera.targets.c.build import DEFAULT_FLAGS, compiler_command, compiler_version

    model = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    command = compiler_command()
    version = compiler_version(tuple(command)).splitlines()[0]
    return f"c; {model}; {version}; {' '.join(DEFAULT_FLAGS)}; threads={threads}"


def resources(element_bytes: int, threads: int) -> Resources:
    from tessera.targets.c.machine import host

    machine = host()
    widest = machine.lanes(element_bytes)
    lanes = tuple(w for w in (2, 4, 8, 16, 32) if w <= widest and w >= min(4, widest))
    return Resources(lanes=lanes or (1,), registers=machine.vector_registers,
                     l1_bytes=machine.l1_bytes, l2_bytes=machine.l2_bytes, cores=threads,
                     element_bytes=element_bytes)


# -- building (in pool workers) ------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    library: str = ""
    symbol: str = ""  # the C name of @kernel
    params: tuple = ()  # ({name, shape, dtype, out}, ...)
    error: str = ""


def schedule_pipeline(schedule: Schedule | None) -> str:
    """The kernel's pipeline: `schedule` applied to its one op (None: the naive loops)."""
    options = " ".join(["heuristic=false", schedule.option_text() if schedule else ""]).strip()
    return f"schedule{{{options}}},linalg-to-loops,lower-affine,canonicalize,cse"


def build(kernel: str, schedule_json: str | None) -> Built:
    """Lower and compile one candidate; errors come back as text, never raised."""
    try:
        from tessera.compiler.frontend.mlir_reader import parse_mlir
        from tessera.compiler.pipelines import run_pipeline
        from tessera.compiler.registry import make_context
        from tessera.targets.c.runner import NUMPY_DTYPES, build_module

        schedule = Schedule.from_json(schedule_json) if schedule_json is not None else None
        ctx = make_context()
        module = parse_mlir(ctx, kernel, "<kernel>")
        run_pipeline(schedule_pipeline(schedule), ctx, module)
        library, signatures, _ = build_module(module)
        params = tuple({"name": p.name, "shape": list(p.shape or ()),
                        "dtype": NUMPY_DTYPES[p.element_type].name, "out": p.is_out}
                       for p in signatures[KERNEL].params)
        return Built(str(library), signatures[KERNEL].c_name, params)
    except TesseraError as e:
        return Built(error=str(e).strip())
    except Exception as e:  # an internal error of the compiler fails this candidate only
        return Built(error=f"internal error: {type(e).__name__}: {e}")


# -- running (one process per candidate) ---------------------------------------------------


@dataclass
class Run:
    status: str
    cost: float | None = None
    detail: str = ""
    outputs: list[np.ndarray] = field(default_factory=list)


def run(built: Built, inputs: str, directory: str, *, threads: int, repeat: int,
        min_sample_s: float, timeout_s: float) -> Run:
    """Run a built candidate in a fresh process; its outputs come back for checking."""
    if built.error:
        return Run("compile-error", detail=built.error)
    return run_worker_process(
        WORKER, {"library": built.library, "symbol": built.symbol, "params": list(built.params),
                 "inputs": inputs, "repeat": repeat, "min_sample_s": min_sample_s},
        directory, timeout_s, env={**os.environ, "OMP_NUM_THREADS": str(threads)})


def run_worker_process(worker: Path, request: dict, directory: str, timeout_s: float,
                       env: dict | None = None) -> Run:
    """Run `python worker REQUEST.json` (the request plus where to write the outputs) with a
    time-out: a kill is a timeout, a signal or a non-zero exit a crash, else the median it
    printed and the outputs it wrote. A target's measurement worker follows this protocol."""
    handle, output = tempfile.mkstemp(suffix=".npz", dir=directory)
    os.close(handle)
    request_path = Path(output).with_suffix(".json")
    request_path.write_text(json.dumps({**request, "output": output}))
    try:
        done = subprocess.run([sys.executable, str(worker), str(request_path)], env=env,
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return Run("timeout", detail=f"ran past {timeout_s:g} s and was killed")
    finally:
        request_path.unlink(missing_ok=True)
    try:
        if done.returncode < 0:
            name = signal.Signals(-done.returncode).name
            return Run("crash", detail=f"killed by {name}")
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-1:] or [""]
            return Run("crash", detail=f"exit {done.returncode}: {tail[0]}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        with np.load(output) as data:
            outputs = [data[f"arr_{i}"] for i in range(len(data.files))]
        return Run("ok", report["median"], outputs=outputs)
    finally:
        Path(output).unlink(missing_ok=True)


def checked(result: Run, reference: Sequence[np.ndarray]) -> Outcome:
    """The outcome of a candidate's run: an `ok` run whose outputs disagree with
    `reference` is `wrong`."""
    if result.status == "ok":
        wrong = check_result(result.outputs, reference)
        if wrong:
            return Outcome("wrong", detail=wrong)
    return Outcome(result.status, result.cost, result.detail)


# -- the measurer ----------------------------------------------------------------------------


@dataclass
class _Prepared:
    directory: tempfile.TemporaryDirectory
    inputs: str
    reference: list[np.ndarray]


class CMeasurer(PooledMeasurer):
    """Measures candidates on this machine (see the module docstring)."""

    unit = "s"

    def __init__(self, *, threads: int = 1, repeat: int = 5, min_sample_s: float = 0.01,
                 timeout_s: float = 10.0, jobs: int | None = None, seed: int = 0):
        self.threads, self.repeat, self.min_sample_s = threads, repeat, min_sample_s
        self.timeout_s, self.seed = timeout_s, seed
        self.jobs = jobs or max(1, len(os.sched_getaffinity(0)))
        self.target = target_key(threads)
        self._pool: futures.ProcessPoolExecutor | None = None
        self._prepared: dict[str, _Prepared] = {}

    def resources(self, workload: Workload) -> Resources:
        return resources(workload.element_bytes, self.threads)

    def default_schedule(self, workload: Workload) -> Schedule:
        from tessera.targets.c.default_schedule import default_schedule
        from tessera.targets.c.machine import host

        machine = host()
        machine = type(machine)(**{**machine.__dict__, "cores": self.threads})
        return default_schedule(workload.nest, 0, workload.element_bytes, machine)

    def measure(self, workload: Workload, schedules: Sequence[Schedule]) -> Iterator[Outcome]:
        prepared = self._prepare(workload)
        builds = self._build(workload, [s.dumps() for s in schedules])
        for built in builds:
            result = self._run(built, prepared, self.repeat, self.timeout_s)
            yield checked(result, prepared.reference)

    # -- the two phases -------------------------------------------------------------------

    def _build(self, workload: Workload, schedules: list[str | None]) -> list[Built]:
        if self._pool is None:
            # fork: the workers inherit the loaded compiler, and a script or notebook that
            # tunes needs no `if __name__ == "__main__"` guard. The tuning process runs no
            # kernels itself, so it has no OpenMP threads to lose across the fork.
            self._pool = futures.ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context("fork"))
        jobs = [self._pool.submit(build, workload.kernel, s) for s in schedules]
        out = []
        for job in jobs:
            try:
                out.append(job.result())
            except futures.process.BrokenProcessPool:
                out.append(Built(error="the build process died"))
        if any(b.error == "the build process died" for b in out):
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        return out

    def _run(self, built: Built, prepared: _Prepared, repeat: int, timeout_s: float) -> Run:
        return run(built, prepared.inputs, prepared.directory.name, threads=self.threads,
                   repeat=repeat, min_sample_s=self.min_sample_s, timeout_s=timeout_s)

    def _prepare(self, workload: Workload) -> _Prepared:
        """Seeded inputs on disk and the reference outputs, once per workload."""
        if workload.key in self._prepared:
            return self._prepared[workload.key]
        from tessera.compiler.agreement import random_inputs

        built = build(workload.kernel, None)
        if built.error:
            raise TesseraError(f"tuning {workload.key}: the reference does not build: "
                               f"{built.error}")
        directory = tempfile.TemporaryDirectory(prefix="tessera-tune-")
        ins = [p for p in built.params if not p["out"]]
        arrays = random_inputs([(tuple(p["shape"]), p["dtype"]) for p in ins], self.seed)
        inputs = str(Path(directory.name) / "inputs.npz")
        np.savez(inputs, **{p["name"]: a for p, a in zip(ins, arrays)})
        reference = run(built, inputs, directory.name, threads=1, repeat=0,
                        min_sample_s=0.0, timeout_s=REFERENCE_TIMEOUT_S)
        if reference.status != "ok":
            directory.cleanup()
            raise TesseraError(f"tuning {workload.key}: the reference run failed: "
                               f"{reference.status} {reference.detail}")
        self._prepared[workload.key] = _Prepared(directory, inputs, reference.outputs)
        return self._prepared[workload.key]


# -- applying what tuning found ----------------------------------------------------------------


def runtime_threads() -> int:
    """The threads a kernel's parallel loops will run on: OMP_NUM_THREADS, else all cores."""
    configured = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return max(1, len(os.sched_getaffinity(0)))


@functools.lru_cache(maxsize=8)
def _database(path: str):
    from tessera.compiler.tuning.database import TuningDatabase

    return TuningDatabase(path)


def tuned_schedule(workload: str, path: Path) -> Schedule | None:
    """The best schedule `path` holds for `workload` on this machine and tool version:
    measured at the thread count kernels will run with, else at any thread count."""
    from tessera.compiler.tuning.tuner import tool_version

    if not path.exists():
        raise TesseraError(f"tuning database {path} does not exist")
    db = _database(str(path.resolve()))
    version = tool_version()
    exact = target_key(runtime_threads())
    machine = exact.rpartition("; threads=")[0]
    for target in [exact, *(t for t in db.targets(workload)
                            if t != exact and t.rpartition("; threads=")[0] == machine)]:
        best = db.best(workload, target, version)
        if best:
            return best[0].schedule
    return None
