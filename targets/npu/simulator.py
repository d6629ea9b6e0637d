"""The NPU simulator: runs a `Program` for its values and models its cycles.

    result = simulate(program, {"a": a, "b": b})                 # the queue model
    result = simulate(program, inputs, mode="scalesim", trace=True)
    result.outputs["c"], print(result.report.format())
    write_chrome_trace(result, "gemm.trace.json")                # open in Perfetto

*Values.* Each instruction is verified (regions inside `sp`/`acc`, shapes, the array's
extents, the stationary tile, DRAM moves inside their buffer) and then run by its reference
semantics (`run` in `dialects/npu.py`) in program order. Program order is the functional
order: the timing model below only decides when each instruction starts, and it never lets an
instruction start before an earlier one it depends on has finished, so the values are those of
any schedule the model allows.

*Cycles.* Three in-order queues, *load* (`mvin`), *execute* (`preload`, `compute`, `vector`)
and *store* (`mvout`). An instruction starts at the latest of: its queue being free, the finish
of every earlier instruction it depends on, and the last `fence`. Dependencies are RAW, WAR and
WAW overlaps of the `reads()`/`writes()` regions in `sp` and `acc`, and of DRAM element ranges
of the same buffer (an `mvin` reads, an `mvout` writes; a strided move counts as the whole range
from its first to its last element, which can only add dependencies, never miss one).

    mvin / mvout   dma_latency + ceil(bytes / dma_bytes_per_cycle)   (bytes of the DRAM buffer's
                                                                       element type)
    preload        R                       (ws, is: shifting the stationary tile in)
    compute        os: R + C + T - 2, T = k (M×N spatial)
                   ws: R + C + T - 2, T = m (K×N spatial)
                   is: R + C + T - 2, T = n (K×M spatial)
    vector         ceil(elements / vector_lanes) + VECTOR_LATENCY
    config, fence  0

R × C is the whole array, whatever the tile: this is SCALE-Sim's first-order systolic model,
in which a fold costs T + R + C - 2 (os) or 2R + C + T - 2 (ws, is: preload + compute).

`fence` makes every later instruction start after every earlier one has finished. `config`
takes effect for the instructions after it; it costs nothing and waits for nothing: the only
instructions it affects (`preload`, `compute`) are on the in-order execute queue, so those
before it finish under the old dataflow and those after it start under the new one. A config
that changes the dataflow forgets the preloaded tile.

Modes: `overlapped` (default) is the queue model; `scalesim` runs every instruction after the
previous one has finished (no overlap at all), so its compute cycles are SCALE-Sim's. Since
every start in the queue model is at most the serial one, `overlapped` is never slower.
"""

from __future__ import annotations

import json
import os
import tempfile
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tessera.compiler.diagnostics import TesseraError
from tessera.dialects.npu import (
    ACTIVATIONS,
    MEMORIES,
    VECTOR_OPS,
    Compute,
    Config,
    Fence,
    Instruction,
    Mvin,
    Mvout,
    Preload,
    Region,
    UNARY_VECTOR_OPS,
    Vector,
    move_end,
)
from tessera.targets.npu.config import DATAFLOWS
from tessera.targets.npu.program import NUMPY, Program

MODES = ("overlapped", "scalesim")
QUEUES = ("load", "execute", "store")
VECTOR_LATENCY = 4  # cycles of the vector unit's pipeline, paid once per vector instruction
UNARY = UNARY_VECTOR_OPS
_SP_NUMPY = {"f32": np.dtype(np.float32), "i8": np.dtype(np.int8)}
_ACC_NUMPY = {"f32": np.dtype(np.float32), "i32": np.dtype(np.int32)}


# -- results --------------------------------------------------------------------------------


@dataclass
class TraceEvent:
    index: int  # the instruction's position in the program
    name: str  # its mnemonic
    queue: str  # load | execute | store | issue (config, fence)
    start: int
    duration: int
    asm: str

    @property
    def finish(self) -> int:
        return self.start + self.duration


