"""The C target end to end: emitted C compiles cleanly, runs, and agrees with NumPy.

Integer kernels are checked against a Python model of MLIR's semantics (wrapping, rounding
of each division, clamped shifts), on the edge cases where C would otherwise be undefined,
and once under AddressSanitizer and UBSan.
"""

from __future__ import annotations

import math
import os
import shutil
import stat
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from xdsl.passes import PassPipeline

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.frontend.mlir_reader import parse_mlir
from tessera.compiler.registry import all_passes, make_context
from tessera.targets.c import emitter, runner, signatures, snippets
from tessera.targets.c.build import build_shared_library
from tessera.targets.c.emitter import emit_c
from tessera.targets.c.runner import compile_module, median_seconds

LIT_INPUTS = Path(__file__).parents[1] / "filecheck" / "targets" / "c"

pytestmark = pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                                reason="no C compiler")


def parse(text: str, pipeline: str = ""):
    ctx = make_context()
    module = parse_mlir(ctx, text, "kernel.mlir")
    if pipeline:
        PassPipeline.parse_spec(all_passes(), pipeline).apply(ctx, module)
    return module


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tessera-cache")


# ---------------------------------------------------------------------------------------
# Kernels

MATMUL = """
func.func @matmul(%a: memref<5x7xf32>, %b: memref<7x3xf32>, %out: memref<5x3xf32> {tessera.out}) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<5x3xf32>)
  linalg.matmul ins(%a, %b : memref<5x7xf32>, memref<7x3xf32>) outs(%out : memref<5x3xf32>)
  func.return
}
"""

ELEMENTWISE = """
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @elementwise(%x: memref<8x33xf32>, %out: memref<8x33xf32> {tessera.out}) {
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<8x33xf32>) outs(%out : memref<8x33xf32>) {
  ^bb0(%in: f32, %o: f32):
    %t = math.tanh %in : f32
    %sq = arith.mulf %in, %in : f32
    %nsq = arith.negf %sq : f32
    %e = math.exp %nsq : f32
    %a = math.absf %in : f32
    %s = math.sqrt %a : f32
    %te = arith.mulf %t, %e : f32
    %sum = arith.addf %te, %s : f32
    %zero = arith.constant 0.0 : f32
    %relu = arith.maximumf %sum, %zero : f32
    linalg.yield %relu : f32
  }
  func.return
}
func.func @erf64(%x: memref<6xf64>, %out: memref<6xf64> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  scf.for %i = %c0 to %c6 step %c1 {
    %v = memref.load %x[%i] : memref<6xf64>
    %r = math.erf %v : f64
    memref.store %r, %out[%i] : memref<6xf64>
  }
  func.return
}
"""

# Row sums and row maxima in one pass: two iter_args, two outputs.
REDUCTIONS = """
func.func @row_stats(%x: memref<6x10xf32>, %sums: memref<6xf32> {tessera.out},
                     %maxes: memref<6xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c10 = arith.constant 10 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  scf.for %i = %c0 to %c6 step %c1 {
    %sum, %max = scf.for %j = %c0 to %c10 step %c1 iter_args(%s = %zero, %m = %ninf) -> (f32, f32) {
      %v = memref.load %x[%i, %j] : memref<6x10xf32>
      %s2 = arith.addf %s, %v : f32
      %m2 = arith.maximumf %m, %v : f32
      scf.yield %s2, %m2 : f32, f32
    }
    memref.store %sum, %sums[%i] : memref<6xf32>
    memref.store %max, %maxes[%i] : memref<6xf32>
  }
  func.return
}
"""

# Heap, a large (heap) alloca, a copy: what AddressSanitizer watches.
BUFFERS = """
func.func @buffers(%x: memref<16xi32>, %out: memref<16xi32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %tmp = memref.alloc() : memref<16xi32>
  %big = memref.alloca() : memref<8192xi32>
  "memref.copy"(%x, %tmp) : (memref<16xi32>, memref<16xi32>) -> ()
  scf.for %i = %c0 to %c16 step %c1 {
    %v = memref.load %tmp[%i] : memref<16xi32>
    memref.store %v, %big[%i] : memref<8192xi32>
    %w = memref.load %big[%i] : memref<8192xi32>
    memref.store %w, %out[%i] : memref<16xi32>
  }
  memref.dealloc %tmp : memref<16xi32>
  func.return
}
"""

