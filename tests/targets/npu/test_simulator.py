"""The NPU simulator on hand-written programs: the queue model's start times (RAW, WAR, DRAM
and fence dependencies), the serial scalesim mode, the report's counters, the verifier's
errors and the Chrome trace."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects.npu import (
    Compute,
    Config,
    Fence,
    Mvin,
    Mvout,
    Preload,
    Region,
    Vector,
)
from tessera.targets.npu.config import NpuConfig
from tessera.targets.npu.kernels import program_for_gemm
from tessera.targets.npu.program import Buffer, Program
from tessera.targets.npu.simulator import VECTOR_LATENCY, simulate, write_chrome_trace

# 4x4 array; a 4x4 f32 move is 64 bytes: 10 + 64/16 = 14 cycles, an 8-element one 12
CONFIG = NpuConfig(rows=4, cols=4, dma_latency=10, dma_bytes_per_cycle=16)


def acc(addr, rows=4, cols=4):
    return Region("acc", addr, rows, cols)


def sp(addr, rows=4, cols=4):
    return Region("sp", addr, rows, cols)


def program(instructions, buffers, config=CONFIG):
    return Program("test", config, [Buffer(*b) for b in buffers], list(instructions))


X = np.arange(16, dtype=np.float32).reshape(4, 4) - 8
Y = np.full((4, 4), 3.0, dtype=np.float32)


def starts(result):
    return [(e.name, e.start, e.finish) for e in result.trace]


def test_queues_and_dependencies():
    p = program([
        Mvin(acc(0), "x", 0, 4),  # load 0-14
        Vector("copy", acc(16), acc(0)),  # RAW on acc[0]: 14-19
        Mvin(acc(0), "y", 0, 4),  # WAR on acc[0] (read by the copy): 19-33
        Vector("relu", acc(48), acc(16)),  # execute queue, RAW on acc[16]: 19-24
        Mvout(acc(16), "out", 0, 4),  # store, RAW on acc[16]; reads do not order: 19-33
        Fence(),  # everything before has finished: 33
        Mvin(acc(64), "x", 0, 4),  # 33-47
        Mvout(acc(48), "out2", 0, 4),  # its data was ready at 24, the fence holds it to 33
    ], [("x", "f32", (4, 4), "in"), ("y", "f32", (4, 4), "in"),
        ("out", "f32", (4, 4), "out"), ("out2", "f32", (4, 4), "out")])
    vector = 1 + VECTOR_LATENCY  # 16 elements on 16 lanes
    assert vector == 5
    result = simulate(p, {"x": X, "y": Y}, trace=True)
    assert starts(result) == [("mvin", 0, 14), ("vector", 14, 19), ("mvin", 19, 33),
                              ("vector", 19, 24), ("mvout", 19, 33), ("fence", 33, 33),
                              ("mvin", 33, 47), ("mvout", 33, 47)]
    assert result.report.total_cycles == 47
    assert result.report.busy == {"load": 42, "execute": 10, "store": 28}
    np.testing.assert_array_equal(result.outputs["out"], X)
    np.testing.assert_array_equal(result.outputs["out2"], np.maximum(X, 0))
    serial = simulate(p, {"x": X, "y": Y}, mode="scalesim", trace=True)
    assert starts(serial) == [("mvin", 0, 14), ("vector", 14, 19), ("mvin", 19, 33),
                              ("vector", 33, 38), ("mvout", 38, 52), ("fence", 52, 52),
                              ("mvin", 52, 66), ("mvout", 66, 80)]
    assert serial.report.total_cycles == 80
    for name in ("out", "out2"):
        np.testing.assert_array_equal(serial.outputs[name], result.outputs[name])


def test_dram_dependencies():
    p = program([
        Mvin(acc(0), "x", 0, 4),  # 0-14
        Mvout(acc(0), "tmp", 0, 4),  # writes tmp[0:16]: 14-28
        Mvin(acc(16, 2, 4), "tmp", 16, 4),  # tmp[16:24], no overlap: load queue 14-26
        Mvin(acc(32), "tmp", 0, 4),  # reads tmp[0:16]: waits for the mvout, 28-42
        Mvout(acc(32), "out", 0, 4),  # 42-56
        Mvout(acc(16, 2, 4), "tmp", 4, 4),  # writes tmp[4:12], read by the mvin at 28-42
    ], [("x", "f32", (4, 4), "in"), ("tmp", "f32", (8, 4), "temp"),
        ("out", "f32", (4, 4), "out")])
    result = simulate(p, {"x": X}, trace=True)
    assert starts(result)[:5] == [("mvin", 0, 14), ("mvout", 14, 28), ("mvin", 14, 26),
                                  ("mvin", 28, 42), ("mvout", 42, 56)]
    assert starts(result)[5][1] >= 42
    np.testing.assert_array_equal(result.outputs["out"], X)
    assert result.report.dram_reads == 64 + 32 + 64
    assert result.report.dram_writes == 64 + 64 + 32


def test_config_changes_dataflow_and_costs():
    # os: T + R + C - 2 with T = k; ws: preload R, compute R + C + m - 2
    p = program([
        Mvin(sp(0, 3, 5), "a", 0, 5),
        Mvin(sp(16, 5, 2), "b", 0, 2),
        Compute(acc(0, 3, 2), sp(0, 3, 5), sp(16, 5, 2), accumulate=False),  # k=5 temporal
        Mvout(acc(0, 3, 2), "c", 0, 2),
        Config("ws"),
        Mvin(sp(32, 6, 4), "a2", 0, 4),
        Mvin(sp(64, 4, 3), "b2", 0, 3),
        Preload(sp(64, 4, 3)),
        Compute(acc(16, 6, 3), sp(32, 6, 4), sp(64, 4, 3), accumulate=False),  # m=6
        Mvout(acc(16, 6, 3), "c2", 0, 3),
        Fence(),
    ], [("a", "f32", (3, 5), "in"), ("b", "f32", (5, 2), "in"), ("c", "f32", (3, 2), "out"),
        ("a2", "f32", (6, 4), "in"), ("b2", "f32", (4, 3), "in"),
        ("c2", "f32", (6, 3), "out")])
    rng = np.random.default_rng(0)
    inputs = {name: rng.standard_normal(shape).astype(np.float32)
              for name, shape in (("a", (3, 5)), ("b", (5, 2)), ("a2", (6, 4)), ("b2", (4, 3)))}
    result = simulate(p, inputs, trace=True)
    durations = {(e.index, e.name): e.duration for e in result.trace}
    assert durations[(2, "compute")] == 5 + 4 + 4 - 2
    assert durations[(7, "preload")] == 4
    assert durations[(8, "compute")] == 4 + 4 + 6 - 2
    assert durations[(4, "config")] == 0
    assert result.report.compute_cycles == 11 + 4 + 12
    np.testing.assert_allclose(result.outputs["c"], inputs["a"] @ inputs["b"], rtol=1e-6)
    np.testing.assert_allclose(result.outputs["c2"], inputs["a2"] @ inputs["b2"], rtol=1e-6)
    # mapping: os 3x2 of 4x4, ws k x n = 4x3 of 4x4
    assert result.report.mapping_efficiency == pytest.approx((6 / 16 + 12 / 16) / 2)
    assert result.report.macs == 3 * 5 * 2 + 6 * 4 * 3


def test_report_counters_and_format():
    config = NpuConfig(rows=4, cols=4, dataflow="os")
    M, K, N = 20, 12, 10
    rng = np.random.default_rng(0)
    a = rng.standard_normal((M, K)).astype(np.float32)
    b = rng.standard_normal((K, N)).astype(np.float32)
    report = simulate(program_for_gemm(config, M, K, N), {"a": a, "b": b}).report
    assert report.compute_cycles == 270 and report.macs == 2400
    assert report.utilization == pytest.approx(2400 / (16 * 270))
    assert report.mapping_efficiency == pytest.approx((16 + 16 + 8) / 3 / 16)
    # A once per row of C tiles, B for every C tile
    assert report.sp_writes == M * K + (M // 4) * K * N
    assert report.dram_reads == 4 * report.sp_writes
    assert report.sp_reads == 15 * 4 * K + (M // 4) * K * N
    assert report.acc_writes == M * N and report.acc_reads == M * N
    assert report.dram_writes == 4 * M * N
    assert report.seconds == pytest.approx(report.total_cycles * 1e-9)
    assert report.counts == {"config": 1, "mvin": 20, "compute": 15, "mvout": 15, "fence": 1}
    text = report.format()
    assert "total cycles" in text and "compute cycles     270" in text
    assert "utilization        55.6%" in text and "overlapped" in text


def test_vector_cost_and_values():
    config = NpuConfig(rows=4, cols=4, vector_lanes=4)
    p = program([
        Mvin(acc(0), "x", 0, 4),
        Mvin(acc(16), "y", 0, 4),
        Vector("add", acc(32), acc(0), acc(16)),
        Vector("scale", acc(48), acc(32), imm=0.5),
        Vector("max", acc(32), acc(48), acc(0)),
        Mvout(acc(32), "out", 0, 4),
    ], [("x", "f32", (4, 4), "in"), ("y", "f32", (4, 4), "in"),
        ("out", "f32", (4, 4), "out")], config)
    result = simulate(p, {"x": X, "y": Y}, trace=True)
    assert [e.duration for e in result.trace if e.name == "vector"] == [4 + VECTOR_LATENCY] * 3
    np.testing.assert_array_equal(result.outputs["out"], np.maximum((X + Y) * 0.5, X))


def test_stationary_tile_under_is():
    config = NpuConfig(rows=4, cols=8, dataflow="is")
    rng = np.random.default_rng(5)
    a = rng.standard_normal((7, 3)).astype(np.float32)  # m = 7 <= cols, k = 3 <= rows
    b = rng.standard_normal((3, 20)).astype(np.float32)  # n = 20: temporal, unbounded
    p = program([
        Mvin(sp(0, 7, 3), "a", 0, 3),
        Mvin(sp(32, 3, 20), "b", 0, 20),
        Preload(sp(0, 7, 3)),
        Compute(acc(0, 7, 20), sp(0, 7, 3), sp(32, 3, 20), accumulate=False),
        Mvout(acc(0, 7, 20), "c", 0, 20),
    ], [("a", "f32", (7, 3), "in"), ("b", "f32", (3, 20), "in"),
        ("c", "f32", (7, 20), "out")], config)
    result = simulate(p, {"a": a, "b": b}, trace=True)
    assert result.trace[3].duration == 4 + 8 + 20 - 2
    np.testing.assert_allclose(result.outputs["c"], a @ b, rtol=1e-6)


# -- the verifier ---------------------------------------------------------------------------

BUFFERS = [("a", "f32", (8, 8), "in"), ("b", "f32", (8, 8), "in"),
           ("c", "f32", (8, 8), "out")]
A8 = np.ones((8, 8), np.float32)


@pytest.mark.parametrize("dataflow, instructions, message", [
    ("os", [Compute(acc(0, 5, 4), sp(0, 5, 2), sp(64, 2, 4))],
     r"instruction 0 'compute acc\[0:5x4\], sp\[0:5x2\], sp\[64:2x4\], accumulate': under os "
     r"the array holds m x n = 5x4, which does not fit the 4x4 array"),
    ("ws", [Preload(sp(64, 4, 4)), Compute(acc(0, 9, 4), sp(0, 9, 5), sp(64, 5, 4))],
     r"instruction 1 .*: under ws the array holds k x n = 5x4"),
    ("is", [Preload(sp(0, 4, 2)), Compute(acc(0, 6, 4), sp(0, 6, 2), sp(64, 2, 4))],
     r"instruction 1 .*: under is the array holds k x m = 2x6"),
    ("os", [Mvin(sp(65534, 2, 2), "a", 0, 8)],
     r"instruction 0 'mvin sp\[65534:2x2\], a\[0\], stride=8, cstride=1': the destination "
     r"sp\[65534:2x2\] ends at element 65538, past the end of sp \(65536 elements\)"),
    ("os", [Mvout(acc(16380, 2, 4), "c", 0, 8)], r"past the end of acc \(16384 elements\)"),
    ("os", [Mvin(sp(0), "nope", 0, 4)], r"no DRAM buffer named 'nope' \(buffers: a, b, c\)"),
    ("os", [Mvin(sp(0, 4, 8), "a", 40, 8)],
     r"the 4x8 move at offset 40, stride 8 reaches element 72 of 'a', which has 64"),
    ("os", [Compute(acc(0), sp(0, 4, 3), sp(64, 4, 4))],
     r"a is 4x3 but b is 4x4: a's columns must be b's rows"),
    ("os", [Compute(acc(0, 4, 2), sp(0), sp(64))], r"c is 4x2 but a·b is 4x4"),
    ("os", [Compute(acc(0), acc(64), sp(64))], r"a acc\[64:4x4\] must be in sp"),
    ("ws", [Compute(acc(0), sp(0), sp(64))], r"under ws a compute needs a preload of b"),
    ("ws", [Preload(sp(0)), Compute(acc(0), sp(64), sp(128))],
     r"under ws b \(sp\[128:4x4\]\) must be the preloaded tile \(sp\[0:4x4\]\)"),
    ("is", [Preload(sp(0)), Mvin(sp(8, 2, 4), "a", 0, 8),
            Compute(acc(0), sp(0), sp(64))],
     r"instruction 2 .*the preloaded tile sp\[0:4x4\] was overwritten after the preload"),
    ("os", [Preload(sp(0))], r"preload has no use under the os dataflow"),
    ("ws", [Preload(sp(0, 5, 4))], r"the weights tile \(5x4, k x n\) does not fit"),
    ("os", [Vector("add", acc(0), acc(16))], r"'add' takes two operands"),
    ("os", [Vector("copy", acc(0), acc(16, 2, 8))], r"the destination's shape 4x4, not 2x8"),
    ("os", [Config("xs")], r"dataflow must be one of os, ws, is"),
])
def test_verifier_errors(dataflow, instructions, message):
    config = NpuConfig(rows=4, cols=4, dataflow=dataflow)
    p = program(instructions, BUFFERS, config)
    with pytest.raises(TesseraError, match=message):
        simulate(p, {"a": A8, "b": A8})


def test_input_errors():
    p = program([Fence()], BUFFERS)
    with pytest.raises(TesseraError, match="no value given for the input 'b'"):
        simulate(p, {"a": A8})
    with pytest.raises(TesseraError, match=r"'a' must have shape \(8, 8\), got \(4, 4\)"):
        simulate(p, {"a": X, "b": A8})
    with pytest.raises(TesseraError, match="'c' is not an input buffer"):
        simulate(p, {"a": A8, "b": A8, "c": A8})
    with pytest.raises(TesseraError, match="mode must be one of overlapped, scalesim"):
        simulate(p, {"a": A8, "b": A8}, mode="fast")
    i8 = program([Fence()], [("a", "i8", (2, 2), "in")], NpuConfig(dtype="i8"))
    with pytest.raises(TesseraError, match=r"integers in \[-128, 127\]"):
        simulate(i8, {"a": np.full((2, 2), 300)})
    with pytest.raises(TesseraError, match="cannot move a f32 buffer into sp"):
        simulate(program([Mvin(sp(0, 2, 2), "a", 0, 2)], [("a", "f32", (2, 2), "in")],
                         NpuConfig(dtype="i8")), {"a": np.ones((2, 2))})


# -- the trace ------------------------------------------------------------------------------


def test_chrome_trace(tmp_path):
    config = NpuConfig(rows=4, cols=4, dataflow="ws")
    p = program_for_gemm(config, 10, 9, 6, double_buffer=True)
    rng = np.random.default_rng(2)
    inputs = {"a": rng.standard_normal((10, 9)).astype(np.float32),
              "b": rng.standard_normal((9, 6)).astype(np.float32)}
    assert simulate(p, inputs).trace is None
    result = simulate(p, inputs, trace=True)
    path = write_chrome_trace(result, tmp_path / "gemm.trace.json")
    assert [f.name for f in tmp_path.iterdir()] == ["gemm.trace.json"]  # no temporary left
    data = json.loads(path.read_text())
    complete = [e for e in data["traceEvents"] if e["ph"] == "X"]
    assert len(complete) == len(p.instructions)
    assert [e["name"] for e in complete] == [i.mnemonic for i in p.instructions]
    assert [e["args"]["asm"] for e in complete] == [i.asm() for i in p.instructions]
    threads = {e["args"]["name"]: e["tid"] for e in data["traceEvents"]
               if e["ph"] == "M" and e["name"] == "thread_name"}
    assert set(threads) == {"issue", "load", "execute", "store"}
    for e, ins in zip(complete, p.instructions):
        assert e["tid"] == threads[ins.queue]
        assert isinstance(e["ts"], int) and isinstance(e["dur"], int)
    assert max(e["ts"] + e["dur"] for e in complete) == result.report.total_cycles
    with pytest.raises(TesseraError, match="simulate with trace=True"):
        write_chrome_trace(simulate(p, inputs), tmp_path / "none.json")


# -- the dependency tracking against a brute-force model ------------------------------------


def _random_program(rng, length):
    def region(memory, rows, cols):
        return Region(memory, int(rng.integers(0, 48)), rows, cols)

    def extent():
        return int(rng.integers(1, 5))

    instructions = []
    for _ in range(length):
        kind = rng.choice(["mvin", "mvout", "vector", "compute", "fence"], p=[.3, .2, .25, .2,
                                                                             .05])
        rows, cols = extent(), extent()
        if kind == "mvin":
            memory = str(rng.choice(["sp", "acc"]))
            dram = str(rng.choice(["x", "t"]))
            stride = cols + int(rng.integers(0, 3))
            offset = int(rng.integers(0, 64 - (rows - 1) * stride - cols + 1))
            instructions.append(Mvin(region(memory, rows, cols), dram, offset, stride))
        elif kind == "mvout":
            dram = str(rng.choice(["t", "out"]))
            stride = cols + int(rng.integers(0, 3))
            offset = int(rng.integers(0, 64 - (rows - 1) * stride - cols + 1))
            instructions.append(Mvout(region(str(rng.choice(["sp", "acc"])), rows, cols),
                                      dram, offset, stride))
        elif kind == "vector":
            op = str(rng.choice(["add", "copy", "relu"]))
            b = region("acc", rows, cols) if op == "add" else None
            instructions.append(Vector(op, region("acc", rows, cols), region("acc", rows, cols),
                                       b))
        elif kind == "compute":
            k = extent()
            instructions.append(Compute(region("acc", rows, cols), region("sp", rows, k),
                                        region("sp", k, cols), bool(rng.integers(0, 2))))
        else:
            instructions.append(Fence())
    return instructions


def _brute_force_starts(instructions, config):
    """Every pair checked: start = max(queue free, last fence, finish of every earlier
    instruction with a RAW/WAR/WAW overlap in sp/acc or in a DRAM buffer's range)."""
    def dram(ins):
        if isinstance(ins, (Mvin, Mvout)):
            region = ins.dst if isinstance(ins, Mvin) else ins.src
            return ins.dram, ins.offset, ins.offset + (region.rows - 1) * ins.stride + region.cols
        return None

    def cost(ins):
        if isinstance(ins, (Mvin, Mvout)):
            region = ins.dst if isinstance(ins, Mvin) else ins.src
            return config.dma_latency + -(-region.size * 4 // config.dma_bytes_per_cycle)
        if isinstance(ins, Compute):
            return config.rows + config.cols + ins.a.cols - 2
        if isinstance(ins, Vector):
            return -(-ins.dst.size // config.vector_lanes) + VECTOR_LATENCY
        return 0

    finishes, starts, free, floor = [], [], {}, 0
    for i, ins in enumerate(instructions):
        if isinstance(ins, Fence):
            floor = max(finishes, default=0)
            starts.append(floor)
            finishes.append(floor)
            continue
        start = max(floor, free.get(ins.queue, 0))
        for j in range(i):
            other = instructions[j]
            conflict = any(w.overlaps(r) for w in ins.writes()
                           for r in (*other.reads(), *other.writes()))
            conflict |= any(r.overlaps(w) for r in ins.reads() for w in other.writes())
            d1, d2 = dram(ins), dram(other)
            if d1 and d2 and d1[0] == d2[0] and d1[1] < d2[2] and d2[1] < d1[2]:
                conflict |= isinstance(ins, Mvout) or isinstance(other, Mvout)
            if conflict:
                start = max(start, finishes[j])
        starts.append(start)
        finishes.append(start + cost(ins))
        free[ins.queue] = start + cost(ins)
    return starts


@pytest.mark.parametrize("seed", range(6))
def test_dependency_tracking_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    config = NpuConfig(rows=4, cols=4, dma_latency=3, dma_bytes_per_cycle=4, vector_lanes=2)
    instructions = _random_program(rng, 150)
    p = program(instructions, [("x", "f32", (64,), "in"), ("t", "f32", (64,), "temp"),
                               ("out", "f32", (64,), "out")], config)
    result = simulate(p, {"x": rng.standard_normal(64).astype(np.float32)}, trace=True)
    assert [e.start for e in result.trace] == _brute_force_starts(instructions, config)
    serial = simulate(p, {"x": np.zeros(64, np.float32)}, mode="scalesim")
    assert result.report.total_cycles <= serial.report.total_cycles
