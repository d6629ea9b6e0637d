"""Tuning for the CUDA target: GPU schedules measured on the GPU, in seconds.

The search space (`cuda_space`) of a contraction (matmul, batched or transposed generic,
convolution as an implicit GEMM; `gpu_gemm.as_contraction` gives its M, N, K) is its
`GpuSchedule`, declared like the C target's spaces (`compiler/tuning/space.py`):

    block_m, block_n   the tile of C a thread block computes: 16, 32, 64, 128
    thread_m, thread_n the register tile of C a thread computes: 1, 2, 4, 8
    k_tile             how far K advances per step: 4, 8, 16, 32
    stage              stage A's and B's tiles in shared memory (True, False)
  constraints: the schedule validates (at most 1024 threads a block, 48 KiB of static shared
  memory, 256 accumulators a thread); at least 64 threads a block; a block tile no larger
  than the next power of two at least M (resp. N), and a K step none larger than K's (a block
  mostly outside C is waste; the smallest choice is always allowed); without staging the
  K step is unused, so only its first choice is kept.
  features for the model strategy: threads a block, accumulators a thread, shared bytes a
  block, blocks in the grid.

Every other op (pointwise, block reductions) has one knob, `threads` (64 .. 1024), the block
size of its kernel. `space.build` makes `Schedule(gpu=GpuSchedule(...))`: the tuning database
stores a GPU schedule in `Schedule.gpu`.

`CudaMeasurer` (unit "s") measures a batch of candidates of one workload: each is lowered
with `linalg-to-gpu{<schedule.gpu.option_text()>}` and the rest of `lower-to-cuda`, emitted
and built with nvcc (`build.build_gpu_library`, a pool of threads: nvcc runs as a process);
a TesseraError on the way is a `compile-error`. Then, one candidate at a time, a fresh Python
process (`measure_worker.py`: NumPy, ctypes and CuPy only) copies the inputs to the device
once, calls the launcher for its result, once more to warm up, then times `repeat` samples
with CUDA events; the median is the cost. A non-zero exit is a `crash`, running past
`timeout_s` a `timeout`, and outputs that disagree with the reference (the kernel's naive
loop nest on the C target, computed once per workload, as `targets/c/tuning.py` does) are
`wrong`. Without a GPU (CuPy and a CUDA device) the constructor raises a TesseraError.

The target key names what the cost depends on: `cuda; <GPU name>; <nvcc release line>`.
`tuned_gpu_schedule` answers `linalg-to-gpu`'s lookup: the best GPU schedule a database
holds for a workload on this GPU. `gpu_target_key()` is this GPU's key, or None without a GPU
(computed once; tests replace it to look schedules up without a GPU).
"""

from __future__ import annotations

import concurrent.futures as futures
import functools
import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.gpu_schedule import (
    MAX_ACCUMULATORS,
    MAX_SHARED_BYTES,
    MAX_THREADS,
    VECTOR_WIDTHS,
    GpuSchedule,
    default_gemm_schedule,
)
from tessera.compiler.schedule import Schedule, ScheduleError
from tessera.compiler.tuning.measure import Outcome, PooledMeasurer
from tessera.compiler.tuning.space import Resources, SearchSpace
from tessera.lowering.workloads import KERNEL, Workload
from tessera.targets.c.tuning import Run, run_worker_process
from tessera.targets.cuda.runner import GPU_ERROR_STRING

WORKER = Path(__file__).with_name("measure_worker.py")
REFERENCE_TIMEOUT_S = 600.0

BLOCK_TILES = (16, 32, 64, 128)
THREAD_TILES = (1, 2, 4, 8)
K_TILES = (4, 8, 16, 32)
THREAD_COUNTS = (64, 128, 256, 512, 1024)
MIN_THREADS = 64  # fewer threads a block leave too few warps to hide latency

