"""Generated-code hygiene: every example's C (and CUDA, on the emulation) is clean under
AddressSanitizer and UBSan with all warnings as errors; names from the DSL cannot change what
the C or CUDA means; builds leave nothing behind."""

import os
from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare
from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.pipelines import c_pipeline, run_pipeline
from tessera.compiler.registry import make_context
from tessera.targets.c import sanitize
from tessera.targets.c.build import build_shared_library

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUNS = [("matmul", {}), ("mlp", {"B": 3}), ("lenet5", {}), ("lenet5_int8", {}),
        ("resnet_block", {"C": 4, "H": 7, "W": 5}), ("attention", {"T": 5, "D": 7}),
        ("bmm", {})]

HOSTILE = """\
dim NULL = 5

def memcpy(int: f32[NULL], float: f32[NULL]) -> f32[NULL] {
  return int + float
}

def main(return_: f32[NULL], __attribute__: f32[NULL], tsr_memcpy: f32[NULL]) -> f32[NULL] {
  printf = memcpy(return_, __attribute__)
  exit = printf * tsr_memcpy
  return relu(exit)
}
"""


@pytest.mark.parametrize("example, bindings", RUNS, ids=[r[0] for r in RUNS])
def test_every_example_is_clean_under_sanitizers(example, bindings):
    if not sanitize.sanitizers_available():
        pytest.skip("the C compiler has no AddressSanitizer runtime")
    program = tessera.compile(EXAMPLES / f"{example}.tsr", bindings=bindings)
    reference = tessera.compile(EXAMPLES / f"{example}.tsr", target="interp",
                                bindings=bindings)
    inputs = program.example_inputs(example, seed=1)
    module = program.graph(example)
    run_pipeline(c_pipeline(), make_context(), module)
    got = sanitize.run_sanitized(module, example, inputs)
    assert compare(got[0], reference.function(example)(*inputs)).ok


def test_names_from_the_dsl_cannot_change_the_c():
    """C keywords, libc functions, attributes and Tessera's own prefix as names: each
    becomes a prefixed identifier, and the program still means what it says."""
    program = tessera.compile(HOSTILE)
    reference = tessera.compile(HOSTILE, target="interp")
    args = reference.example_inputs("main", seed=4)
    assert compare(program.main(*args), reference.main(*args)).ok
    source = program.lower("main", "c-loops")
    from tessera.targets.c.emitter import emit_c

    text = emit_c(source)
    for name in ("int", "float", "return_", "__attribute__", "printf", "exit"):
        assert f" {name}," not in text and f" {name})" not in text
    assert "void tsr_memcpy(" in text and "void tsr_main(" in text


def test_builds_are_private_and_leave_nothing_behind(tmp_path):
    build_shared_library("int tsr_ok(void) { return 1; }", cache_dir=tmp_path)
    with pytest.raises(TesseraError, match="failed"):
        build_shared_library("int tsr_broken(void) { return }", cache_dir=tmp_path)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".build-")]
    assert leftovers == []
    libraries = list(tmp_path.glob("*.so"))
    assert len(libraries) == 1 and np.all([p.stat().st_size > 0 for p in libraries])
    assert all(not (p.stat().st_mode & 0o002) for p in tmp_path.iterdir())  # not world-writable
    assert os.access(libraries[0], os.R_OK)


# -- the same for the CUDA source, on the emulation -----------------------------------------


@pytest.mark.parametrize("example, bindings", RUNS, ids=[r[0] for r in RUNS])
def test_every_example_is_clean_under_sanitizers_on_the_cuda_emulation(example, bindings):
    """Built by g++ with -Wall -Wextra -Werror, run under ASan and UBSan."""
    from tessera.targets.cuda.runner import emulation_sanitizers_available

    if not emulation_sanitizers_available():
        pytest.skip("the C++ compiler has no AddressSanitizer runtime")
    program = tessera.compile(EXAMPLES / f"{example}.tsr", target="cuda-emu", sanitize=True,
                              bindings=bindings)
    reference = tessera.compile(EXAMPLES / f"{example}.tsr", target="interp",
                                bindings=bindings)
    inputs = program.example_inputs(example, seed=1)
    got = program.function(example)(*inputs)
    assert compare(np.asarray(got), reference.function(example)(*inputs)).ok


def test_names_from_the_dsl_cannot_change_the_cuda():
    from tessera.targets.cuda.backend import lower_and_emit

    program = tessera.compile(HOSTILE, target="cuda-emu")
    reference = tessera.compile(HOSTILE, target="interp")
    args = reference.example_inputs("main", seed=4)
    assert compare(program.main(*args), reference.main(*args)).ok
    text, _ = lower_and_emit(program.graph("main"))
    for name in ("int", "float", "return_", "__attribute__", "printf", "exit"):
        assert f" {name}," not in text and f" {name})" not in text
    assert 'int tsr_memcpy(' in text and 'int tsr_main(' in text


def test_cuda_builds_are_private_and_leave_nothing_behind(tmp_path):
    from tessera.targets.cuda.build import build_emulated

    build_emulated('extern "C" int tsr_ok(void) { return 1; }', cache_dir=tmp_path)
    with pytest.raises(TesseraError, match="failed"):
        build_emulated('extern "C" int tsr_broken(void) { return }', cache_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".build-")] == []
    assert all(not (p.stat().st_mode & 0o002) for p in tmp_path.iterdir())
