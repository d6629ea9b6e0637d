"""`memory-plan` and the peak-memory report: exact figures on a program small enough to work
out by hand, the plan's invariants on every example, and every example run with the plan
(poisoned, and under ASan/UBSan) on the C target and the CUDA emulation against the
reference."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import func, memref

import tessera
from tessera.compiler.agreement import compare
from tessera.compiler.api import Program, default_entry
from tessera.compiler.pipelines import c_pipeline, run_pipeline
from tessera.compiler.registry import make_context
from tessera.lowering import memory_plan
from tessera.lowering.memory_plan import (
    ALIGNMENT,
    buffers_sharing_bytes,
    format_bytes,
    peak_intermediate_bytes,
    plan_function,
)
from tessera.targets.cuda.backend import cuda_pipeline

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

# Four matmuls in a row. At the buffers level h1 (8x32 f32, 1024 B), h2 (8x64, 2048 B) and
# h3 (8x16, 512 B) are intermediates; each is live from its fill to the matmul that reads
# it, so h1 and h3 never meet. Largest first: h2 at 0, h1 after it at 2048 (they meet in
# the second matmul), h3 at 2048 too (it meets h2 only): an arena of 3072 bytes. Without
# reuse all three are allocated until the return: 3584 bytes.
CHAIN = """\
def chain(x: f32[8, 16], w1: f32[16, 32], w2: f32[32, 64], w3: f32[64, 16],
          w4: f32[16, 4]) -> f32[8, 4] {
  h1 = x @ w1
  h2 = h1 @ w2
  h3 = h2 @ w3
  return h3 @ w4
}
"""

# (example, entry, bindings): every example, small enough for the sanitized runs.
RUNS = [("matmul", "matmul", {}), ("mlp", "mlp", {"B": 3}), ("lenet5", "lenet5", {}),
        ("lenet5_int8", "lenet5_int8", {}),
        ("resnet_block", "resnet_block", {"C": 4, "H": 7, "W": 5}),
        ("attention", "attention", {"T": 5, "D": 7}), ("bmm", "bmm", {})]
IDS = [run[0] for run in RUNS]
# Every example (run at its default entry and sizes).
EVERY_EXAMPLE = sorted(path.stem for path in EXAMPLES.glob("*.tsr"))
MEMORY = memory_plan.MEMORY_ATTR


def with_plan(spec: str, options: str = "") -> str:
    """`spec` with `memory-plan{options}` at its end, or in place of the one it has."""
    step = f"memory-plan{{{options}}}" if options else "memory-plan"
    if re.search(r"\bmemory-plan\b", spec):
        return re.sub(r"\bmemory-plan(\{[^}]*\})?", step, spec)
    return f"{spec},{step}"


def default_entry_of(example: str) -> str:
    path = EXAMPLES / f"{example}.tsr"
    return default_entry(Program(path.read_text(), str(path))._syntax, str(path))


def lowered(example: str, entry: str, bindings: dict, spec: str):
    program = tessera.compile(EXAMPLES / f"{example}.tsr", bindings=bindings)
    module = program.graph(entry)
    run_pipeline(spec, make_context(), module)
    return program, module


def reference(example: str, entry: str, bindings: dict, inputs) -> list[np.ndarray]:
    interp = tessera.compile(EXAMPLES / f"{example}.tsr", target="interp", bindings=bindings)
    results = interp.function(entry)(*inputs)
    return list(results) if isinstance(results, tuple) else [results]


def assert_agrees(got, want) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        agreement = compare(np.asarray(g), w)
        assert agreement.ok, agreement


def run_emulated(module, entry: str, inputs, sanitize: bool) -> list[np.ndarray]:
    """@`entry` of a CUDA-level `module` on the emulation, as the cuda-emu backend runs it."""
    from tessera.targets.cuda.backend import bind
    from tessera.targets.cuda.build import build_emulated
    from tessera.targets.cuda.emitter import cuda_signatures, emit_cuda
    from tessera.targets.cuda.runner import call_emulated, call_emulated_sanitized

    source, signature = emit_cuda(module), cuda_signatures(module)[entry]
    arguments, outputs = bind(signature, inputs)
    library = build_emulated(source, sanitize=sanitize)
    if sanitize:
        call_emulated_sanitized(library, signature.c_name, arguments, source=source)
    else:
        call_emulated(library, signature.c_name, arguments)
    return outputs


def arenas(module) -> list[memref.AllocOp]:
    return [op for op in module.walk() if isinstance(op, memref.AllocOp)
            and op.memref.name_hint == "arena"]


# -- the figures ---------------------------------------------------------------------------


def test_report_of_a_matmul_chain_is_worked_out_by_hand():
    report = Program(CHAIN, "<chain>", target="interp").memory_report("chain")
    assert (report.planned, report.unplanned) == (3072, 3584)
    assert report.format() == "peak intermediate memory: 3.0 KiB (planned), 3.5 KiB without reuse"
    assert report.functions["chain"].arena == 3072
    assert report.functions["chain"].buffers == 3


def test_the_pass_records_what_the_report_predicts_and_reuse_false_keeps_buffers_apart():
    program = Program(CHAIN, "<chain>", target="interp")
    module = program.graph("chain")
    run_pipeline("lower-to-buffers", make_context(), module)
    predicted = peak_intermediate_bytes(module, "chain")
    run_pipeline("memory-plan", make_context(), module)
    assert peak_intermediate_bytes(module, "chain") == predicted
    [arena] = arenas(module)
    assert arena.memref.type.get_shape() == (3072,)
    views = [op for op in module.walk() if isinstance(op, memref.ViewOp)]
    offsets = [op.byte_shift.owner.value.value.data for op in views]
    assert offsets == [2048, 0, 2048]  # h1, h2, h3 in program order

    separate = program.graph("chain")
    run_pipeline("lower-to-buffers,memory-plan{reuse=false}", make_context(), separate)
    offsets = [op.byte_shift.owner.value.value.data for op in separate.walk()
               if isinstance(op, memref.ViewOp)]
    assert offsets == [0, 1024, 3072]
    report = peak_intermediate_bytes(separate, "chain")
    assert (report.planned, report.unplanned) == (3584, 3584)


def test_a_callers_figures_include_its_callees_at_the_call():
    program = tessera.compile(EXAMPLES / "lenet5.tsr")
    for level in ("c", "cuda-emu"):
        module = program.graph("lenet5")
        run_pipeline(Program(program.text, program.filename, level).lowering_spec(),
                     make_context(), module)
        run_pipeline("memory-plan", make_context(), module)
        report = peak_intermediate_bytes(module, "lenet5")
        caller, callee = report.functions["lenet5"], report.functions["features"]
        # The caller's arena lives across the call; nothing else of its own is left out.
        assert report.planned == caller.peak == caller.arena + callee.peak
        assert callee.peak < callee.unplanned  # the features share bytes
        # Unplanned, the caller holds %h (1x400 f32) when it calls features.
        assert caller.unplanned >= 1600 + callee.unplanned


def test_bytes_are_formatted_in_binary_units():
    assert [format_bytes(n) for n in (0, 1023, 1024, 12_595, 3 << 20)] == \
        ["0 B", "1023 B", "1.0 KiB", "12.3 KiB", "3.0 MiB"]


# -- the plan's invariants -----------------------------------------------------------------


@pytest.mark.parametrize("spec", ["lower-to-c", "lower-to-cuda"])
@pytest.mark.parametrize("example", EVERY_EXAMPLE)
def test_buffers_sharing_bytes_are_never_live_together(example, spec):
    _, module = lowered(example, default_entry_of(example), {}, spec)
    figures = {}
    functions = memory_plan.functions_callees_first(module)
    defined = {fn.sym_name.data for fn in functions}
    for fn in functions:
        plan = plan_function(fn, figures, defined)
        figures[fn.sym_name.data] = plan.memory
        for a, b in buffers_sharing_bytes(plan):
            assert not a.conflicts(b), (fn.sym_name.data, a.alloc.memref.name_hint,
                                        b.alloc.memref.name_hint)
        for buffer, offset in zip(plan.buffers, plan.offsets):
            assert offset % ALIGNMENT == 0
            assert offset + buffer.size <= plan.memory.arena
        # Reuse never costs more than the sum of the buffers, padded.
        assert plan.memory.arena <= sum(b.span for b in plan.buffers)


def test_the_plan_is_deterministic():
    texts = []
    for _ in range(2):
        _, module = lowered("lenet5", "lenet5", {}, with_plan("lower-to-c"))
        texts.append(str(module))
    assert texts[0] == texts[1]
    assert "memref.view" in texts[0]


# -- every example with the plan, against the reference ------------------------------------


@pytest.mark.parametrize("example", EVERY_EXAMPLE)
def test_poisoned_plan_agrees_on_c(example):
    from tessera.targets.c.runner import compile_module

    entry = default_entry_of(example)
    program, module = lowered(example, entry, {}, with_plan(c_pipeline(), "poison=true"))
    assert all(MEMORY in fn.attributes for fn in module.ops if isinstance(fn, func.FuncOp)
               and not fn.is_declaration)
    inputs = program.example_inputs(entry, seed=1)
    results = compile_module(module)[entry](*inputs)
    got = list(results) if isinstance(results, tuple) else [results]
    assert_agrees(got, reference(example, entry, {}, inputs))


@pytest.mark.parametrize("example", EVERY_EXAMPLE)
def test_plan_agrees_on_the_cuda_emulation(example):
    entry = default_entry_of(example)
    program, module = lowered(example, entry, {}, with_plan(cuda_pipeline()))
    inputs = program.example_inputs(entry, seed=1)
    got = run_emulated(module, entry, inputs, sanitize=False)
    assert_agrees(got, reference(example, entry, {}, inputs))


@pytest.mark.parametrize("example, entry, bindings", RUNS, ids=IDS)
def test_poisoned_plan_is_clean_under_sanitizers_on_c(example, entry, bindings):
    from tessera.targets.c import sanitize

    if not sanitize.sanitizers_available():
        pytest.skip("the C compiler has no AddressSanitizer runtime")
    program, module = lowered(example, entry, bindings,
                              with_plan(c_pipeline(), "poison=true"))
    inputs = program.example_inputs(entry, seed=1)
    got = sanitize.run_sanitized(module, entry, inputs)
    assert_agrees(got, reference(example, entry, bindings, inputs))


@pytest.mark.parametrize("example, entry, bindings", RUNS, ids=IDS)
def test_plan_is_clean_under_sanitizers_on_the_cuda_emulation(example, entry, bindings):
    """Device buffers cannot be poisoned from the host; the emulation fills each arena with
    NaNs when it is allocated, and ASan watches its bounds."""
    from tessera.targets.cuda.runner import emulation_sanitizers_available

    if not emulation_sanitizers_available():
        pytest.skip("the C++ compiler has no AddressSanitizer runtime")
    program, module = lowered(example, entry, bindings, with_plan(cuda_pipeline()))
    inputs = program.example_inputs(entry, seed=1)
    got = run_emulated(module, entry, inputs, sanitize=True)
    assert_agrees(got, reference(example, entry, bindings, inputs))


def test_a_plan_that_ends_lives_too_early_is_caught(monkeypatch):
    """The runs above can fail: with every interval one op short, buffers still being read
    share bytes with the next ones, and the poisoned run disagrees."""
    from dataclasses import replace

    from tessera.targets.c.runner import compile_module

    place = memory_plan.place
    monkeypatch.setattr(memory_plan, "place", lambda buffers, reuse=True: place(
        [replace(b, last=max(b.first, b.last - 1)) for b in buffers], reuse))
    program, module = lowered("mlp", "mlp", {"B": 3}, with_plan(c_pipeline(), "poison=true"))
    inputs = program.example_inputs("mlp", seed=1)
    got = compile_module(module)["mlp"](*inputs)
    assert not compare(got, reference("mlp", "mlp", {"B": 3}, inputs)[0]).ok


# -- `tessera run` -------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "tessera"), *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_tessera_run_prints_the_peak_memory_of_the_target_level(tmp_path):
    chain = tmp_path / "chain.tsr"
    chain.write_text(CHAIN)
    result = run_cli("run", str(chain), "--target", "interp")
    assert result.returncode == 0, result.stderr
    assert ("  peak intermediate memory: 3.0 KiB (planned), 3.5 KiB without reuse\n"
            in result.stdout)

    result = run_cli("run", "examples/lenet5.tsr", "--repeat", "1")
    assert result.returncode == 0, result.stderr
    expected = tessera.compile(EXAMPLES / "lenet5.tsr").memory_report("lenet5")
    assert f"  {expected.format()}\n" in result.stdout
    assert expected.planned < expected.unplanned