# Appended to every source the measurer builds, so that a launcher's error code has its
# message in the worker (as runner.call_gpu does).
ERROR_STRING = GPU_ERROR_STRING


# -- the search space --------------------------------------------------------------------


@dataclass(frozen=True)
class GemmShape:
    """What the space of a contraction depends on: C[batch, M, N] += A[.., M, K] · B[.., K, N]."""

    batch: int
    m: int
    n: int
    k: int
    element_bytes: tuple[int, int]


@functools.lru_cache(maxsize=256)
def gemm_shape(kernel: str) -> GemmShape | None:
    """The contraction shape of a workload's kernel (MLIR text), or None when its op is not
    a contraction `linalg-to-gpu` tiles."""
    from tessera.compiler.frontend.mlir_reader import parse_mlir
    from tessera.compiler.registry import make_context
    from tessera.lowering.gpu_gemm import as_contraction

    module = parse_mlir(make_context(), kernel, "<kernel>")
    for op in module.walk():
        if op.name.startswith("linalg."):
            g = as_contraction(op)
            if g is None:
                return None
            return GemmShape(g.batch, g.m, g.n, g.k, tuple(g.element_bytes))
    return None


def next_power_of_two(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def cuda_space(workload: Workload) -> SearchSpace:
    """The GPU schedules worth measuring for `workload` (see the module docstring)."""
    shape = gemm_shape(workload.kernel)
    if shape is None:
        return _threads_space(workload)
    space = SearchSpace(workload.nest, "gpu-gemm")
    space.knob("block_m", BLOCK_TILES, f"rows of C a block computes (M = {shape.m})")
    space.knob("block_n", BLOCK_TILES, f"columns of C a block computes (N = {shape.n})")
    space.knob("thread_m", THREAD_TILES, "rows of C a thread computes")
    space.knob("thread_n", THREAD_TILES, "columns of C a thread computes")
    space.knob("k_tile", K_TILES, f"K per step (K = {shape.k})")
    space.knob("stage", (True, False), "stage the operand tiles in shared memory")
    space.knob("vector", VECTOR_WIDTHS, "elements per global load when staging (float2/4)")

    def schedule(x) -> GpuSchedule:
        return GpuSchedule(block=(x["block_m"], x["block_n"]),
                           thread=(x["thread_m"], x["thread_n"]),
                           k_tile=x["k_tile"], stage=x["stage"], vector=x["vector"])

    def threads(x) -> int:
        return (x["block_m"] // x["thread_m"]) * (x["block_n"] // x["thread_n"])

    def accumulators(x) -> int:
        return x["thread_m"] * x["thread_n"]

    def shared(x) -> int:
        return schedule(x).shared_bytes(shape.element_bytes)

    def blocks(x) -> int:
        return (math.ceil(shape.m / x["block_m"]) * math.ceil(shape.n / x["block_n"])
                * shape.batch)

    def validates(x) -> bool:
        try:
            schedule(x).validate(element_bytes=shape.element_bytes)
        except ScheduleError:
            return False
        return True

    cap_m = max(BLOCK_TILES[0], next_power_of_two(shape.m))
    cap_n = max(BLOCK_TILES[0], next_power_of_two(shape.n))
    cap_k = max(K_TILES[0], next_power_of_two(shape.k))
    space.feature("threads", threads)
    space.feature("accumulators", accumulators)
    space.feature("shared-bytes", shared)
    space.feature("blocks", blocks)
    space.constrain("max-threads", lambda x: threads(x) <= MAX_THREADS,
                    f"at most {MAX_THREADS} threads a block")
    space.constrain("min-threads", lambda x: threads(x) >= MIN_THREADS,
                    f"at least {MIN_THREADS} threads a block")
    space.constrain("shared-memory", lambda x: shared(x) <= MAX_SHARED_BYTES,
                    f"at most {MAX_SHARED_BYTES // 1024} KiB of static shared memory")
    space.constrain("accumulators", lambda x: accumulators(x) <= MAX_ACCUMULATORS,
                    f"at most {MAX_ACCUMULATORS} accumulators a thread")
    space.constrain("block-m-fits", lambda x: x["block_m"] <= cap_m,
                    f"a block tile no taller than {cap_m} (M = {shape.m})")
    space.constrain("block-n-fits", lambda x: x["block_n"] <= cap_n,
                    f"a block tile no wider than {cap_n} (N = {shape.n})")
    space.constrain("k-tile-fits", lambda x: x["k_tile"] <= cap_k,
                    f"a K step no longer than {cap_k} (K = {shape.k})")
    # Wide loads apply to a staged f32 tile that divides the problem (see linalg-to-gpu);
    # elsewhere the knob would change nothing, so only its first choice is kept.
    space.constrain("vector-applies", lambda x: x["vector"] == 1 or (
        x["stage"] and shape.element_bytes == (4, 4) and shape.k % x["k_tile"] == 0
        and x["k_tile"] % x["vector"] == 0 and x["block_n"] % x["vector"] == 0
        and (shape.m % x["block_m"] == 0 or shape.n % x["block_n"] == 0)),
        "wide loads only where a staged f32 tile divides the problem")
    space.constrain("unstaged-k-tile", lambda x: x["stage"] or x["k_tile"] == K_TILES[0],
                    "without staging the K step is unused: its first choice only")
    space.constrain("validates", validates, "GpuSchedule.validate accepts it")
    space.build = lambda x: Schedule(gpu=schedule(x))
    return space


def _threads_space(workload: Workload) -> SearchSpace:
    space = SearchSpace(workload.nest, "gpu-threads")
    space.knob("threads", THREAD_COUNTS, "threads a block of the pointwise or reduction kernel")
    space.build = lambda x: Schedule(gpu=GpuSchedule(threads=x["threads"]))
    return space


# -- the target key ------------------------------------------------------------------------


def target_key() -> str:
    """`cuda; <GPU name>; <nvcc release line>`; a TesseraError without a GPU or nvcc."""
    from tessera.targets.c.build import compiler_version
    from tessera.targets.cuda.build import NVCC, nvcc_command
    from tessera.targets.cuda.runner import gpu_arch

    gpu_arch()  # a TesseraError `cuda: no GPU available (...)` without one
    import cupy

    name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"]
    name = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
    version = compiler_version(tuple(nvcc_command()), NVCC).splitlines()
    release = next((line for line in version if "release" in line), version[-1] if version
                   else "nvcc")
    return f"cuda; {name.strip()}; {release.strip()}"


@functools.lru_cache(maxsize=1)
def gpu_target_key() -> str | None:
    """This GPU's target key, or None when there is no GPU (or no nvcc) to compute it."""
    try:
        return target_key()
    except TesseraError:
        return None


# -- lowering and building one candidate ---------------------------------------------------


def kernel_pipeline(gpu: GpuSchedule) -> str:
    """The rest of `lower-to-cuda` (a workload's kernel is already at the buffers level)
    with `gpu` as the options of `linalg-to-gpu`, and no tuning-database lookup."""
    from tessera.targets.cuda.backend import cuda_pipeline

    spec = cuda_pipeline(f'{gpu.option_text()} tuning_db="none"')
    return spec.partition("bufferize,")[2]


def lower_kernel(kernel: str, gpu: GpuSchedule):
    """A workload's kernel lowered under `gpu`: its `.cu` source and @kernel's signature."""
    from tessera.compiler.frontend.mlir_reader import parse_mlir
    from tessera.compiler.pipelines import run_pipeline
    from tessera.compiler.registry import make_context
    from tessera.targets.cuda.emitter import cuda_signatures, emit_cuda

    ctx = make_context()
    module = parse_mlir(ctx, kernel, "<kernel>")
    run_pipeline(kernel_pipeline(gpu), ctx, module)
    return emit_cuda(module), cuda_signatures(module)[KERNEL]


@dataclass(frozen=True)
class Lowered:
    source: str = ""
    symbol: str = ""
    params: tuple = ()  # ({name, shape, dtype, out}, ...)
    error: str = ""


def lower_candidate(kernel: str, schedule: Schedule) -> Lowered:
    """Lower and emit one candidate; errors come back as text, never raised."""
    from tessera.targets.c.runner import NUMPY_DTYPES

    try:
        gpu = schedule.gpu if schedule.gpu is not None else GpuSchedule()
        source, signature = lower_kernel(kernel, gpu)
        params = tuple({"name": p.name, "shape": list(p.shape or ()),
                        "dtype": NUMPY_DTYPES[p.element_type].name, "out": p.is_out}
                       for p in signature.params)
        return Lowered(source + ERROR_STRING, signature.c_name, params)
    except TesseraError as e:
        return Lowered(error=str(e).strip())
    except Exception as e:  # an internal error of the compiler fails this candidate only
        return Lowered(error=f"internal error: {type(e).__name__}: {e}")


def build_candidate(lowered: Lowered, arch: str) -> str:
    """The library of a lowered candidate (nvcc); a TesseraError when it does not compile."""
    from tessera.targets.cuda.build import build_gpu_library

    return str(build_gpu_library(lowered.source, arch))


# -- running one candidate -----------------------------------------------------------------


def run_worker(library: str, lowered: Lowered, inputs: str, directory: str, *, repeat: int,
               min_sample_s: float, timeout_s: float) -> Run:
    """Run a built candidate in a fresh process (measure_worker.py); its outputs come back
    for checking."""
    return run_worker_process(
        WORKER, {"library": library, "symbol": lowered.symbol, "params": list(lowered.params),
                 "inputs": inputs, "repeat": repeat, "min_sample_s": min_sample_s},
        directory, timeout_s)


# -- the measurer ----------------------------------------------------------------------------


@dataclass
class _Prepared:
    directory: tempfile.TemporaryDirectory
    inputs: str  # the inputs in parameter order (arr_0, arr_1, ...)
    reference: list


class CudaMeasurer(PooledMeasurer):
    """Measures candidates on this machine's GPU (see the module docstring)."""

    unit = "s"

    def __init__(self, *, repeat: int = 10, min_sample_s: float = 0.005,
                 timeout_s: float = 30.0, jobs: int | None = None, seed: int = 0,
                 reference_timeout_s: float = REFERENCE_TIMEOUT_S):
        from tessera.targets.cuda.build import nvcc_available
        from tessera.targets.cuda.runner import gpu_arch

        try:
            self.arch = gpu_arch()
        except TesseraError as e:
            why = e.message.removeprefix("cuda: no GPU available")
            why = why.strip().removeprefix("(").removesuffix(")") or e.message
            raise TesseraError(
                f"cuda: tuning needs a GPU (none available: {why}); tune for --target c or "
                "npu, or on a machine with a CUDA GPU and CuPy (pip install -e '.[gpu]')"
            ) from None
        if not nvcc_available():
            raise TesseraError("cuda: tuning needs nvcc (not found; install the CUDA toolkit "
                               "or set TESSERA_NVCC)")
        self.repeat, self.min_sample_s, self.timeout_s = repeat, min_sample_s, timeout_s
        self.reference_timeout_s, self.seed = reference_timeout_s, seed
        self.jobs = jobs or max(1, len(os.sched_getaffinity(0)))
        self.target = target_key()
        self._pool: futures.ThreadPoolExecutor | None = None
        self._prepared: dict[str, _Prepared] = {}

    def resources(self, workload: Workload) -> Resources:
        return Resources()  # unused: the space is the target's own

    def space(self, workload: Workload) -> SearchSpace:
        return cuda_space(workload)

    def default_schedule(self, workload: Workload) -> Schedule:
        shape = gemm_shape(workload.kernel)
        if shape is None:
            return Schedule(gpu=GpuSchedule())
        return Schedule(gpu=default_gemm_schedule(shape.m, shape.n))

    def measure(self, workload: Workload, schedules: Sequence[Schedule]) -> Iterator[Outcome]:
        prepared = self._prepare(workload)
        lowered = [lower_candidate(workload.kernel, s) for s in schedules]
        if self._pool is None:
            self._pool = futures.ThreadPoolExecutor(self.jobs)
        builds = [None if c.error else self._pool.submit(build_candidate, c, self.arch)
                  for c in lowered]
        for candidate, build in zip(lowered, builds):
            if build is None:
                yield Outcome("compile-error", detail=candidate.error)
                continue
            try:
                library = build.result()
            except TesseraError as e:
                yield Outcome("compile-error", detail=str(e).strip())
                continue
            result = run_worker(library, candidate, prepared.inputs, prepared.directory.name,
                                repeat=self.repeat, min_sample_s=self.min_sample_s,
                                timeout_s=self.timeout_s)
            yield checked(result, prepared.reference)

    def _prepare(self, workload: Workload) -> _Prepared:
        """Seeded inputs on disk and the reference outputs (the naive loops on the C
        target), once per workload."""
        if workload.key in self._prepared:
            return self._prepared[workload.key]
        prepared = prepare_reference(workload, self.seed, self.reference_timeout_s)
        self._prepared[workload.key] = prepared
        return prepared


def prepare_reference(workload: Workload, seed: int,
                      timeout_s: float = REFERENCE_TIMEOUT_S) -> _Prepared:
    from tessera.compiler.agreement import random_inputs
    from tessera.targets.c.tuning import build, run

    built = build(workload.kernel, None)
    if built.error:
        raise TesseraError(f"tuning {workload.key}: the reference does not build: "
                           f"{built.error}")
    ins = [p for p in built.params if not p["out"]]
    arrays = random_inputs([(tuple(p["shape"]), p["dtype"]) for p in ins], seed)
    directory = tempfile.TemporaryDirectory(prefix="tessera-cuda-tune-")
    named = str(Path(directory.name) / "inputs-c.npz")
    np.savez(named, **{p["name"]: a for p, a in zip(ins, arrays)})
    positional = str(Path(directory.name) / "inputs.npz")
    np.savez(positional, *arrays)
    done = run(built, named, directory.name, threads=1, repeat=0, min_sample_s=0.0,
               timeout_s=timeout_s)
    if done.status != "ok":
        directory.cleanup()
        raise TesseraError(f"tuning {workload.key}: the reference run failed: "
                           f"{done.status} {done.detail}")
    return _Prepared(directory, positional, done.outputs)


def checked(result: Run, reference: Sequence[np.ndarray]) -> Outcome:
    from tessera.compiler.tuning.measure import check_result

    if result.status == "ok":
        wrong = check_result(result.outputs or [], reference)
        if wrong:
            return Outcome("wrong", detail=wrong)
    return Outcome(result.status, result.cost, result.detail)


# -- applying what tuning found ------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _database(path: str):
    from tessera.compiler.tuning.database import TuningDatabase

    return TuningDatabase(path)


def tuned_gpu_schedule(workload_key: str, path: Path,
                       target: str | None = None) -> GpuSchedule | None:
    """The fastest GPU schedule `path` holds for `workload_key` on this GPU (`target`: a
    target key, default `gpu_target_key()`) and tool version; None when it holds none or
    there is no GPU to look one up for."""
    from tessera.compiler.tuning.tuner import tool_version

    path = Path(path)
    if not path.exists():
        raise TesseraError(f"tuning database {path} does not exist")
    target = target or gpu_target_key()
    if target is None:
        return None
    best = _database(str(path.resolve())).best(workload_key, target, tool_version())
    return best[0].schedule.gpu if best else None
