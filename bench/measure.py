"""Compiling the contenders of a case, checking each once, timing them interleaved.

Timing is round-robin: each of R rounds times every contender in turn (the starting one
rotating), so drift and noise of the machine land on all contenders alike. A round's sample
for a contender is the median of its calls in that round, after one warm-up call. With more
than one thread each turn starts after a short sleep: OpenBLAS's and OpenMP's worker threads
spin for a while after a call and would otherwise steal the cores of the next contender.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from bench.cases import Case

RTOL = 1e-3
ATOL = 1e-3  # times the largest magnitude of the reference


@dataclass
class Contender:
    """One implementation of a case: a timed call and a way to get its result once."""

    name: str
    call: Callable[[], object] | None = None
    result: Callable[[], np.ndarray] | None = None
    status: str = "ok"  # ok | wrong | failed | skipped
    note: str = ""
    compile_s: float | None = None
    max_abs_err: float | None = None


@dataclass
class Measurement:
    """What the report needs of one contender at one thread count."""

    case: str
    threads: int
    contender: str
    flops: int
    status: str
    note: str = ""
    samples_s: list[float] = field(default_factory=list)  # one per round
    calls_per_round: int = 0
    compile_s: float | None = None
    max_abs_err: float | None = None


# --- contenders ---------------------------------------------------------------------------

def tessera_contender(name: str, case: Case, inputs: list[np.ndarray], schedules,
                      tuning_db=None, **options) -> Contender:
    """Compile once (lowering and gcc, timed), bind the inputs once for the timed call.
    `tuning_db`: as `tessera.compile` takes it (a path, "none", or None for the default
    database when it exists); `options` go to the C backend (`optimize=False`)."""
    started = time.perf_counter()
    try:
        import tessera

        program = tessera.compile(case.source, target="c", bindings=case.bindings,
                                  schedules=schedules, tuning_db=tuning_db, **options)
        function = program.function(case.entry)
        arrays, bindings = function.prepare(*inputs)
        compiled = program.compiled(function.syntax, bindings)
    except Exception as e:  # a compiler error is a row of the table, not the end of the run
        return Contender(name, status="failed", note=_one_line(e))
    compile_s = time.perf_counter() - started
    c_function = getattr(compiled, "c_function", None)
    call = c_function.prepare(*arrays) if c_function else (lambda: compiled(*arrays))
    return Contender(name, call=call, result=lambda: compiled(*arrays)[0],
                     compile_s=compile_s)


def numpy_contender(case: Case, inputs: list[np.ndarray]) -> Contender:
    call = case.numpy_peer(inputs)
    return Contender("numpy", call=call, result=lambda: np.asarray(call()))


def torch_contender(case: Case, inputs: list[np.ndarray]) -> Contender:
    call = case.torch_peer(inputs)
    return Contender("torch", call=call, result=lambda: call().numpy())


def check(contender: Contender, reference: np.ndarray) -> None:
    """Run once and compare with the NumPy result; a wrong result is marked, never timed."""
    if contender.status != "ok":
        return
    try:
        result = np.asarray(contender.result())
    except Exception as e:
        contender.status, contender.note = "failed", _one_line(e)
        return
    if result.shape != reference.shape:
        contender.status = "wrong"
        contender.note = f"shape {result.shape}, expected {reference.shape}"
        return
    diff = np.abs(result.astype(np.float64) - reference.astype(np.float64))
    worst = float(np.nanmax(diff)) if diff.size and not np.isnan(diff).all() else 0.0
    contender.max_abs_err = worst if np.isfinite(worst) else None
    scale = float(np.nanmax(np.abs(reference))) if reference.size else 0.0
    if not np.allclose(result, reference, rtol=RTOL, atol=ATOL * max(scale, 1.0),
                       equal_nan=True):
        contender.status = "wrong"
        contender.note = f"max abs err {worst:.3g} (max |ref| {scale:.3g})"


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"[:200]


# --- threads ------------------------------------------------------------------------------

def thread_controls() -> tuple[dict[str, bool], list[str]]:
    """Which libraries' thread counts can be set here, and notes on those that cannot."""
    controls = {"tessera": True, "openblas": True, "torch": "torch" in sys.modules}
    notes = []
    if importlib.util.find_spec("threadpoolctl") is None:
        controls["openblas"] = False
        notes.append("threadpoolctl is not installed: OpenBLAS ran with its default threads")
    return controls, notes


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run the block with `n` threads in tessera, OpenBLAS (threadpoolctl) and PyTorch."""
    from tessera.targets.c import runner

    runner.set_num_threads(n)
    torch = sys.modules.get("torch")
    torch_before = torch.get_num_threads() if torch else None
    if torch:
        torch.set_num_threads(n)
    with contextlib.ExitStack() as stack:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            pass
        else:
            stack.enter_context(threadpool_limits(limits=n, user_api="blas"))
        try:
            yield
        finally:
            if torch:
                torch.set_num_threads(torch_before)


# --- timing -------------------------------------------------------------------------------

def time_interleaved(
    contenders: list[Contender],
    *,
    rounds: int,
    repeat: int | None,
    round_time: float,
    max_call_s: float,
    settle: float = 0.0,
) -> dict[str, tuple[list[float], int, str]]:
    """{name: (one sample per round, calls per round, note)} for the contenders still ok.

    Calls per round: `repeat`, else as many as fit in `round_time` (1..1000). A contender
    whose one call takes over `max_call_s` is timed once only (calls per round 0). Each turn
    starts after `settle` seconds of sleep, for the previous library's spinning threads.
    """
    from tessera.targets.c.runner import median_seconds

    live = [c for c in contenders if c.status == "ok"]
    out: dict[str, tuple[list[float], int, str]] = {}
    for c in live:
        time.sleep(settle)
        once = median_seconds(c.call, repeat=1, warmup=1)
        if once < 0.1:  # not one unlucky call: the calls per round depend on it
            once = median_seconds(c.call, repeat=5, warmup=0)
        if once > max_call_s:
            out[c.name] = ([once], 0, f"timed once: {once:.1f} s per call")
        else:
            calls = repeat or int(min(1000, max(1, round_time / max(once, 1e-9))))
            out[c.name] = ([], calls, "")
    for r in range(rounds):
        for c in live[r % len(live):] + live[:r % len(live)]:
            samples, calls, _ = out[c.name]
            if calls:
                time.sleep(settle)
                samples.append(median_seconds(c.call, repeat=calls, warmup=1))
    return out


def measure_case(case: Case, contenders: list[Contender], n_threads: int, *,
                 settle: float = 0.0, **timing) -> list[Measurement]:
    """Time the contenders of `case` at `n_threads` threads, one Measurement each."""
    with threads(n_threads):
        timed = time_interleaved(contenders, settle=settle if n_threads > 1 else 0.0,
                                 **timing)
    rows = []
    for c in contenders:
        samples, calls, note = timed.get(c.name, ([], 0, ""))
        rows.append(Measurement(
            case=case.name, threads=n_threads, contender=c.name, flops=case.flops,
            status=c.status, note="; ".join(x for x in (c.note, note) if x),
            samples_s=samples, calls_per_round=calls, compile_s=c.compile_s,
            max_abs_err=c.max_abs_err))
    return rows