@dataclass
class Report:
    mode: str
    program: str
    rows: int
    cols: int
    dataflow: str  # the configuration's (a program may change it with `config`)
    dtype: str
    instructions: int
    counts: dict[str, int]  # instructions by mnemonic
    total_cycles: int
    busy: dict[str, int]  # cycles each queue spends running instructions
    compute_cycles: int  # preload + compute: SCALE-Sim's compute cycles in scalesim mode
    macs: int
    utilization: float  # macs / (rows · cols · compute_cycles)
    mapping_efficiency: float  # mean over computes of the spatial tile's share of the array
    sp_reads: int  # elements
    sp_writes: int
    acc_reads: int
    acc_writes: int
    dram_reads: int  # bytes
    dram_writes: int
    seconds: float  # total_cycles at the configuration's clock

    @property
    def scalesim_compute_cycles(self) -> int:
        """The compute cycles as SCALE-Sim 3.0.0 reports them: the index of the last compute
        cycle counted from 0 (its "Compute cycles" is the largest cycle an output row is
        written at), one less than the number of cycles."""
        return max(self.compute_cycles - 1, 0)

    def format(self) -> str:
        total = max(self.total_cycles, 1)
        counts = ", ".join(f"{n} {name}" for name, n in self.counts.items())
        lines = [
            f"npu simulation of '{self.program}' ({self.mode}): {self.rows}x{self.cols} "
            f"array, {self.dataflow}, {self.dtype}",
            f"  instructions       {self.instructions} ({counts})",
            f"  total cycles       {self.total_cycles:,} ({_time(self.seconds)})",
        ]
        for queue in QUEUES:
            busy = self.busy.get(queue, 0)
            lines.append(f"  {queue + ' busy':<18} {busy:,} ({100 * busy / total:.1f}%)")
        lines += [
            f"  compute cycles     {self.compute_cycles:,} (preload + compute)",
            f"  MACs               {self.macs:,}",
            f"  utilization        {100 * self.utilization:.1f}% of the array over the "
            f"compute cycles",
            f"  mapping efficiency {100 * self.mapping_efficiency:.1f}% of the array per "
            f"compute tile",
            f"  scratchpad         {self.sp_reads:,} elements read, {self.sp_writes:,} written",
            f"  accumulators       {self.acc_reads:,} elements read, {self.acc_writes:,} "
            f"written",
            f"  DRAM               {self.dram_reads:,} bytes read, {self.dram_writes:,} "
            f"written",
        ]
        return "\n".join(lines)


def _time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


@dataclass
class SimResult:
    outputs: dict[str, np.ndarray]
    report: Report
    trace: list[TraceEvent] | None = None


# -- the machine ----------------------------------------------------------------------------


@dataclass
class SimMachine:
    """What the instructions' `run` reads and writes (the `Machine` of `dialects/npu.py`)."""

    sp: np.ndarray
    acc: np.ndarray
    dram: dict[str, np.ndarray]
    dataflow: str
    stationary: Region | None = None


class _Timeline:
    """When the last accesses to a linear address space finish, as disjoint segments.

    Segment i covers [starts[i], starts[i+1]) (the last one is unbounded) and holds the
    latest finish of a write to it (`written`) and of any access to it (`accessed`). A reader
    depends on `written` over its range, a writer on `accessed`. A write waited for every
    earlier access to its range, so it finishes after all of them and its segments collapse
    into one: the number of segments stays of the order of the live regions, and each query is
    a bisection and a short scan."""

    __slots__ = ("starts", "written", "accessed")

    def __init__(self):
        self.starts = [0]
        self.written = [0]
        self.accessed = [0]

    def ready(self, lo: int, hi: int, write: bool) -> int:
        i = bisect_right(self.starts, lo) - 1
        j = bisect_left(self.starts, hi)
        values = self.accessed if write else self.written
        return max(values[i:j]) if j - i > 1 else values[i]

    def _split(self, x: int) -> int:
        i = bisect_right(self.starts, x) - 1
        if self.starts[i] == x:
            return i
        self.starts.insert(i + 1, x)
        self.written.insert(i + 1, self.written[i])
        self.accessed.insert(i + 1, self.accessed[i])
        return i + 1

    def record(self, lo: int, hi: int, finish: int, write: bool) -> None:
        i = self._split(lo)
        j = self._split(hi)
        if write:
            written = max(finish, max(self.accessed[i:j]))
            del self.starts[i + 1:j], self.written[i + 1:j], self.accessed[i + 1:j]
            self.written[i] = self.accessed[i] = written
        else:
            accessed = self.accessed
            for k in range(i, j):
                if accessed[k] < finish:
                    accessed[k] = finish