# Float edge cases: maximumf/minimumf on NaN and signed zeros, saturating fptosi.
FLOAT_EDGES = """
func.func @float_edges(%a: memref<6xf32>, %b: memref<6xf32>, %max: memref<6xf32> {tessera.out},
                       %min: memref<6xf32> {tessera.out}, %int: memref<6xi32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  scf.for %i = %c0 to %c6 step %c1 {
    %x = memref.load %a[%i] : memref<6xf32>
    %y = memref.load %b[%i] : memref<6xf32>
    %hi = arith.maximumf %x, %y : f32
    %lo = arith.minimumf %x, %y : f32
    %n = arith.fptosi %x : f32 to i32
    memref.store %hi, %max[%i] : memref<6xf32>
    memref.store %lo, %min[%i] : memref<6xf32>
    memref.store %n, %int[%i] : memref<6xi32>
  }
  func.return
}
"""

INT_OPS = ["addi", "subi", "muli", "divsi", "remsi", "floordivsi", "ceildivsi", "shli",
           "shrsi", "shrui", "maxsi", "minui"]
INT_TYPES = {"i8": np.int8, "i32": np.int32, "i64": np.int64}
INT_SIZE = 16


def int_ops_module() -> str:
    """One function per integer type: every op of INT_OPS, elementwise over two vectors."""
    functions = []
    for key in INT_TYPES:
        t = f"memref<{INT_SIZE}x{key}>"
        outs = ", ".join(f"%{op}: {t} {{tessera.out}}" for op in INT_OPS)
        body = "\n".join(
            f"    %r_{op} = arith.{op} %x, %y : {key}\n"
            f"    memref.store %r_{op}, %{op}[%i] : {t}" for op in INT_OPS)
        functions.append(f"""
func.func @int_ops_{key}(%a: {t}, %b: {t}, {outs}) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant {INT_SIZE} : index
  scf.for %i = %c0 to %n step %c1 {{
    %x = memref.load %a[%i] : {t}
    %y = memref.load %b[%i] : {t}
{body}
  }}
  func.return
}}""")
    return "\n".join(functions)


