"""GPU schedules: how a linalg op maps onto CUDA blocks, threads and shared memory.

A `GpuSchedule` is the GPU counterpart of `Schedule` (compiler/schedule.py): plain data that a
user writes as options of the `linalg-to-gpu` pass, that the default heuristic computes, and
that the auto-tuner searches (`targets/cuda/tuning.py`). It is JSON-serialisable and carried by
an op as the `tessera.gpu_schedule` attribute.

Fields, for a contraction (matmul, batched matmul, convolution as an implicit GEMM) seen as
C[M, N] += A[M, K] · B[K, N]:
- `block` (BM, BN): the tile of C one thread block computes;
- `thread` (TM, TN): the register tile each thread computes, so a block has
  (BM / TM) · (BN / TN) threads; thread (tx, ty) owns rows ty + i·(BM/TM) and columns
  tx + j·(BN/TN) of the block tile (strided, so a warp reads distinct shared-memory banks and
  writes consecutive columns of C);
- `k_tile` BK: how far the K loop advances per step;
- `stage`: stage the BM×BK tile of A and the BK×BN tile of B in shared memory, loaded by all
  threads together with consecutive threads on consecutive elements (coalesced), with a
  `gpu.barrier` after staging and after use; without staging every thread reads its operands
  from global memory itself;
- `vector`: elements each thread moves per global load while staging (1, 2 or 4: `float2`,
  `float4` loads), for an f32 operand whose staged tile runs along its contiguous dimension
  and divides the problem (no ragged edge), else 1;
- `threads`: the block size of the other kernels (pointwise and block reductions).

`validate` rejects a schedule the hardware cannot run (over 1024 threads a block, over 48 KiB of
static shared memory, a register tile over 256 accumulators) with a `ScheduleError`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


MAX_THREADS = 1024
# Static shared memory a block may declare (CUDA's limit without opting in to more).
MAX_SHARED_BYTES = 48 * 1024
MAX_ACCUMULATORS = 256
VECTOR_WIDTHS = (1, 2, 4)
# A row of A's shared tile is padded by this many elements, so that the transposing store
# (consecutive threads, consecutive k) falls into distinct banks.
A_TILE_PAD = 1


@dataclass(frozen=True)
class GpuSchedule:
    block: tuple[int, int] = (64, 64)
    thread: tuple[int, int] = (4, 4)
    k_tile: int = 16
    stage: bool = True
    threads: int = 256
    vector: int = 1

    @property
    def block_threads(self) -> tuple[int, int]:
        """(threads along N, threads along M) of a contraction block: its blockDim.x, .y."""
        return self.block[1] // self.thread[1], self.block[0] // self.thread[0]

    def shared_bytes(self, element_bytes: tuple[int, int] = (4, 4)) -> int:
        if not self.stage:
            return 0
        bm, bn = self.block
        return (self.k_tile * (bm + A_TILE_PAD) * element_bytes[0]
                + self.k_tile * bn * element_bytes[1])

    def validate(self, what: str = "linalg-to-gpu", element_bytes=(4, 4)) -> None:
        from tessera.compiler.schedule import ScheduleError

        def fail(message: str) -> None:
            raise ScheduleError(f"{what}: illegal GPU schedule {self.text()}: {message}")

        if len(self.block) != 2 or len(self.thread) != 2:
            fail("block and thread take two sizes each (rows, columns)")
        if min(*self.block, *self.thread, self.k_tile, self.threads) < 1:
            fail("sizes must be positive")
        for b, t, axis in zip(self.block, self.thread, ("rows", "columns")):
            if b % t:
                fail(f"the thread tile's {axis} ({t}) do not divide the block tile's ({b})")
        tx, ty = self.block_threads
        if tx * ty > MAX_THREADS:
            fail(f"{tx * ty} threads a block (at most {MAX_THREADS})")
        if self.thread[0] * self.thread[1] > MAX_ACCUMULATORS:
            fail(f"{self.thread[0] * self.thread[1]} accumulators a thread "
                 f"(at most {MAX_ACCUMULATORS})")
        if self.shared_bytes(element_bytes) > MAX_SHARED_BYTES:
            fail(f"{self.shared_bytes(element_bytes)} bytes of shared memory "
                 f"(at most {MAX_SHARED_BYTES})")
        if self.vector not in VECTOR_WIDTHS:
            fail(f"vector={self.vector} is not one of {', '.join(map(str, VECTOR_WIDTHS))}")
        if self.threads > MAX_THREADS or self.threads % 32:
            fail(f"threads={self.threads} must be a multiple of 32 up to {MAX_THREADS}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GpuSchedule:
        from tessera.compiler.schedule import ScheduleError

        if not isinstance(data, dict):
            raise ScheduleError(f"a GPU schedule is a JSON object, not {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ScheduleError(f"unknown GPU schedule field(s): {', '.join(sorted(unknown))}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        try:
            return cls(**values)
        except TypeError as e:
            raise ScheduleError(f"malformed GPU schedule: {e}") from None

    def option_text(self) -> str:
        """The schedule as `linalg-to-gpu` options."""
        return (f"block={self.block[0]},{self.block[1]} thread={self.thread[0]},{self.thread[1]} "
                f"k_tile={self.k_tile} stage={'true' if self.stage else 'false'} "
                f"threads={self.threads}" + (f" vector={self.vector}" if self.vector != 1 else ""))

    def text(self) -> str:
        return "{" + self.option_text() + "}"


def default_gemm_schedule(m: int, n: int) -> GpuSchedule:
    """The classic SGEMM shapes: 128×128 blocks of 8×8-thread tiles (256 threads) when C is
    large, smaller tiles when a large block would leave most of the GPU idle."""
    if m * n >= 512 * 512:
        return GpuSchedule(block=(128, 128), thread=(8, 8), k_tile=8)
    if m * n >= 128 * 128:
        return GpuSchedule(block=(64, 64), thread=(4, 4), k_tile=16)
    return GpuSchedule(block=(32, 32), thread=(2, 2), k_tile=16)