# -- verification ---------------------------------------------------------------------------


class _Verifier:
    def __init__(self, program: Program, machine: SimMachine):
        self.program = program
        self.config = program.config
        self.machine = machine
        self.sizes = {"sp": machine.sp.size, "acc": machine.acc.size}
        self.stationary_stale = False  # the preloaded tile's region written since the preload

    def fail(self, index: int, instruction: Instruction, problem: str):
        raise TesseraError(f"npu program '{self.program.name}': instruction {index} "
                           f"'{instruction.asm()}': {problem}")

    def region(self, index, instruction, region, what: str, memories=MEMORIES) -> None:
        fail = lambda problem: self.fail(index, instruction, problem)  # noqa: E731
        if not isinstance(region, Region):
            fail(f"{what} is not a region")
        if region.memory not in memories:
            fail(f"{what} {region} must be in {' or '.join(memories)}")
        for name in ("addr", "rows", "cols"):
            value = getattr(region, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                fail(f"{what} {region}: {name} must be an integer")
        if region.rows < 1 or region.cols < 1 or region.addr < 0:
            fail(f"{what} {region} must have a non-negative address and positive extents")
        size = self.sizes[region.memory]
        if region.end > size:
            fail(f"{what} {region} ends at element {region.end}, past the end of {region.memory} "
                 f"({size} elements)")

    def dram(self, index, instruction, rows: int, cols: int) -> np.ndarray:
        name = instruction.dram
        buffer = self.machine.dram.get(name)
        if buffer is None:
            known = ", ".join(self.machine.dram) or "none"
            self.fail(index, instruction, f"no DRAM buffer named '{name}' (buffers: {known})")
        offset, stride = instruction.offset, instruction.stride
        cstride = getattr(instruction, "cstride", 1)
        last = move_end(offset, stride, rows, cols, cstride)
        if offset < 0 or stride < 0 or cstride < 0 or last > buffer.size:
            self.fail(index, instruction,
                      f"the {rows}x{cols} move at offset {offset}, stride {stride} reaches "
                      f"element {last} of '{name}', which has {buffer.size} elements")
        return buffer

    def check(self, index: int, ins: Instruction) -> None:
        machine = self.machine
        fail = lambda problem: self.fail(index, ins, problem)  # noqa: E731
        R, C = self.config.rows, self.config.cols
        if isinstance(ins, Config):
            if ins.dataflow not in DATAFLOWS:
                fail(f"dataflow must be one of {', '.join(DATAFLOWS)}")
        elif isinstance(ins, Fence):
            pass
        elif isinstance(ins, Mvin):
            self.region(index, ins, ins.dst, "the destination")
            buffer = self.dram(index, ins, ins.dst.rows, ins.dst.cols)
            memory = getattr(machine, ins.dst.memory)
            allowed = {memory.dtype, machine.sp.dtype}
            if buffer.dtype not in allowed or (ins.dst.memory == "sp"
                                               and buffer.dtype != memory.dtype):
                fail(f"cannot move a {_name(buffer.dtype)} buffer into {ins.dst.memory} "
                     f"({_name(memory.dtype)})")
        elif isinstance(ins, Mvout):
            self.region(index, ins, ins.src, "the source")
            self.dram(index, ins, ins.src.rows, ins.src.cols)
            if ins.act not in ACTIVATIONS:
                fail(f"activation must be one of {', '.join(ACTIVATIONS)}")
            if not ins.scale > 0:
                fail("the scale must be positive")
        elif isinstance(ins, Preload):
            self.region(index, ins, ins.src, "the stationary tile", ("sp",))
            rows, cols = ins.src.rows, ins.src.cols
            if machine.dataflow == "os":
                fail("preload has no use under the os dataflow (nothing is stationary but the "
                     "outputs); it is for ws and is")
            if machine.dataflow == "ws" and (rows > R or cols > C):
                fail(f"the weights tile ({rows}x{cols}, k x n) does not fit the {R}x{C} array")
            if machine.dataflow == "is" and (cols > R or rows > C):
                fail(f"the inputs tile ({rows}x{cols}, m x k) does not fit the {R}x{C} array "
                     f"(k <= {R}, m <= {C} under is)")
        elif isinstance(ins, Compute):
            self.region(index, ins, ins.a, "a", ("sp",))
            self.region(index, ins, ins.b, "b", ("sp",))
            self.region(index, ins, ins.c, "c", ("acc",))
            m, k, n = ins.a.rows, ins.a.cols, ins.b.cols
            if ins.b.rows != k:
                fail(f"a is {m}x{k} but b is {ins.b.rows}x{n}: a's columns must be b's rows")
            if (ins.c.rows, ins.c.cols) != (m, n):
                fail(f"c is {ins.c.rows}x{ins.c.cols} but a·b is {m}x{n}")
            dataflow = machine.dataflow
            spatial = {"os": ((m, "m"), (n, "n")), "ws": ((k, "k"), (n, "n")),
                       "is": ((k, "k"), (m, "m"))}[dataflow]
            (s_r, r_name), (s_c, c_name) = spatial
            if s_r > R or s_c > C:
                fail(f"under {dataflow} the array holds {r_name} x {c_name} = {s_r}x{s_c}, which "
                     f"does not fit the {R}x{C} array ({r_name} <= {R}, {c_name} <= {C})")
            if dataflow in ("ws", "is"):
                operand, name = (ins.b, "b") if dataflow == "ws" else (ins.a, "a")
                if machine.stationary is None:
                    fail(f"under {dataflow} a compute needs a preload of {name} first")
                if machine.stationary != operand:
                    fail(f"under {dataflow} {name} ({operand}) must be the preloaded tile "
                         f"({machine.stationary})")
                if self.stationary_stale:
                    fail(f"the preloaded tile {machine.stationary} was overwritten after the "
                         f"preload")
        elif isinstance(ins, Vector):
            if ins.op not in VECTOR_OPS:
                fail(f"vector op must be one of {', '.join(VECTOR_OPS)}")
            self.region(index, ins, ins.dst, "the destination")
            self.region(index, ins, ins.a, "a")
            if ins.op in UNARY and ins.b is not None:
                fail(f"'{ins.op}' takes one operand")
            if ins.op not in UNARY:
                if ins.b is None:
                    fail(f"'{ins.op}' takes two operands")
                self.region(index, ins, ins.b, "b")
            for operand in (ins.a, ins.b):
                if operand is not None and (operand.rows, operand.cols) != (ins.dst.rows,
                                                                              ins.dst.cols):
                    fail(f"the operands must have the destination's shape "
                         f"{ins.dst.rows}x{ins.dst.cols}, not {operand.rows}x{operand.cols}")
        else:
            fail(f"not an npu instruction ({type(ins).__name__})")

    def after(self, ins: Instruction, dataflow_before: str) -> None:
        """Keep track of the preloaded tile once `ins` has run."""
        machine = self.machine
        if isinstance(ins, Preload):
            self.stationary_stale = False
        elif isinstance(ins, Config) and machine.dataflow != dataflow_before:
            machine.stationary = None
            self.stationary_stale = False
        elif machine.stationary is not None:
            if any(w.overlaps(machine.stationary) for w in ins.writes()):
                self.stationary_stale = True


def _name(dtype: np.dtype) -> str:
    return {np.dtype(np.float32): "f32", np.dtype(np.int8): "i8",
            np.dtype(np.int32): "i32"}.get(np.dtype(dtype), str(dtype))


# -- the simulation -------------------------------------------------------------------------


def _dram_buffers(program: Program, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    where = f"npu program '{program.name}'"
    names = [b.name for b in program.buffers]
    if len(set(names)) != len(names):
        raise TesseraError(f"{where}: buffer names must be unique ({', '.join(names)})")
    known = {b.name: b for b in program.buffers}
    for name in inputs:
        if name not in known or known[name].role != "in":
            ins = ", ".join(b.name for b in program.inputs) or "none"
            raise TesseraError(f"{where}: '{name}' is not an input buffer (inputs: {ins})")
    dram = {}
    for b in program.buffers:
        dtype = NUMPY[b.dtype]
        if b.role != "in":
            dram[b.name] = (np.full(b.size, b.value, dtype) if b.role == "const"
                            else np.zeros(b.size, dtype))
            continue
        if b.name not in inputs:
            raise TesseraError(f"{where}: no value given for the input '{b.name}'")
        value = np.asarray(inputs[b.name])
        if value.shape != tuple(b.shape):
            raise TesseraError(f"{where}: the input '{b.name}' must have shape "
                               f"{tuple(b.shape)}, got {value.shape}")
        if dtype.kind == "i":
            info = np.iinfo(dtype)
            if value.size and (value.dtype.kind not in "iub"
                               or value.min() < info.min or value.max() > info.max):
                raise TesseraError(f"{where}: the input '{b.name}' must hold integers in "
                                   f"[{info.min}, {info.max}] for its {b.dtype} buffer")
        dram[b.name] = np.ascontiguousarray(value, dtype=dtype).reshape(-1).copy()
    return dram


def simulate(program: Program, inputs: dict[str, np.ndarray], mode: str = "overlapped",
             trace: bool = False) -> SimResult:
    """Run `program` on `inputs` (its `in` buffers by name); see the module docstring."""
    if mode not in MODES:
        raise TesseraError(f"npu simulator: mode must be one of {', '.join(MODES)}, got "
                           f"'{mode}'")
    config = program.config
    machine = SimMachine(sp=np.zeros(config.sp_elements, _SP_NUMPY[config.dtype]),
                         acc=np.zeros(config.acc_elements, _ACC_NUMPY[config.acc_dtype]),
                         dram=_dram_buffers(program, inputs), dataflow=config.dataflow)
    verifier = _Verifier(program, machine)
    R, C = config.rows, config.cols
    latency, bandwidth = config.dma_latency, config.dma_bytes_per_cycle
    serial = mode == "scalesim"

    timelines = {"sp": _Timeline(), "acc": _Timeline()}
    dram_timelines = {name: _Timeline() for name in machine.dram}
    free = {"load": 0, "execute": 0, "store": 0}
    busy = {"load": 0, "execute": 0, "store": 0}
    floor = 0  # the last fence: nothing after it starts earlier
    end = 0  # the latest finish so far
    counts: dict[str, int] = {}
    events: list[TraceEvent] | None = [] if trace else None
    compute_cycles = macs = 0
    mapping = 0.0
    computes = 0
    sp_reads = sp_writes = acc_reads = acc_writes = dram_reads = dram_writes = 0

    for index, ins in enumerate(program.instructions):
        verifier.check(index, ins)
        dataflow = machine.dataflow
        queue = ins.queue
        reads = ins.reads()
        writes = ins.writes()
        dram_access = None  # (timeline, lo, hi, write)

        # the cost, and the traffic it causes
        if isinstance(ins, (Mvin, Mvout)):
            region = ins.dst if isinstance(ins, Mvin) else ins.src
            buffer = machine.dram[ins.dram]
            nbytes = region.size * buffer.itemsize
            cost = latency + -(-nbytes // bandwidth)
            lo = ins.offset
            hi = move_end(ins.offset, ins.stride, region.rows, region.cols,
                          getattr(ins, "cstride", 1))
            dram_access = (dram_timelines[ins.dram], lo, hi, isinstance(ins, Mvout))
            if isinstance(ins, Mvin):
                dram_reads += nbytes
            else:
                dram_writes += nbytes
        elif isinstance(ins, Preload):
            cost = R
            compute_cycles += cost
        elif isinstance(ins, Compute):
            m, k, n = ins.a.rows, ins.a.cols, ins.b.cols
            temporal, area = {"os": (k, m * n), "ws": (m, k * n), "is": (n, k * m)}[dataflow]
            cost = R + C + temporal - 2
            compute_cycles += cost
            macs += m * k * n
            mapping += area / (R * C)
            computes += 1
            # the stationary operand was read by its preload
            if dataflow == "ws":
                reads = tuple(r for r in reads if r is not ins.b)
            elif dataflow == "is":
                reads = tuple(r for r in reads if r is not ins.a)
        elif isinstance(ins, Vector):
            cost = -(-ins.dst.size // config.vector_lanes) + VECTOR_LATENCY
        else:  # config, fence
            cost = 0
        for r in reads:
            if r.memory == "sp":
                sp_reads += r.size
            else:
                acc_reads += r.size
        for w in writes:
            if w.memory == "sp":
                sp_writes += w.size
            else:
                acc_writes += w.size

        # when it starts
        if serial:
            start = end
        elif isinstance(ins, Fence):
            start = floor = end
        elif isinstance(ins, Config):
            start = max(floor, free["execute"])
        else:
            start = max(floor, free[queue])
            for r in ins.reads():
                start = max(start, timelines[r.memory].ready(r.addr, r.end, False))
            for w in writes:
                start = max(start, timelines[w.memory].ready(w.addr, w.end, True))
            if dram_access is not None:
                timeline, lo, hi, write = dram_access
                start = max(start, timeline.ready(lo, hi, write))
        finish = start + cost
        end = max(end, finish)
        if queue in free:
            free[queue] = finish
            busy[queue] += cost
        if not serial:
            for r in ins.reads():
                timelines[r.memory].record(r.addr, r.end, finish, False)
            for w in writes:
                timelines[w.memory].record(w.addr, w.end, finish, True)
            if dram_access is not None:
                timeline, lo, hi, write = dram_access
                timeline.record(lo, hi, finish, write)
        counts[ins.mnemonic] = counts.get(ins.mnemonic, 0) + 1
        if events is not None:
            events.append(TraceEvent(index, ins.mnemonic, queue, start, cost, ins.asm()))

        # what it does
        try:
            ins.run(machine)
        except (IndexError, ValueError) as e:  # the verifier should have caught it
            verifier.fail(index, ins, str(e))
        verifier.after(ins, dataflow)

    report = Report(
        mode=mode, program=program.name, rows=R, cols=C, dataflow=config.dataflow,
        dtype=config.dtype, instructions=len(program.instructions), counts=counts,
        total_cycles=end, busy=busy, compute_cycles=compute_cycles, macs=macs,
        utilization=macs / (R * C * compute_cycles) if compute_cycles else 0.0,
        mapping_efficiency=mapping / computes if computes else 0.0,
        sp_reads=sp_reads, sp_writes=sp_writes, acc_reads=acc_reads, acc_writes=acc_writes,
        dram_reads=dram_reads, dram_writes=dram_writes, seconds=config.seconds(end))
    outputs = {b.name: machine.dram[b.name].reshape(b.shape).copy() for b in program.outputs}
    return SimResult(outputs, report, events)


# -- the trace ------------------------------------------------------------------------------

_TIDS = {"issue": 0, "load": 1, "execute": 2, "store": 3}


def chrome_trace(result: SimResult) -> dict:
    """The trace as Chrome trace-event JSON: one complete ("X") event per instruction, a
    thread per queue, a cycle shown as a microsecond."""
    if result.trace is None:
        raise TesseraError("npu simulator: no trace to write; simulate with trace=True")
    pid = 1
    events: list[dict] = [{"name": "process_name", "ph": "M", "pid": pid, "tid": 0,
                           "args": {"name": f"npu {result.report.program} "
                                            f"({result.report.mode}, 1 us = 1 cycle)"}}]
    for queue, tid in _TIDS.items():
        events.append({"name": "thread_name", "ph": "M", "pid": pid, "tid": tid,
                       "args": {"name": queue}})
        events.append({"name": "thread_sort_index", "ph": "M", "pid": pid, "tid": tid,
                       "args": {"sort_index": tid}})
    for e in result.trace:
        events.append({"name": e.name, "cat": e.queue, "ph": "X", "ts": e.start,
                       "dur": e.duration, "pid": pid, "tid": _TIDS.get(e.queue, 0),
                       "args": {"index": e.index, "asm": e.asm}})
    return {"traceEvents": events}


def write_chrome_trace(result: SimResult, path: str | Path) -> Path:
    """Write `chrome_trace(result)` to `path` atomically (a temporary file, then a rename)."""
    path = Path(path)
    data = chrome_trace(result)
    directory = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp's 0600 would outlive the rename
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return path