def mlir_int_op(op: str, a: int, b: int, bits: int) -> int:
    """What MLIR's arith op computes on two's-complement `bits`-bit integers.

    Where MLIR says poison or undefined (INT_MIN / -1, an oversized shift), this is what
    the C target promises instead: wrap, or clamp the shift.
    """
    modulus, half = 1 << bits, 1 << (bits - 1)

    def wrap(x: int) -> int:
        return (x + half) % modulus - half

    def trunc_div(x: int, y: int) -> int:
        q = abs(x) // abs(y)
        return q if (x < 0) == (y < 0) else -q

    unsigned_b = b % modulus
    if op in ("divsi", "floordivsi", "ceildivsi") and b == -1:
        return wrap(-a)
    results = {
        "addi": lambda: wrap(a + b),
        "subi": lambda: wrap(a - b),
        "muli": lambda: wrap(a * b),
        "divsi": lambda: trunc_div(a, b),
        "remsi": lambda: 0 if b == -1 else a - b * trunc_div(a, b),
        "floordivsi": lambda: a // b,
        "ceildivsi": lambda: -((-a) // b),
        "shli": lambda: 0 if unsigned_b >= bits else wrap(a << b),
        "shrsi": lambda: (-1 if a < 0 else 0) if unsigned_b >= bits else a >> b,
        "shrui": lambda: 0 if unsigned_b >= bits else wrap((a % modulus) >> b),
        "maxsi": lambda: max(a, b),
        "minui": lambda: a if a % modulus <= unsigned_b else b,
    }
    return results[op]()


def int_inputs(key: str) -> tuple[np.ndarray, np.ndarray]:
    """Edge cases first (INT_MIN / -1, shifts by the width and more, negative shifts), then
    random pairs; no zero divisors, division by zero being the program's problem."""
    info = np.iinfo(INT_TYPES[key])
    bits = info.bits
    edges = [(info.min, -1), (info.min, 1), (info.max, 2), (-7, 2), (7, -2), (-7, -2),
             (5, bits), (-5, bits + 1), (-5, -1), (info.max, bits - 1), (info.min, bits - 1),
             (info.max, info.max)]
    rng = np.random.default_rng(bits)
    while len(edges) < INT_SIZE:
        a, b = (int(v) for v in rng.integers(info.min, info.max, size=2, endpoint=True))
        if b != 0:
            edges.append((a, b))
    a, b = zip(*edges)
    return np.array(a, dtype=INT_TYPES[key]), np.array(b, dtype=INT_TYPES[key])


def expected_int_ops(key: str, a: np.ndarray, b: np.ndarray) -> dict[str, list[int]]:
    bits = np.iinfo(INT_TYPES[key]).bits
    return {op: [mlir_int_op(op, int(x), int(y), bits) for x, y in zip(a, b)] for op in INT_OPS}


# ---------------------------------------------------------------------------------------
# Emission


@pytest.mark.parametrize("path", sorted(p.name for p in LIT_INPUTS.glob("*.mlir")
                                        if not p.name.endswith("errors.mlir")))
def test_emitted_c_compiles_without_warnings(path, tmp_path):
    module = parse((LIT_INPUTS / path).read_text(), "convert-linalg-to-loops,lower-affine")
    source = tmp_path / "kernel.c"
    text = emit_c(module)
    source.write_text(text)
    openmp = ["-fopenmp"] if "#pragma omp" in text else []  # else -Wunknown-pragmas
    result = subprocess.run(
        ["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", *openmp, "-c",
         str(source), "-o", str(tmp_path / "kernel.o")],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_unsupported_op_is_reported_at_the_op():
    module = parse("""func.func @f(%x: i32) {
  %y = arith.bitcast %x : i32 to f32
  func.return
}""")
    with pytest.raises(TesseraError) as error:
        emit_c(module)
    assert error.value.format() == (
        "kernel.mlir:2:3: error: c target: cannot emit 'arith.bitcast'\n"
        "  %y = arith.bitcast %x : i32 to f32\n"
        "  ^")


def test_ctarget_prints_through_the_xdsl_target_interface():
    from io import StringIO

    module = parse(MATMUL, "convert-linalg-to-loops,lower-affine")
    output = StringIO()
    emitter.CTarget().emit(make_context(), module, output)
    assert output.getvalue() == emit_c(module)
    assert emitter.CTarget.name == "c"


# ---------------------------------------------------------------------------------------
# Running


def test_matmul_matches_numpy(cache_dir):
    compiled = compile_module(parse(MATMUL, "convert-linalg-to-loops,lower-affine,canonicalize"),
                              cache_dir=cache_dir)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 7), dtype=np.float32)
    b = rng.standard_normal((7, 3), dtype=np.float32)
    np.testing.assert_allclose(compiled["matmul"](a, b), a @ b, rtol=1e-5, atol=1e-6)
    # A transposed view is copied to row-major before the call.
    bt = np.asfortranarray(b)
    np.testing.assert_allclose(compiled["matmul"](a, bt), a @ b, rtol=1e-5, atol=1e-6)


def test_elementwise_math_matches_numpy(cache_dir):
    compiled = compile_module(parse(ELEMENTWISE, "convert-linalg-to-loops,lower-affine"),
                              cache_dir=cache_dir)
    x = np.linspace(-3, 3, 8 * 33, dtype=np.float32).reshape(8, 33)
    expected = np.maximum(np.tanh(x) * np.exp(-x * x) + np.sqrt(np.abs(x)), 0)
    np.testing.assert_allclose(compiled["elementwise"](x), expected, rtol=2e-6, atol=1e-6)
    x64 = np.array([-2.0, -0.5, 0.0, 1e-3, 0.7, 4.0])
    np.testing.assert_allclose(compiled["erf64"](x64), [math.erf(v) for v in x64], rtol=1e-15)


