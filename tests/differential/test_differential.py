"""Differential testing: random well-typed programs agree on every target.

Each seed makes a random program (`generator.py`: 1-6 chained ops, random shapes with 1s
and primes; f32 mostly, some f64, i32 and int8-quantized) and runs it, on the seeded
`example_inputs`, on the reference interpreter and on

- `c` with the default schedules, and for every third program also with a random schedule
  for each of its ops (`random_schedule`, as in `tests/lowering/test_schedule_sweep.py`);
- `cuda-emu` (the CUDA source on the CPU emulation of the CUDA execution model) with the
  default GPU schedules, and for every third program also under one of `GPU_SCHEDULES`
  (small tiles, so programs span several blocks with ragged edges; staged or not);
- `loops` (the xDSL loop interpreter) when the program's iteration count is tiny;
- `npu` on two dataflows (output-stationary and one of weight/input-stationary, the
  latter sometimes with direct convolutions, sometimes on a 4x4 array with small memories);
  the int8 NPU for integer programs. An op the NPU does not run yet makes that run "not
  covered", not a failure.

Every result must agree with the reference under `compiler.agreement.compare`. A mismatch
(or a target raising) is shrunk greedily (smaller sizes from the same seed, then fewer ops)
and saved as `regressions/<hash>.tsr` with a header naming the target and seed; the test
then fails with that path. `test_saved_regression` reruns every saved file on all targets,
so a fixed bug stays fixed (a file with an `# xfail:` header line is a known open bug and
runs as a strict xfail). Failures that match an open bug in `KNOWN_BUGS` are counted as
"known bug" rather than failing the random tests (TESSERA_DIFFERENTIAL_STRICT=1 fails them).

    pytest tests/differential                              # the CI size (60 programs)
    TESSERA_DIFFERENTIAL=2000 pytest tests/differential    # thousands
    TESSERA_DIFFERENTIAL_SEED=10000 ...                    # another range of seeds

The coverage numbers (programs run; per target run / not covered) are printed at the end
of the session (see `conftest.py`) and checked by `test_coverage`.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare
from tessera.compiler.diagnostics import TesseraError

sys.path.insert(0, str(Path(__file__).parent))
from case_model import ENTRY, Case, render, simplifications  # noqa: E402
from generator import random_case  # noqa: E402

N = int(os.environ.get("TESSERA_DIFFERENTIAL", "60"))
BASE_SEED = int(os.environ.get("TESSERA_DIFFERENTIAL_SEED", "0"))
LOOPS_MAX_WORK = 3000  # iterations the loop interpreter runs in well under a second
SHRINK_SECONDS = float(os.environ.get("TESSERA_DIFFERENTIAL_SHRINK_SECONDS", "180"))
REGRESSIONS = Path(__file__).parent / "regressions"
# Known bugs fail the random tests too (see KNOWN_BUGS).
STRICT = os.environ.get("TESSERA_DIFFERENTIAL_STRICT", "") not in ("", "0")
# What the NPU backend says about a program it cannot run (yet): not covered, not a bug.
NPU_NOT_COVERED = ("does not run on the NPU yet", "the NPU holds",
                   "on an array that multiplies", "an i8 array multiplies")


@dataclass(frozen=True)
class Variant:
    """One way of running a program: a target, its options, a schedule seed (C only)."""

    label: str
    target: str
    options: tuple = ()
    schedule_seed: int | None = None

    def header(self) -> str:
        extra = f" schedule_seed={self.schedule_seed}" if self.schedule_seed is not None else ""
        opts = "".join(f" {k}={v}" for k, v in self.options)
        return f"{self.label} (target {self.target}{opts}{extra})"


# A small array with small memories: even small programs get tiled and folded.
NPU_SMALL = "rows=4,cols=4,sp_bytes=4096,acc_bytes=2048,vector_lanes=4"


def npu_variant(dtype: str, dataflow: str, conv: str = "im2col", small: bool = False
                ) -> Variant:
    config = (f"gemmini,dataflow={dataflow}" + (",dtype=i8" if dtype == "i8" else "")
              + (f",{NPU_SMALL}" if small else ""))
    options = (("config", config),) + ((("conv", conv),) if conv != "im2col" else ())
    label = f"npu-{dataflow}" + ("-direct" if conv != "im2col" else "") + \
        ("-small" if small else "")
    return Variant(label, "npu", options)


# GPU schedules the CUDA emulation runs programs under besides the default: small blocks
# and tiles (so small shapes span several blocks and ragged edges), with and without
# shared-memory staging, and a short block for the pointwise and reduction kernels.
GPU_SCHEDULES = ("block=16,32 thread=2,4 k_tile=4 threads=64",
                 "block=8,16 thread=1,2 k_tile=3 stage=false threads=32",
                 "block=32,8 thread=4,1 k_tile=5 threads=96")


def cuda_variant(seed: int | None = None) -> Variant:
    if seed is None:
        return Variant("cuda-emu", "cuda-emu")
    options = GPU_SCHEDULES[seed % len(GPU_SCHEDULES)]
    return Variant(f"cuda-emu-{seed % len(GPU_SCHEDULES)}", "cuda-emu",
                   (("gpu_options", options),))


def variants(case: Case, seed: int) -> list[Variant]:
    out = [Variant("c", "c"), cuda_variant()]
    if seed % 3 == 0:
        out.append(Variant("c-sched", "c", schedule_seed=seed))
    if seed % 3 == 1:
        out.append(cuda_variant(seed // 3))
    if case.work <= LOOPS_MAX_WORK:
        out.append(Variant("loops", "loops"))
    dtype = "i8" if case.flavor in ("i8", "i32") else "f32"  # the int8 NPU runs i32 too
    out.append(npu_variant(dtype, "os"))
    conv = "direct" if seed % 4 == 1 else "im2col"
    out.append(npu_variant(dtype, ("ws", "is")[seed % 2], conv, small=seed % 5 < 2))
    return out


def all_variants(schedule_seed: int | None = None) -> list[Variant]:
    """Every target, for the saved regressions (which are small)."""
    out = [Variant("c", "c"), Variant("loops", "loops"), cuda_variant(),
           *(cuda_variant(i) for i in range(len(GPU_SCHEDULES)))]
    if schedule_seed is not None:
        out.append(Variant("c-sched", "c", schedule_seed=schedule_seed))
    for dtype in ("f32", "i8"):
        for dataflow in ("os", "ws", "is"):
            out.append(npu_variant(dtype, dataflow))
        out.append(npu_variant(dtype, "ws", "direct"))
        out.append(npu_variant(dtype, "is", small=True))
    return out


@dataclass(frozen=True)
class KnownBug:
    """An open bug the generator keeps hitting: a failure of a target whose label starts
    with one of `targets`, of `kind`, whose detail matches `detail` and whose program
    matches `source`, counts as "known bug" instead of failing the random tests (set
    TESSERA_DIFFERENTIAL_STRICT=1 to fail anyway). Its saved `regression` runs as a strict
    xfail, so fixing the bug turns that test red until this entry and the file's `# xfail:`
    line go."""

    regression: str
    targets: tuple[str, ...]
    kind: str
    detail: str = ""
    source: str = ""
    integer_only: bool = False  # only programs with integer parameters

    def matches(self, variant: Variant, result: Outcome, source: str) -> bool:
        return (variant.label.startswith(self.targets) and result.kind == self.kind
                and re.search(self.detail, result.detail, re.S) is not None
                and re.search(self.source, source, re.M) is not None
                and (not self.integer_only or integer_program(source)))


def integer_program(source: str) -> bool:
    return re.search(r"\bi(8|32)\[", source.split("->")[0]) is not None


# Open bugs (none now): each entry names its saved regression, whose `# xfail:` line keeps
# it a strict xfail until the bug is fixed. The seven bugs this harness found first are
# fixed; their regressions under regressions/ now run as ordinary tests.
KNOWN_BUGS: list[KnownBug] = []


def known_bug(variant: Variant, result: Outcome, source: str) -> KnownBug | None:
    return next((b for b in KNOWN_BUGS if b.matches(variant, result, source)), None)


# ---- running ---------------------------------------------------------------------------


def as_list(result) -> list[np.ndarray]:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def scheduled_c(source: str, seed: int):
    """The entry compiled to C with its own seeded random schedule for every op (the
    approach of tests/lowering/test_schedule_sweep.py)."""
    from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation

    from tessera.compiler.pipelines import run_pipeline
    from tessera.compiler.registry import make_context
    from tessera.compiler.schedule import random_schedule
    from tessera.lowering.schedule import (
        SCHEDULE_ATTR,
        epilogue_chain,
        loop_nest,
        schedulable,
        schedule_to_attr,
    )
    from tessera.targets.c.runner import compile_module

    module = tessera.compile(source, target="c").lower(ENTRY, "buffers")
    rng = random.Random(seed)
    fused = set()
    for op in list(module.walk()):
        if not isinstance(op, LinalgStructuredOperation) or op in fused or not schedulable(op):
            continue
        chain = epilogue_chain(op, 4, fused)
        schedule = random_schedule(loop_nest(op), rng, fusable=len(chain))
        fused.update(chain[:schedule.fuse])
        op.attributes[SCHEDULE_ATTR] = schedule_to_attr(schedule)
    run_pipeline("schedule{heuristic=false},linalg-to-loops,lower-affine,canonicalize,cse",
                 make_context(), module)
    return compile_module(module)[ENTRY]


def run(source: str, variant: Variant, inputs) -> list[np.ndarray]:
    if variant.schedule_seed is not None:
        return as_list(scheduled_c(source, variant.schedule_seed)(*inputs))
    program = tessera.compile(source, target=variant.target, **dict(variant.options))
    return as_list(program.function(ENTRY)(*inputs))


def reference(source: str, seed: int):
    program = tessera.compile(source, target="interp")
    inputs = program.example_inputs(ENTRY, seed=seed)
    return inputs, as_list(program.function(ENTRY)(*inputs))


@dataclass(frozen=True)
class Outcome:
    kind: str  # "ok", "not-covered", "mismatch", "error"
    detail: str = ""

    @property
    def failed(self) -> bool:
        return self.kind in ("mismatch", "error")

    def signature(self) -> str:
        """What a shrunk program must reproduce: the kind, and for errors the exception."""
        return self.kind if self.kind != "error" else self.detail.split(":", 1)[0]


def outcome(source: str, variant: Variant, inputs, expected) -> Outcome:
    try:
        got = run(source, variant, inputs)
    except TesseraError as e:
        if variant.target == "npu" and any(s in str(e) for s in NPU_NOT_COVERED):
            return Outcome("not-covered", str(e).splitlines()[0])
        return Outcome("error", f"TesseraError: {e}")
    except Exception as e:  # a crash in a target is a bug like a wrong answer
        return Outcome("error", f"{type(e).__name__}: {e}")
    if len(got) != len(expected):
        return Outcome("mismatch", f"{len(got)} results, the reference has {len(expected)}")
    details = []
    for i, (g, want) in enumerate(zip(got, expected)):
        agreement = compare(g, want)
        if not agreement.ok:
            g = np.asarray(g)
            if g.shape != want.shape or g.dtype != want.dtype:
                details.append(f"result {i}: {g.dtype}{list(g.shape)}, the reference has "
                               f"{want.dtype}{list(want.shape)}")
            else:
                details.append(f"result {i}: {agreement}")
    return Outcome("mismatch", "; ".join(details)) if details else Outcome("ok")


# ---- shrinking and saving --------------------------------------------------------------


def reproduces(case: Case, variant: Variant, seed: int, signature: str) -> bool:
    source = render(case)
    try:
        inputs, expected = reference(source, seed)
    except Exception:
        return False  # not a valid program (or the reference fails): not this bug
    result = outcome(source, variant, inputs, expected)
    return result.failed and result.signature() == signature


def size(case: Case) -> tuple:
    return (len(case.steps), case.max_elems, case.work, len(render(case)))


def shrink(case: Case, variant: Variant, seed: int, signature: str) -> Case:
    """A greedy shrink: the same seed with every size capped small, then fewer ops, as long
    as `variant` still fails the same way."""
    deadline = time.monotonic() + SHRINK_SECONDS
    for cap in (1, 2, 3, 5):
        smaller = random_case(random.Random(seed), size_cap=cap)
        if size(smaller) < size(case) and reproduces(smaller, variant, seed, signature):
            case = smaller
            break
    progress = True
    while progress and time.monotonic() < deadline:
        progress = False
        for candidate in simplifications(case):
            if time.monotonic() > deadline:
                break
            if size(candidate) < size(case) and reproduces(candidate, variant, seed, signature):
                case, progress = candidate, True
                break
    return case


def save_regression(source: str, variant: Variant, seed: int, result: Outcome) -> Path:
    """Save a shrunk failing program (named by its hash, kept if already saved)."""
    REGRESSIONS.mkdir(exist_ok=True)
    digest = hashlib.sha1(source.encode()).hexdigest()[:12]
    path = REGRESSIONS / f"{digest}.tsr"
    if path.exists():
        return path
    header = [
        f"# differential regression: {variant.header()} disagrees with the reference",
        f"# target: {variant.label}",
        f"# seed: {seed} (program seed; the inputs are example_inputs(seed={seed}))",
    ]
    if variant.schedule_seed is not None:
        header.append(f"# schedule_seed: {variant.schedule_seed}")
    header.append(f"# found: {result.kind}: {' '.join(result.detail.split())[:300]}")
    path.write_text("\n".join(header) + "\n" + source)
    return path


# ---- coverage --------------------------------------------------------------------------

COVERAGE: dict = {"programs": 0, "flavors": Counter(), "run": Counter(),
                  "not covered": Counter(), "skipped": Counter(), "known bug": Counter(),
                  "targets": Counter(), "ops": Counter(), "seconds": 0.0}


def coverage_lines() -> list[str]:
    c = COVERAGE
    if not c["programs"]:
        return []
    lines = [f"differential: {c['programs']} programs ({dict(c['flavors'])}) in "
             f"{c['seconds']:.1f} s"]
    lines.append("  programs run per target (on at least one variant): " + ", ".join(
        f"{t} {n}" for t, n in sorted(c["targets"].items())))
    labels = sorted(set(c["run"]) | set(c["not covered"]) | set(c["skipped"]))
    for label in labels:
        lines.append(f"  {label:20} run {c['run'][label]:5} (known bug {c['known bug'][label]:3})"
                     f"   not covered {c['not covered'][label]:5}"
                     f"   skipped {c['skipped'][label]:5}")
    lines.append("  ops: " + ", ".join(f"{k} {v}" for k, v in sorted(c["ops"].items())))
    return lines


# ---- the tests -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(BASE_SEED, BASE_SEED + N))
def test_random_program_agrees(seed):
    start = time.monotonic()
    case = random_case(random.Random(seed))
    source = render(case)
    try:
        inputs, expected = reference(source, seed)
    except Exception as e:
        pytest.fail(f"seed {seed}: the generated program fails on the reference "
                    f"({type(e).__name__}: {e})\n{source}")
    COVERAGE["programs"] += 1
    COVERAGE["flavors"][case.flavor] += 1
    COVERAGE["ops"].update(s.kind for s in case.steps)
    chosen = variants(case, seed)
    if not any(v.label == "loops" for v in chosen):
        COVERAGE["skipped"]["loops"] += 1
    if not any(v.label == "c-sched" for v in chosen):
        COVERAGE["skipped"]["c-sched"] += 1
    failures = []
    ran_on = set()
    for variant in chosen:
        result = outcome(source, variant, inputs, expected)
        if result.kind != "not-covered":
            ran_on.add(variant.target)
        if result.kind == "ok":
            COVERAGE["run"][variant.label] += 1
        elif result.kind == "not-covered":
            COVERAGE["not covered"][variant.label] += 1
        else:
            COVERAGE["run"][variant.label] += 1
            if not STRICT and known_bug(variant, result, source):
                COVERAGE["known bug"][variant.label] += 1
                continue
            failures.append((variant, result))
    COVERAGE["targets"].update(ran_on)
    COVERAGE["seconds"] += time.monotonic() - start
    if not failures:
        return
    messages = []
    shrunk: list[Case] = []
    for variant, result in failures:
        signature = result.signature()
        # Several variants (dataflows, say) often fail on one bug: try the programs already
        # shrunk before shrinking again.
        small = next((c for c in shrunk if reproduces(c, variant, seed, signature)), None)
        if small is None:
            small = shrink(case, variant, seed, signature)
            shrunk.append(small)
        small_source = render(small)
        try:
            small_inputs, small_expected = reference(small_source, seed)
            small_result = outcome(small_source, variant, small_inputs, small_expected)
        except Exception:
            small_source, small_result = source, result
        if not small_result.failed:
            small_source, small_result = source, result
        path = save_regression(small_source, variant, seed, small_result)
        messages.append(f"{variant.header()}: {result.kind}: {result.detail[:500]}\n"
                        f"  shrunk to {path}:\n{small_source}")
    pytest.fail(f"seed {seed} ({case.description()}):\n{source}\n" + "\n".join(messages))


def test_coverage():
    """Every target ran some programs (when enough programs ran to expect it)."""
    for line in coverage_lines():
        print(line)
    if COVERAGE["programs"] < 40:
        pytest.skip("too few programs ran in this session to judge coverage")
    for label in ("c", "c-sched", "cuda-emu", "loops", "npu-os"):
        assert COVERAGE["run"][label] > 0, f"no program ran on {label}: {coverage_lines()}"
    # The CUDA emulation runs every program.
    assert COVERAGE["targets"]["cuda-emu"] == COVERAGE["programs"], coverage_lines()
    # The NPU runs a fair share (matmul, conv2d, pooling, elementwise chains, ...).
    assert COVERAGE["targets"]["npu"] >= COVERAGE["programs"] // 5, coverage_lines()


def test_known_bugs_have_regressions():
    for bug in KNOWN_BUGS:
        path = REGRESSIONS / bug.regression
        assert path.exists(), f"{path} is missing"
        assert "xfail" in read_header(path), f"{path} has no '# xfail:' line"


# ---- saved regressions -----------------------------------------------------------------


def read_header(path: Path) -> dict[str, str]:
    fields = {}
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(":")
        fields[key.strip()] = value.strip()
    return fields


def regression_params():
    params = []
    for path in sorted(REGRESSIONS.glob("*.tsr")):
        fields = read_header(path)
        marks = ()
        if "xfail" in fields:
            marks = pytest.mark.xfail(strict=True, reason=fields["xfail"])
        params.append(pytest.param(path, marks=marks, id=path.stem))
    return params


@pytest.mark.parametrize("path", regression_params())
def test_saved_regression(path):
    fields = read_header(path)
    seed = int(fields.get("seed", "0").split()[0])
    schedule_seed = int(fields["schedule_seed"]) if "schedule_seed" in fields else None
    source = path.read_text()
    inputs, expected = reference(source, seed)
    integer = integer_program(source)
    failures = []
    for variant in all_variants(schedule_seed):
        if variant.target == "npu" and ("dtype=i8" in dict(variant.options)["config"]) != \
                integer:
            continue
        result = outcome(source, variant, inputs, expected)
        if result.failed:
            failures.append(f"{variant.header()}: {result.kind}: {result.detail[:500]}")
    assert not failures, f"{path}:\n" + "\n".join(failures)
