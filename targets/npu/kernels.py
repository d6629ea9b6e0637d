"""Instruction streams for NPU kernels: a tiled GEMM for each dataflow.

    instructions = gemm(config, M, K, N)                  # C[M,N] = A[M,K]·B[K,N]
    program = program_for_gemm(config, M, K, N)           # with buffers a, b (in), c (out)

The array holds two dimensions of the GEMM (its *spatial* extents, one per array dimension)
and streams the third (the *temporal* one) through it:

    os  M×N spatial (m ≤ rows, n ≤ cols), K temporal: one compute per C tile
    ws  K×N spatial (k ≤ rows, n ≤ cols), M temporal: preload B tile, stream A
    is  K×M spatial (k ≤ rows, m ≤ cols), N temporal: preload A tile, stream B

Each *fold* (one placement of a spatial tile on the array) is one `compute` (after a
`preload` under ws/is) over the whole temporal extent, which is split into equal chunks only
when the tiles would not fit the scratchpad or the accumulators. So when it fits, the folds
are SCALE-Sim's: ⌈S_R/R⌉·⌈S_C/C⌉ of them, and in scalesim mode the compute cycles are
folds·(K + R + C − 2) (os) or folds·(2R + C + T − 2) (ws: T = M, is: T = N).

Memory layout: the scratchpad holds one buffer for an A tile and one for a B tile (two of
each with `double_buffer`: A, A', B, B'); the accumulators one C tile (or two). A tile
already in one of its operand's buffers (A across the C tiles of a row under os, for
instance) is not moved in again; a new one goes into the buffer the previous fold did not
use, so with two buffers the next fold's `mvin` overlaps this fold's `compute`. C tiles take
the acc buffers in turn, so a C tile's `mvout` overlaps the next tile's computes. Partial
sums of C stay in the accumulators across the reduction (the first compute of a C tile
overwrites, the later ones accumulate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects.npu import (
    ACTIVATIONS,
    Compute,
    Config,
    Fence,
    Instruction,
    Mvin,
    Mvout,
    Preload,
    Region,
)
from tessera.targets.npu.config import NpuConfig
from tessera.targets.npu.program import NUMPY, Buffer, Program


@dataclass(frozen=True)
class _Fold:
    i: int  # the tile's origin and extents in the GEMM: rows i..i+m of A and C,
    m: int  # reduction k..k+kt, columns j..j+n of B and C
    k: int
    kt: int
    j: int
    n: int
    first: bool  # the first fold of its C tile: overwrite
    last: bool  # the last: move the C tile out


def _chunks(total: int, most: int) -> list[tuple[int, int]]:
    """[0, total) in the fewest equal chunks of at most `most`, as (start, size)."""
    count = -(-total // most)
    size = -(-total // count)
    return [(s, min(size, total - s)) for s in range(0, total, size)]


def _temporal_limit(room: int, per: int, fixed: int) -> int:
    """The largest T with fixed + per·T ≤ room."""
    return (room - fixed) // per


def _plan(config: NpuConfig, M: int, K: int, N: int, slots: int):
    """The folds and the sizes of the A, B and C tiles for config.dataflow."""
    R, C = config.rows, config.cols
    sp_room = config.sp_elements // slots
    acc_room = config.acc_elements // slots
    dataflow = config.dataflow
    if dataflow == "os":
        m, n = min(R, M), min(C, N)
        if m * n > acc_room:
            raise TesseraError(f"gemm: a {m}x{n} C tile does not fit the accumulators "
                               f"({acc_room} elements{' per buffer' if slots > 1 else ''})")
        most = _temporal_limit(sp_room, m + n, 0)
        temporal = K
    elif dataflow == "ws":
        kt, n = min(R, K), min(C, N)
        most = min(_temporal_limit(sp_room, kt, kt * n),
                   _temporal_limit(acc_room, n, 0))
        temporal = M
    else:
        kt, m = min(R, K), min(C, M)
        most = min(_temporal_limit(sp_room, kt, m * kt),
                   _temporal_limit(acc_room, m, 0))
        temporal = N
    if most < 1:
        raise TesseraError(
            f"gemm: the {R}x{C} array's tiles do not fit {config.sp_bytes} bytes of scratchpad "
            f"and {config.acc_bytes} bytes of accumulators"
            f"{' (halved by double buffering)' if slots > 1 else ''}")
    chunks = _chunks(temporal, most)
    chunk = chunks[0][1]
    folds: list[_Fold] = []
    if dataflow == "os":
        a_size, b_size, c_size = m * chunk, chunk * n, m * n
        for i in range(0, M, R):
            for j in range(0, N, C):
                for index, (k, kt) in enumerate(chunks):
                    folds.append(_Fold(i, min(R, M - i), k, kt, j, min(C, N - j),
                                       index == 0, index == len(chunks) - 1))
    elif dataflow == "ws":
        a_size, b_size, c_size = chunk * kt, kt * n, chunk * n
        for j in range(0, N, C):
            for i, mc in chunks:
                for k in range(0, K, R):
                    folds.append(_Fold(i, mc, k, min(R, K - k), j, min(C, N - j),
                                       k == 0, k + R >= K))
    else:
        a_size, b_size, c_size = m * kt, kt * chunk, m * chunk
        for i in range(0, M, C):
            for j, nc in chunks:
                for k in range(0, K, R):
                    folds.append(_Fold(i, min(C, M - i), k, min(R, K - k), j, nc,
                                       k == 0, k + R >= K))
    return folds, a_size, b_size, c_size


def gemm(config: NpuConfig, M: int, K: int, N: int, a: str = "a", b: str = "b",
         c: str = "c", a_offset: int = 0, b_offset: int = 0, c_offset: int = 0,
         double_buffer: bool = False, act: str = "none", scale: float | None = None,
         sp_base: int = 0, acc_base: int = 0,
         load_a: Callable[[Region, int, int, int, int], list[Instruction]] | None = None,
         load_b: Callable[[Region, int, int, int, int], list[Instruction]] | None = None,
         ) -> list[Instruction]:
    """C = act(A·B)·scale for row-major DRAM buffers A (M×K at `a`+`a_offset`), B (K×N) and
    C (M×N, overwritten), under `config.dataflow`. `scale` defaults to `config.scale` for i8
    (the requantization on the way out) and 1 for f32. `sp_base`/`acc_base` leave the local
    memories below them alone. `load_b(region, k, kt, j, n)`, when given, returns the moves
    that fill `region` with B[k:k+kt, j:j+n] (B need not be a matrix in DRAM: a
    convolution's im2col view, gathered from the image); `load_a(region, i, m, k, kt)` the
    same for A[i:i+m, k:k+kt]."""
    for name, value in (("M", M), ("K", K), ("N", N)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TesseraError(f"gemm: {name} must be a positive integer, got {value!r}")
    if act not in ACTIVATIONS:
        raise TesseraError(f"gemm: act must be one of {', '.join(ACTIVATIONS)}, got {act!r}")
    if scale is None:
        scale = config.scale if config.dtype == "i8" else 1.0
    slots = 2 if double_buffer else 1
    # the memories above the bases, as a smaller configuration to plan in
    sp_bytes = config.sp_bytes - sp_base * config.element_bytes
    acc_bytes = config.acc_bytes - acc_base * config.acc_element_bytes
    if sp_base < 0 or acc_base < 0 or sp_bytes < config.element_bytes or acc_bytes < 1:
        raise TesseraError("gemm: sp_base and acc_base must leave room in the memories")
    folds, a_size, b_size, c_size = _plan(
        replace(config, sp_bytes=sp_bytes, acc_bytes=acc_bytes), M, K, N, slots)
    acc_slot = (config.acc_elements - acc_base) // slots
    assert slots * (a_size + b_size) <= config.sp_elements - sp_base and c_size <= acc_slot

    dataflow = config.dataflow
    out: list[Instruction] = [Config(dataflow)]
    # each operand has `slots` buffers: A's, then B's; a tile already in one is used again,
    # a new one goes to the buffer the last fold did not use
    buffers = {"a": [sp_base + s * a_size for s in range(slots)],
               "b": [sp_base + slots * a_size + s * b_size for s in range(slots)]}
    held: dict[str, list] = {"a": [None] * slots, "b": [None] * slots}
    current = {"a": slots - 1, "b": slots - 1}  # the buffer the last fold used
    tile = 0  # C tiles so far

    def operand(which: str, key: tuple, rows: int, cols: int, dram: str, offset: int,
                stride: int) -> Region:
        if key in held[which]:
            slot = held[which].index(key)
        else:
            slot = (current[which] + 1) % slots
            held[which][slot] = key
            region = Region("sp", buffers[which][slot], rows, cols)
            loader = load_a if which == "a" else load_b
            if loader is not None:
                out.extend(loader(region, *key))
            else:
                out.append(Mvin(region, dram, offset, stride))
        current[which] = slot
        return Region("sp", buffers[which][slot], rows, cols)

    for fold in folds:
        a_reg = operand("a", (fold.i, fold.m, fold.k, fold.kt), fold.m, fold.kt, a,
                        a_offset + fold.i * K + fold.k, K)
        b_reg = operand("b", (fold.k, fold.kt, fold.j, fold.n), fold.kt, fold.n, b,
                        b_offset + fold.k * N + fold.j, N)
        c_reg = Region("acc", acc_base + (tile % slots) * acc_slot, fold.m, fold.n)
        if dataflow == "ws":
            out.append(Preload(b_reg))
        elif dataflow == "is":
            out.append(Preload(a_reg))
        out.append(Compute(c_reg, a_reg, b_reg, accumulate=not fold.first))
        if fold.last:
            out.append(Mvout(c_reg, c, c_offset + fold.i * N + fold.j, N, act, float(scale)))
            tile += 1
    out.append(Fence())
    return out


def program_for_gemm(config: NpuConfig, M: int, K: int, N: int, dtype: str | None = None,
                     double_buffer: bool = False, name: str = "gemm", **options) -> Program:
    """A Program computing C = A·B: buffers a (M×K) and b (K×N) of the configuration's
    element type (`in`) and c (M×N, `out`) of `dtype`: by default the element type (for i8,
    the requantized result), or `i32` for the raw accumulators of an i8 GEMM. `options`
    go to `gemm`."""
    dtype = dtype or config.dtype
    if dtype not in NUMPY:
        raise TesseraError(f"gemm: the result type must be one of {', '.join(NUMPY)}, got "
                           f"{dtype!r}")
    buffers = [Buffer("a", config.dtype, (M, K), "in"), Buffer("b", config.dtype, (K, N), "in"),
               Buffer("c", dtype, (M, N), "out")]
    return Program(name, config, buffers,
                   gemm(config, M, K, N, double_buffer=double_buffer, **options))


def scalesim_compute_cycles(config: NpuConfig, M: int, K: int, N: int) -> int:
    """SCALE-Sim's compute cycles of the GEMM: folds × cycles per fold."""
    R, C = config.rows, config.cols
    s_r, s_c, t, extra = {"os": (M, N, K, 0), "ws": (K, N, M, R), "is": (K, M, N, R)}[
        config.dataflow]
    folds = -(-s_r // R) * -(-s_c // C)
    return folds * (extra + R + C + t - 2)