def test_reductions_with_iter_args_return_a_tuple(cache_dir):
    compiled = compile_module(parse(REDUCTIONS), cache_dir=cache_dir)
    x = np.random.default_rng(1).standard_normal((6, 10)).astype(np.float32)
    sums, maxes = compiled["row_stats"](x)
    np.testing.assert_allclose(sums, x.sum(axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(maxes, x.max(axis=1))


def test_maximumf_propagates_nan_and_fptosi_saturates(cache_dir):
    compiled = compile_module(parse(FLOAT_EDGES), cache_dir=cache_dir)
    a = np.array([np.nan, 1.0, -0.0, 0.0, 3e9, -np.inf], dtype=np.float32)
    b = np.array([1.0, np.nan, 0.0, -0.0, 2.0, 5.0], dtype=np.float32)
    hi, lo, ints = compiled["float_edges"](a, b)
    np.testing.assert_array_equal(hi, np.maximum(a, b))  # NumPy propagates NaN too
    np.testing.assert_array_equal(lo, np.minimum(a, b))
    assert [math.copysign(1, v) for v in hi[2:4]] == [1, 1]
    assert [math.copysign(1, v) for v in lo[2:4]] == [-1, -1]
    assert ints.tolist() == [0, 1, 0, 0, 2**31 - 1, -(2**31)]


@pytest.mark.parametrize("key", list(INT_TYPES))
def test_integer_arithmetic_matches_mlir_semantics(cache_dir, key):
    compiled = compile_module(parse(int_ops_module()), cache_dir=cache_dir)
    a, b = int_inputs(key)
    results = compiled[f"int_ops_{key}"](a, b)
    expected = expected_int_ops(key, a, b)
    for op, result in zip(INT_OPS, results):
        assert result.dtype == INT_TYPES[key]
        assert result.tolist() == expected[op], op


def test_hostile_function_name_is_callable(cache_dir):
    module = parse("""func.func @"evil(){system(\\"rm\\");}//"(%x: memref<2xi32>, %k: i32,
                                                            %y: memref<2xi32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %c2 step %c1 {
    %v = memref.load %x[%i] : memref<2xi32>
    %w = arith.muli %v, %k : i32
    memref.store %w, %y[%i] : memref<2xi32>
  }
  func.return
}""")
    compiled = compile_module(module, cache_dir=cache_dir)
    assert "system(" not in compiled.source
    function = compiled['evil(){system("rm");}//']
    assert function(np.array([3, -4], dtype=np.int32), 5).tolist() == [15, -20]


# ---------------------------------------------------------------------------------------
# The runner's checks

IN_PLACE = """
func.func @scale_in_place(%x: memref<3xf64>, %k: f64, %flag: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  scf.if %flag {
    scf.for %i = %c0 to %c3 step %c1 {
      %v = memref.load %x[%i] : memref<3xf64>
      %w = arith.mulf %v, %k : f64
      memref.store %w, %x[%i] : memref<3xf64>
    }
  }
  func.return
}
"""


def test_runner_updates_in_place_arguments_and_takes_scalars(cache_dir):
    scale = compile_module(parse(IN_PLACE), cache_dir=cache_dir)["scale_in_place"]
    x = np.array([1.0, 2.0, 3.0])
    assert scale(x, 2, True) is None
    assert x.tolist() == [2.0, 4.0, 6.0]
    scale(x, 2.0, False)
    assert x.tolist() == [2.0, 4.0, 6.0]
    with pytest.raises(TesseraError, match="'x' is updated in place"):
        scale(np.arange(6.0)[::2], 2.0, True)
    with pytest.raises(TesseraError, match="'flag' = 2 does not fit i1"):
        scale(x, 2.0, 2)
    with pytest.raises(TesseraError, match="'k' must be a real number"):
        scale(x, "2", True)


def test_runner_rejects_wrong_arguments_naming_them(cache_dir):
    matmul = compile_module(parse(MATMUL, "convert-linalg-to-loops,lower-affine"),
                            cache_dir=cache_dir)["matmul"]
    a, b = np.ones((5, 7), np.float32), np.ones((7, 3), np.float32)
    with pytest.raises(TesseraError, match=r"argument 'b' has shape \(3, 7\), expected \(7, 3\)"):
        matmul(a, b.T)
    with pytest.raises(TesseraError, match="argument 'a' has dtype float64, expected float32"):
        matmul(a.astype(np.float64), b)
    with pytest.raises(TesseraError, match=r"@matmul takes 2 argument\(s\) \(a, b\), got 1"):
        matmul(a)
    # Lists are converted to the parameter's dtype.
    assert matmul(a.tolist(), b).tolist() == (a @ b).tolist()
    with pytest.raises(TesseraError, match="no function @nope"):
        compile_module(parse(MATMUL, "convert-linalg-to-loops,lower-affine"),
                       cache_dir=cache_dir)["nope"]


def test_timing_is_a_median_after_warmup(cache_dir):
    calls = []
    assert median_seconds(lambda: calls.append(1), repeat=5, warmup=2) >= 0
    assert len(calls) == 7
    matmul = compile_module(parse(MATMUL, "convert-linalg-to-loops,lower-affine"),
                            cache_dir=cache_dir)["matmul"]
    seconds = matmul.time(np.ones((5, 7), np.float32), np.ones((7, 3), np.float32), repeat=3)
    assert 0 < seconds < 1


# ---------------------------------------------------------------------------------------
# Building


def counting_compiler(tmp_path: Path) -> tuple[Path, Path]:
    """A compiler wrapper that logs every compile (not `--version`) to a file."""
    log = tmp_path / "compiles.log"
    wrapper = tmp_path / "counting-cc"
    real = shutil.which("cc") or shutil.which("gcc")
    wrapper.write_text(
        f"#!/bin/sh\n"
        f"[ \"$1\" = --version ] || echo compile >> '{log}'\n"
        f"exec '{real}' \"$@\"\n")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper, log


def test_build_cache_reuses_a_library(tmp_path, monkeypatch):
    wrapper, log = counting_compiler(tmp_path)
    monkeypatch.setenv("TESSERA_CC", str(wrapper))
    monkeypatch.setenv("TESSERA_CACHE_DIR", str(tmp_path / "cache"))
    source = "int tsr_answer(void) { return 42; }\n"
    first = build_shared_library(source)
    second = build_shared_library(source)
    assert first == second and first.parent == tmp_path / "cache" / "c"
    assert log.read_text().count("compile") == 1
    build_shared_library(source, extra_flags=["-O1"])  # other flags: another library
    assert log.read_text().count("compile") == 2
    assert not list(first.parent.glob(".build-*"))  # private build dirs are gone
    assert first.with_suffix(".c").read_text() == source


def test_concurrent_builds_publish_one_whole_library(tmp_path):
    source = "int tsr_seven(void) { return 7; }\n"
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = list(pool.map(lambda _: build_shared_library(source, cache_dir=tmp_path),
                              range(4)))
    assert len(set(paths)) == 1
    assert not list(tmp_path.glob(".build-*"))
    import ctypes

    assert ctypes.CDLL(str(paths[0])).tsr_seven() == 7


def test_compile_error_is_a_tessera_error_with_the_compiler_message(tmp_path):
    with pytest.raises(TesseraError) as error:
        build_shared_library("int broken( {\n", cache_dir=tmp_path)
    message = error.value.format()
    assert "failed (exit 1) compiling the generated C" in message
    assert "kernel.c:1" in message
    assert not list(tmp_path.glob("*.so")) and not list(tmp_path.glob(".build-*"))


def test_missing_compiler_is_a_tessera_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TESSERA_CC", str(tmp_path / "no-such-cc"))
    with pytest.raises(TesseraError, match="C compiler '.*no-such-cc' not found"):
        build_shared_library("int x;\n", cache_dir=tmp_path)


# ---------------------------------------------------------------------------------------
# Sanitizers

def harness(inputs: dict[str, list[np.ndarray]], outputs: dict[str, list[np.ndarray]]) -> str:
    """A C main() that calls each function on `inputs` and prints each of its `outputs` on a
    line (integers as integers, floats with enough digits)."""
    keys = {dtype: key for key, dtype in runner.NUMPY_DTYPES.items() if key != "index"}
    lines = ["#include <stdio.h>", "int main(void) {"]
    for name, arrays in inputs.items():
        arguments = []
        for index, array in enumerate(arrays + outputs[name]):
            c_type = signatures.C_TYPES[keys[array.dtype]]
            values = ", ".join(snippets.float_literal(float(v), keys[array.dtype])
                               if array.dtype.kind == "f" else str(int(v)) for v in array.ravel())
            lines.append(f"  static {c_type} {name}_{index}[{array.size}] = {{{values}}};")
            arguments.append(f"{name}_{index}")
        lines.append(f"  tsr_{name}({', '.join(arguments)});")
        for index, array in enumerate(outputs[name], start=len(arrays)):
            show = ('printf("%.9g ", (double)' if array.dtype.kind == "f"
                    else 'printf("%lld ", (long long)')
            lines.append(f"  for (int i = 0; i < {array.size}; ++i) {show}{name}_{index}[i]);")
            lines.append('  printf("\\n");')
    lines += ["  return 0;", "}"]
    return "\n".join(lines) + "\n"


def test_kernels_are_clean_under_address_and_undefined_sanitizers(tmp_path):
    flags = ["-std=c99", "-O1", "-g", "-fsanitize=address,undefined,float-cast-overflow",
             "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
    probe = tmp_path / "probe.c"
    probe.write_text("int main(void) { return 0; }\n")
    probed = subprocess.run(["gcc", *flags, str(probe), "-o", str(tmp_path / "probe")],
                            capture_output=True)
    if probed.returncode != 0 or subprocess.run([str(tmp_path / "probe")]).returncode != 0:
        pytest.skip("the sanitizer runtime is missing")

    module = parse(int_ops_module() + FLOAT_EDGES + BUFFERS)
    inputs = {f"int_ops_{key}": list(int_inputs(key)) for key in INT_TYPES}
    outputs = {name: [np.zeros(INT_SIZE, arrays[0].dtype) for _ in INT_OPS]
               for name, arrays in inputs.items()}
    edges = np.array([np.nan, 1.5, -0.0, 3e9, -3e9, -np.inf], dtype=np.float32)
    inputs["float_edges"] = [edges, edges[::-1].copy()]
    outputs["float_edges"] = [np.zeros(6, np.float32), np.zeros(6, np.float32),
                              np.zeros(6, np.int32)]
    inputs["buffers"] = [np.arange(16, dtype=np.int32) * -3]
    outputs["buffers"] = [np.zeros(16, np.int32)]
    source = tmp_path / "run.c"
    source.write_text(emit_c(module) + harness(inputs, outputs))
    binary = tmp_path / "run"
    compiled = subprocess.run(["gcc", *flags, str(source), "-o", str(binary), "-lm"],
                              capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    ran = subprocess.run([str(binary)], capture_output=True, text=True,
                         env={**os.environ, "ASAN_OPTIONS": "detect_leaks=1"})
    assert ran.returncode == 0 and "runtime error" not in ran.stderr, ran.stderr
    lines = ran.stdout.splitlines()
    expected = []
    for key in INT_TYPES:
        per_op = expected_int_ops(key, *inputs[f"int_ops_{key}"])
        expected += [per_op[op] for op in INT_OPS]
    assert [[int(v) for v in line.split()] for line in lines[:len(expected)]] == expected
    maxima = [float(v) for v in lines[-4].split()]
    np.testing.assert_array_equal(maxima, np.maximum(edges, edges[::-1]))
    assert [int(v) for v in lines[-2].split()] == [0, 1, 0, 2**31 - 1, -(2**31), -(2**31)]
    assert [int(v) for v in lines[-1].split()] == (np.arange(16) * -3).tolist()
