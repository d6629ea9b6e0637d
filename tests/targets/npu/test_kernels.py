"""The tiled GEMM of every dataflow: SCALE-Sim's compute cycles exactly in scalesim mode, the
queue model never slower, double buffering the same values in fewer cycles, and the values
against NumPy (f32 within rounding, i8 bit-exact)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects.npu import Compute, Mvin, Mvout, Preload
from tessera.targets.npu.config import NpuConfig
from tessera.targets.npu.kernels import gemm, program_for_gemm, scalesim_compute_cycles
from tessera.targets.npu.program import Buffer, Program
from tessera.targets.npu.simulator import simulate

# (rows, cols, dataflow, M, K, N, SCALE-Sim's compute cycles): folds = ⌈S_R/R⌉·⌈S_C/C⌉,
# os: folds·(K + R + C − 2), ws: folds·(2R + C + M − 2), is: folds·(2R + C + N − 2)
CYCLES = [
    (4, 4, "os", 20, 12, 10, 270),  # 5·3 folds · 18
    (4, 4, "ws", 20, 12, 10, 270),  # 3·3 · 30
    (4, 4, "is", 20, 12, 10, 300),  # 3·5 · 20
    (8, 8, "os", 30, 17, 9, 248),  # 4·2 · 31
    (8, 8, "ws", 30, 17, 9, 312),  # 3·2 · 52
    (8, 8, "is", 30, 17, 9, 372),  # 3·4 · 31
    (16, 16, "os", 64, 48, 40, 936),  # 4·3 · 78
    (16, 16, "ws", 64, 48, 40, 990),  # 3·3 · 110
    (16, 16, "is", 64, 48, 40, 1032),  # 3·4 · 86
    (32, 32, "os", 100, 70, 50, 1056),  # 4·2 · 132
    (32, 32, "ws", 100, 70, 50, 1164),  # 3·2 · 194
    (32, 32, "is", 100, 70, 50, 1728),  # 3·4 · 144
    (8, 16, "os", 40, 24, 33, 690),  # 5·3 · 46
    (8, 16, "ws", 40, 24, 33, 630),  # 3·3 · 70
    (8, 16, "is", 40, 24, 33, 567),  # 3·3 · 63
    (16, 8, "os", 33, 40, 24, 558),  # 3·3 · 62
    (16, 8, "ws", 33, 40, 24, 639),  # 3·3 · 71
    (16, 8, "is", 33, 40, 24, 930),  # 3·5 · 62
]


def operands(M, K, N, dtype="f32", seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "i8":
        return (rng.integers(-128, 128, (M, K), dtype=np.int8),
                rng.integers(-128, 128, (K, N), dtype=np.int8))
    return (rng.standard_normal((M, K)).astype(np.float32),
            rng.standard_normal((K, N)).astype(np.float32))


@pytest.mark.parametrize("R, C, dataflow, M, K, N, expected", CYCLES)
def test_scalesim_compute_cycles_and_values(R, C, dataflow, M, K, N, expected):
    config = NpuConfig(rows=R, cols=C, dataflow=dataflow)
    assert scalesim_compute_cycles(config, M, K, N) == expected
    program = program_for_gemm(config, M, K, N)
    folds = sum(isinstance(i, Compute) for i in program.instructions)
    a, b = operands(M, K, N)
    serial = simulate(program, {"a": a, "b": b}, mode="scalesim")
    overlapped = simulate(program, {"a": a, "b": b})
    assert serial.report.compute_cycles == expected
    assert overlapped.report.compute_cycles == expected
    assert serial.report.macs == M * K * N
    preloads = sum(isinstance(i, Preload) for i in program.instructions)
    assert preloads == (0 if dataflow == "os" else folds)
    # scalesim runs one instruction after another: the sum of every cost
    assert serial.report.total_cycles == sum(serial.report.busy.values())
    assert overlapped.report.total_cycles <= serial.report.total_cycles
    np.testing.assert_allclose(overlapped.outputs["c"], a @ b, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(serial.outputs["c"], overlapped.outputs["c"])


@pytest.mark.parametrize("R, C, dataflow, M, K, N, expected", CYCLES[::2])
def test_double_buffering_same_values_fewer_cycles(R, C, dataflow, M, K, N, expected):
    config = NpuConfig(rows=R, cols=C, dataflow=dataflow)
    a, b = operands(M, K, N, seed=1)
    single = simulate(program_for_gemm(config, M, K, N), {"a": a, "b": b})
    double_program = program_for_gemm(config, M, K, N, double_buffer=True)
    double = simulate(double_program, {"a": a, "b": b})
    np.testing.assert_array_equal(double.outputs["c"], single.outputs["c"])
    assert double.report.compute_cycles == expected  # the same folds
    assert double.report.total_cycles <= single.report.total_cycles
    assert double.report.total_cycles <= simulate(double_program, {"a": a, "b": b},
                                                  mode="scalesim").report.total_cycles
    # the two halves are both used
    addresses = {i.dst.addr for i in double_program.instructions if isinstance(i, Mvin)}
    assert len(addresses) > 2


def test_double_buffering_overlaps_loads_with_computes():
    config = NpuConfig(rows=8, cols=8, dataflow="os", dma_latency=20)
    a, b = operands(64, 64, 64)
    single = simulate(program_for_gemm(config, 64, 64, 64), {"a": a, "b": b}, trace=True)
    double = simulate(program_for_gemm(config, 64, 64, 64, double_buffer=True),
                      {"a": a, "b": b}, trace=True)
    assert double.report.total_cycles < 0.9 * single.report.total_cycles

    def overlapped_loads(result):
        computes = [e for e in result.trace if e.name == "compute"]
        loads = [e for e in result.trace if e.name == "mvin"]
        return sum(any(l.start < c.finish and c.start < l.finish for c in computes)
                   for l in loads)

    assert overlapped_loads(single) == 0  # one buffer: the next load waits for the compute
    assert overlapped_loads(double) > 0


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_i8_accumulates_in_i32_bit_exact(dataflow):
    config = NpuConfig(rows=8, cols=8, dataflow=dataflow, dtype="i8")
    M, K, N = 21, 300, 13  # K·127·128 > 2^23: more than f32 could hold exactly
    a, b = operands(M, K, N, "i8")
    reference = a.astype(np.int64) @ b.astype(np.int64)
    for double_buffer in (False, True):
        program = program_for_gemm(config, M, K, N, dtype="i32", double_buffer=double_buffer)
        result = simulate(program, {"a": a, "b": b})
        assert result.outputs["c"].dtype == np.int32
        np.testing.assert_array_equal(result.outputs["c"], reference)


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_i8_requantized_bit_exact(dataflow):
    config = NpuConfig(rows=8, cols=16, dataflow=dataflow, dtype="i8", scale=1 / 512)
    M, K, N = 19, 40, 35
    a, b = operands(M, K, N, "i8", seed=3)
    accumulators = a.astype(np.int64) @ b.astype(np.int64)
    result = simulate(program_for_gemm(config, M, K, N), {"a": a, "b": b})
    expected = np.clip(np.rint(accumulators.astype(np.float64) / 512), -128, 127)
    assert result.outputs["c"].dtype == np.int8
    np.testing.assert_array_equal(result.outputs["c"], expected.astype(np.int8))
    relu = simulate(program_for_gemm(config, M, K, N, act="relu", scale=0.01),
                    {"a": a, "b": b})
    expected = np.clip(np.rint(np.maximum(accumulators, 0).astype(np.float64) * 0.01),
                       -128, 127)
    np.testing.assert_array_equal(relu.outputs["c"], expected.astype(np.int8))


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_temporal_dimension_split_when_memories_are_small(dataflow):
    # 4 KiB of scratchpad (1024 f32) and 1 KiB of accumulators (256 f32) on an 8x8 array
    config = NpuConfig(rows=8, cols=8, dataflow=dataflow, sp_bytes=4096, acc_bytes=1024)
    M, K, N = 70, 150, 90
    a, b = operands(M, K, N)
    for double_buffer in (False, True):
        program = program_for_gemm(config, M, K, N, double_buffer=double_buffer)
        result = simulate(program, {"a": a, "b": b})
        np.testing.assert_allclose(result.outputs["c"], a @ b, rtol=1e-4, atol=1e-3)
        # every compute's tiles fit: the simulator verified it; more folds than SCALE-Sim's
        assert result.report.compute_cycles > scalesim_compute_cycles(config, M, K, N)


def test_offsets_and_names():
    config = NpuConfig(rows=4, cols=4)
    instructions = gemm(config, 6, 5, 7, a="x", b="w", c="y", a_offset=3, b_offset=1,
                        c_offset=2)
    moves = [i for i in instructions if isinstance(i, (Mvin, Mvout))]
    assert {i.dram for i in moves} == {"x", "w", "y"}
    assert min(i.offset for i in moves if i.dram == "x") == 3
    assert min(i.offset for i in moves if i.dram == "y") == 2
    assert instructions[0].asm() == "config dataflow=os"
    assert instructions[-1].asm() == "fence"


@pytest.mark.parametrize("dataflow", ["os", "ws", "is"])
def test_memory_bases_leave_the_memory_below_alone(dataflow):
    config = NpuConfig(rows=4, cols=4, dataflow=dataflow, sp_bytes=2048, acc_bytes=1024)
    instructions = gemm(config, 9, 30, 7, sp_base=100, acc_base=40, double_buffer=True)
    regions = [r for i in instructions for r in (*i.reads(), *i.writes())]
    assert min(r.addr for r in regions if r.memory == "sp") == 100
    assert min(r.addr for r in regions if r.memory == "acc") == 40
    assert max(r.end for r in regions if r.memory == "sp") <= 512
    a, b = operands(9, 30, 7)
    result = simulate(Program("g", config, [Buffer("a", "f32", (9, 30), "in"),
                                            Buffer("b", "f32", (30, 7), "in"),
                                            Buffer("c", "f32", (9, 7), "out")], instructions),
                      {"a": a, "b": b})
    np.testing.assert_allclose(result.outputs["c"], a @ b, rtol=1e-5, atol=1e-5)


def test_gemm_errors():
    with pytest.raises(TesseraError, match="M must be a positive integer"):
        gemm(NpuConfig(), 0, 4, 4)
    with pytest.raises(TesseraError, match="does not fit the accumulators"):
        gemm(NpuConfig(rows=16, cols=16, acc_bytes=512), 16, 16, 16)
    with pytest.raises(TesseraError, match="do not fit"):
        gemm(NpuConfig(rows=16, cols=16, dataflow="ws", sp_bytes=1024), 16, 16, 16)
    with pytest.raises(TesseraError, match="result type"):
        program_for_gemm(NpuConfig(), 4, 4, 4, dtype="f16")


@pytest.mark.parametrize("dataflow, expected", [("os", 146944), ("ws", 155136),
                                                ("is", 155136)])
def test_512_cubed_on_32x32(dataflow, expected):
    """The size the simulator must handle quickly: ~800-1000 instructions each."""
    config = NpuConfig(rows=32, cols=32, dataflow=dataflow)
    a, b = operands(512, 512, 512)
    program = program_for_gemm(config, 512, 512, 512)
    began = time.perf_counter()
    overlapped = simulate(program, {"a": a, "b": b})
    serial = simulate(program, {"a": a, "b": b}, mode="scalesim")
    seconds = time.perf_counter() - began
    print(f"512^3 {dataflow}: {len(program.instructions)} instructions, both modes in "
          f"{seconds:.3f} s")
    assert serial.report.compute_cycles == expected
    assert overlapped.report.total_cycles <= serial.report.total_cycles
    np.testing.assert_allclose(overlapped.outputs["c"], a @ b, rtol=1e-4, atol=1e-3)
