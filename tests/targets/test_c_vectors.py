"""Vector IR, OpenMP parallel loops and the sanitized runner on the C target, against NumPy.

The kernels are hand-written at the level a schedule produces (memref, scf, vector, arith):
vector ops must compute what the scalar ones do lane for lane, so the integer ops are checked
against the same model of MLIR's semantics as the scalar tests.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.frontend.mlir_reader import parse_mlir
from tessera.compiler.registry import make_context
from tessera.targets.c import build, runner, sanitize
from tessera.targets.c.emitter import emit_c
from tessera.targets.c.runner import compile_module, set_num_threads
from tessera.targets.c.signatures import c_signatures

from test_c_target import INT_OPS, INT_TYPES, int_inputs, expected_int_ops

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

pytestmark = pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                                reason="no C compiler")


def parse(text: str):
    return parse_mlir(make_context(), text, "kernel.mlir")


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tessera-cache")


@pytest.fixture
def sanitizers():
    if not sanitize.sanitizers_available():
        pytest.skip("the compiler has no AddressSanitizer/UBSan runtime")


# ---------------------------------------------------------------------------------------
# Kernels

# out = x + y on 8 lanes (f32) and on 4 lanes (f64); rows of 40 so that vectors straddle
# row ends and start at addresses that are not 32-byte aligned.
ADD = """
func.func @add_f32(%x: memref<3x40xf32>, %y: memref<3x40xf32>, %out: memref<3x40xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %c40 = arith.constant 40 : index
  scf.for %i = %c0 to %c3 step %c1 {
    scf.for %j = %c0 to %c40 step %c8 {
      %a = vector.load %x[%i, %j] : memref<3x40xf32>, vector<8xf32>
      %b = vector.load %y[%i, %j] : memref<3x40xf32>, vector<8xf32>
      %s = arith.addf %a, %b : vector<8xf32>
      vector.store %s, %out[%i, %j] : memref<3x40xf32>, vector<8xf32>
    }
  }
  func.return
}
func.func @add_f64(%x: memref<12xf64>, %y: memref<12xf64>, %out: memref<12xf64> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c12 = arith.constant 12 : index
  scf.for %i = %c0 to %c12 step %c4 {
    %a = vector.load %x[%i] : memref<12xf64>, vector<4xf64>
    %b = vector.load %y[%i] : memref<12xf64>, vector<4xf64>
    %s = arith.addf %a, %b : vector<4xf64>
    vector.store %s, %out[%i] : memref<12xf64>, vector<4xf64>
  }
  func.return
}
"""

# relu(x) = maximumf(x, 0) on 16 lanes, the zero a broadcast constant.
RELU = """
func.func @relu(%x: memref<32xf32>, %out: memref<32xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  %z = vector.broadcast %zero : f32 to vector<16xf32>
  scf.for %i = %c0 to %c32 step %c16 {
    %v = vector.load %x[%i] : memref<32xf32>, vector<16xf32>
    %r = arith.maximumf %v, %z : vector<16xf32>
    vector.store %r, %out[%i] : memref<32xf32>, vector<16xf32>
  }
  func.return
}
"""

# where(x < y, x * y, y - x): the mask typed as xDSL 0.74 types it (i1), and as MLIR does
# (vector<8xi1>, in generic form, which xDSL's verifier would refuse but the printer takes).
SELECT = """
func.func @select(%x: memref<16xf32>, %y: memref<16xf32>, %out: memref<16xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.for %i = %c0 to %c16 step %c8 {
    %a = vector.load %x[%i] : memref<16xf32>, vector<8xf32>
    %b = vector.load %y[%i] : memref<16xf32>, vector<8xf32>
    %m = arith.cmpf olt, %a, %b : vector<8xf32>
    %p = arith.mulf %a, %b : vector<8xf32>
    %d = arith.subf %b, %a : vector<8xf32>
    %r = arith.select %m, %p, %d : vector<8xf32>
    vector.store %r, %out[%i] : memref<16xf32>, vector<8xf32>
  }
  func.return
}
func.func @select_mlir(%x: memref<16xf32>, %y: memref<16xf32>, %out: memref<16xf32> {tessera.out},
                       %count: memref<16xi32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.for %i = %c0 to %c16 step %c8 {
    %a = vector.load %x[%i] : memref<16xf32>, vector<8xf32>
    %b = vector.load %y[%i] : memref<16xf32>, vector<8xf32>
    %m = "arith.cmpf"(%a, %b) <{predicate = 4 : i64}> : (vector<8xf32>, vector<8xf32>) -> vector<8xi1>
    %p = arith.mulf %a, %b : vector<8xf32>
    %d = arith.subf %b, %a : vector<8xf32>
    %r = "arith.select"(%m, %p, %d) : (vector<8xi1>, vector<8xf32>, vector<8xf32>) -> vector<8xf32>
    vector.store %r, %out[%i] : memref<16xf32>, vector<8xf32>
    %n = "arith.extsi"(%m) : (vector<8xi1>) -> vector<8xi32>
    vector.store %n, %count[%i] : memref<16xi32>, vector<8xi32>
  }
  func.return
}
"""

# Casts lane by lane, in MLIR's vector form (generic: xDSL 0.74 only takes scalars there):
# fptosi saturates and maps NaN to 0 in every lane, as it does for scalars.
CASTS = """
func.func @casts(%x: memref<8xf32>, %i: memref<8xi32> {tessera.out}, %f: memref<8xf64> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %v = vector.load %x[%c0] : memref<8xf32>, vector<8xf32>
  %n = "arith.fptosi"(%v) : (vector<8xf32>) -> vector<8xi32>
  vector.store %n, %i[%c0] : memref<8xi32>, vector<8xi32>
  %w = "arith.sitofp"(%n) : (vector<8xi32>) -> vector<8xf64>
  %t = math.tanh %w : vector<8xf64>
  vector.store %t, %f[%c0] : memref<8xf64>, vector<8xf64>
  func.return
}
"""


def int_vector_module() -> str:
    """Every op of INT_OPS on vectors: 16 elements as 16 lanes of i8, 8 of i32, 4 of i64."""
    functions = []
    for key, lanes in (("i8", 16), ("i32", 8), ("i64", 4)):
        t, v = f"memref<16x{key}>", f"vector<{lanes}x{key}>"
        outs = ", ".join(f"%{op}: {t} {{tessera.out}}" for op in INT_OPS)
        body = "\n".join(
            f"    %r_{op} = arith.{op} %x, %y : {v}\n"
            f"    vector.store %r_{op}, %{op}[%i] : {t}, {v}" for op in INT_OPS)
        functions.append(f"""
func.func @int_ops_{key}(%a: {t}, %b: {t}, {outs}) {{
  %c0 = arith.constant 0 : index
  %step = arith.constant {lanes} : index
  %n = arith.constant 16 : index
  scf.for %i = %c0 to %n step %step {{
    %x = vector.load %a[%i] : {t}, {v}
    %y = vector.load %b[%i] : {t}, {v}
{body}
  }}
  func.return
}}""")
    return "\n".join(functions)


# Column j of an 8x5 matrix, gathered into one vector by broadcast + insert, then scaled; the
# scalars come back out by vector.extract.
GATHER = """
func.func @gather(%m: memref<8x5xf32>, %j: index, %col: memref<8xf32> {tessera.out},
                  %ends: memref<2xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  %first = memref.load %m[%c0, %j] : memref<8x5xf32>
  %init = vector.broadcast %first : f32 to vector<8xf32>
  %g = scf.for %r = %c1 to %c8 step %c1 iter_args(%acc = %init) -> (vector<8xf32>) {
    %s = memref.load %m[%r, %j] : memref<8x5xf32>
    %next = vector.insert %s, %acc[%r] : f32 into vector<8xf32>
    scf.yield %next : vector<8xf32>
  }
  %k = vector.broadcast %two : f32 to vector<8xf32>
  %scaled = arith.mulf %g, %k : vector<8xf32>
  vector.store %scaled, %col[%c0] : memref<8xf32>, vector<8xf32>
  %e0 = vector.extract %scaled[0] : f32 from vector<8xf32>
  %e7 = vector.extract %scaled[7] : f32 from vector<8xf32>
  memref.store %e0, %ends[%c0] : memref<2xf32>
  memref.store %e7, %ends[%c1] : memref<2xf32>
  func.return
}
"""

# out = relu(x @ w) with the rows in parallel: each iteration packs its row of x into an
# aligned buffer of its own and accumulates 8 columns at a time with vector.fma.
PARALLEL = """
func.func @matmul_relu(%x: memref<37x16xf32>, %w: memref<16x24xf32>,
                       %out: memref<37x24xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c24 = arith.constant 24 : index
  %c37 = arith.constant 37 : index
  %zero = arith.constant dense<0.0> : vector<8xf32>
  scf.for %i = %c0 to %c37 step %c1 {
    %row = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
    scf.for %k = %c0 to %c16 step %c1 {
      %v = memref.load %x[%i, %k] : memref<37x16xf32>
      memref.store %v, %row[%k] : memref<16xf32>
    }
    scf.for %j = %c0 to %c24 step %c8 {
      %acc = scf.for %k = %c0 to %c16 step %c1 iter_args(%a = %zero) -> (vector<8xf32>) {
        %s = memref.load %row[%k] : memref<16xf32>
        %b = vector.broadcast %s : f32 to vector<8xf32>
        %wv = vector.load %w[%k, %j] : memref<16x24xf32>, vector<8xf32>
        %n = vector.fma %b, %wv, %a : vector<8xf32>
        scf.yield %n : vector<8xf32>
      }
      %r = arith.maximumf %acc, %zero : vector<8xf32>
      vector.store %r, %out[%i, %j] : memref<37x24xf32>, vector<8xf32>
    }
    memref.dealloc %row : memref<16xf32>
  } {tessera.parallel}
  func.return
}
"""

# A store one element past the end of the output, which only a sanitizer sees.
OUT_OF_BOUNDS = """
func.func @overflow(%x: memref<8xf32>, %out: memref<8xf32> {tessera.out}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c9 = arith.constant 9 : index
  scf.for %i = %c0 to %c9 step %c1 {
    %v = memref.load %x[%c0] : memref<8xf32>
    memref.store %v, %out[%i] : memref<8xf32>
  }
  func.return
}
"""


# ---------------------------------------------------------------------------------------
# Vectors


def test_vectorized_add_matches_numpy(cache_dir):
    compiled = compile_module(parse(ADD), cache_dir=cache_dir)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 3, 40), dtype=np.float32)
    np.testing.assert_array_equal(compiled["add_f32"](x, y), x + y)
    a, b = rng.standard_normal((2, 12))
    np.testing.assert_array_equal(compiled["add_f64"](a, b), a + b)
    # Only loaded: the parameters stay const, so a strided view is copied, not refused.
    assert not any(p.is_written for p in compiled["add_f32"].inputs)
    np.testing.assert_array_equal(compiled["add_f32"](x[:, ::-1], y), x[:, ::-1] + y)


def test_vectorized_relu_propagates_nan_and_orders_zeros(cache_dir):
    compiled = compile_module(parse(RELU), cache_dir=cache_dir)
    x = np.linspace(-4, 4, 32, dtype=np.float32)
    x[[3, 20]] = np.nan
    x[5], x[6] = -0.0, 0.0
    x[7], x[8] = -np.inf, np.inf
    got = compiled["relu"](x)
    np.testing.assert_array_equal(got, np.maximum(x, 0))
    assert math.copysign(1, got[5]) == 1  # maximumf(-0.0, +0.0) is +0.0


def test_comparison_and_select_on_masks(cache_dir):
    compiled = compile_module(parse(SELECT), cache_dir=cache_dir)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, 16), dtype=np.float32)
    x[2], y[9] = np.nan, np.nan  # olt is false on NaN: the other branch
    expected = np.where(x < y, x * y, y - x)
    np.testing.assert_array_equal(compiled["select"](x, y), expected)
    out, count = compiled["select_mlir"](x, y)
    np.testing.assert_array_equal(out, expected)
    assert count.tolist() == [-1 if t else 0 for t in x < y]  # extsi of true is -1


def test_vector_casts_match_the_scalar_semantics(cache_dir):
    compiled = compile_module(parse(CASTS), cache_dir=cache_dir)
    x = np.array([1.7, -2.5, np.nan, 3e9, -3e9, np.inf, -0.0, 123.9], dtype=np.float32)
    ints, floats = compiled["casts"](x)
    assert ints.tolist() == [1, -2, 0, 2**31 - 1, -(2**31), 2**31 - 1, 0, 123]
    np.testing.assert_allclose(floats, np.tanh(ints.astype(np.float64)), rtol=1e-15)


@pytest.mark.parametrize("key", list(INT_TYPES))
def test_vector_integer_ops_wrap_like_the_scalar_ones(cache_dir, key):
    compiled = compile_module(parse(int_vector_module()), cache_dir=cache_dir)
    a, b = int_inputs(key)
    results = compiled[f"int_ops_{key}"](a, b)
    expected = expected_int_ops(key, a, b)
    for op, result in zip(INT_OPS, results):
        assert result.tolist() == expected[op], op
    # addi wraps as NumPy's fixed-width addition does.
    np.testing.assert_array_equal(results[INT_OPS.index("addi")], a + b)


def test_gather_by_broadcast_and_insert(cache_dir):
    compiled = compile_module(parse(GATHER), cache_dir=cache_dir)
    m = np.arange(40, dtype=np.float32).reshape(8, 5) - 7.5
    for j in range(5):
        col, ends = compiled["gather"](m, j)
        np.testing.assert_array_equal(col, 2 * m[:, j])
        np.testing.assert_array_equal(ends, [2 * m[0, j], 2 * m[7, j]])


# ---------------------------------------------------------------------------------------
# OpenMP


def test_parallel_loop_with_one_and_two_threads(cache_dir):
    module = parse(PARALLEL)
    compiled = compile_module(module, cache_dir=cache_dir)
    assert "#pragma omp parallel for" in compiled.source
    rng = np.random.default_rng(2)
    x = rng.standard_normal((37, 16), dtype=np.float32)
    w = rng.standard_normal((16, 24), dtype=np.float32)
    expected = np.maximum(x @ w, 0)
    max_threads = runner.openmp_runtime().omp_get_max_threads
    before = max_threads()
    try:
        results = []
        for threads in (1, 2):
            set_num_threads(threads)
            assert max_threads() == threads
            results.append(compiled["matmul_relu"](x, w))
            np.testing.assert_allclose(results[-1], expected, rtol=1e-5, atol=1e-5)
        # Each output comes from the same operations whatever thread computes it.
        np.testing.assert_array_equal(results[0], results[1])
    finally:
        set_num_threads(before)


def test_openmp_sources_build_with_fopenmp_under_their_own_key(tmp_path):
    serial = "void tsr_f(float *restrict x) {\n  for (int i = 0; i < 4; i++) x[i] = 1.0f;\n}\n"
    parallel = serial.replace("  for", "  #pragma omp parallel for\n  for")
    assert not build.uses_openmp(serial) and build.uses_openmp(parallel)
    assert build.build_flags(parallel, build.DEFAULT_FLAGS)[-1] == "-fopenmp"
    assert build.build_flags(parallel, build.DEFAULT_FLAGS, ["-fopenmp"]).count("-fopenmp") == 1
    assert "-fopenmp" not in build.build_flags(serial, build.DEFAULT_FLAGS)
    assert "-ffp-contract=fast" in build.DEFAULT_FLAGS
    first = build.build_shared_library(parallel, cache_dir=tmp_path)
    # The key covers the added flag: the same flags given explicitly name the same library.
    again = build.build_shared_library(parallel, extra_flags=["-fopenmp"], cache_dir=tmp_path)
    assert first == again
    assert "libgomp" in first.read_bytes().decode("latin-1")


def test_set_num_threads_checks_its_argument_and_the_runtime(monkeypatch):
    for bad in (0, -1, 1.5, True):
        with pytest.raises(TesseraError, match="expected a positive integer"):
            set_num_threads(bad)
    monkeypatch.setattr(runner, "_openmp_runtime", None)

    def no_library(name, *args, **kwargs):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(runner.ctypes, "CDLL", no_library)
    with pytest.raises(TesseraError, match="cannot load the OpenMP runtime libgomp"):
        set_num_threads(2)


def test_parallel_loop_carrying_values_is_an_error_at_the_op():
    module = parse("""func.func @f(%x: memref<4xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0.0 : f32
  %s = scf.for %i = %c0 to %c4 step %c1 iter_args(%a = %z) -> (f32) {
    %v = memref.load %x[%i] : memref<4xf32>
    %n = arith.addf %a, %v : f32
    scf.yield %n : f32
  } {tessera.parallel}
  memref.store %s, %out[] : memref<f32>
  func.return
}""")
    with pytest.raises(TesseraError) as error:
        emit_c(module)
    assert error.value.format().startswith(
        "kernel.mlir:6:3: error: c target: a {tessera.parallel} scf.for cannot carry values")


def test_aligned_alloc_is_declared_and_only_when_used():
    source = emit_c(parse(PARALLEL))
    assert source.index("#define _ISOC11_SOURCE 1") < source.index("#include")
    assert "aligned_alloc(64, (size_t)64)" in source
    assert "_ISOC11_SOURCE" not in emit_c(parse(ADD))


# ---------------------------------------------------------------------------------------
# Sanitized runs


def test_sanitized_run_of_the_mlp_example_agrees_with_the_reference(sanitizers):
    program = tessera.compile(EXAMPLES / "mlp.tsr", target="interp", bindings={"B": 3})
    module = program.lower("mlp", "c-loops", B=3)
    inputs = program.example_inputs("mlp", seed=0, bindings={"B": 3})
    (got,) = sanitize.run_sanitized(module, "mlp", inputs)
    want = program.mlp(*inputs)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_sanitized_run_of_vector_and_parallel_kernels(sanitizers):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((37, 16), dtype=np.float32)
    w = rng.standard_normal((16, 24), dtype=np.float32)
    (got,) = sanitize.run_sanitized(parse(PARALLEL), "matmul_relu", [x, w])
    np.testing.assert_allclose(got, np.maximum(x @ w, 0), rtol=1e-5, atol=1e-5)
    m = np.arange(40, dtype=np.float32).reshape(8, 5)
    col, ends = sanitize.run_sanitized(parse(GATHER), "gather", [m, np.int64(3)])
    np.testing.assert_array_equal(col, 2 * m[:, 3])
    a, b = int_inputs("i8")
    results = sanitize.run_sanitized(parse(int_vector_module()), "int_ops_i8", [a, b])
    assert [r.tolist() for r in results] == list(expected_int_ops("i8", a, b).values())


def test_sanitized_run_catches_an_out_of_bounds_store(sanitizers):
    with pytest.raises(TesseraError) as error:
        sanitize.run_sanitized(parse(OUT_OF_BOUNDS), "overflow", [np.zeros(8, np.float32)])
    message = error.value.format()
    assert "failed under AddressSanitizer/UBSan" in message
    assert "heap-buffer-overflow" in message and "tsr_overflow" in message
    assert len(message.splitlines()) <= build.MAX_ERROR_LINES + 2


def test_sanitized_run_updates_in_place_arguments_and_checks_them(sanitizers):
    module = parse("""func.func @double(%x: memref<4xi32>, %k: i32) {
  %c0 = arith.constant 0 : index
  %v = vector.load %x[%c0] : memref<4xi32>, vector<4xi32>
  %kv = vector.broadcast %k : i32 to vector<4xi32>
  %w = arith.muli %v, %kv : vector<4xi32>
  vector.store %w, %x[%c0] : memref<4xi32>, vector<4xi32>
  func.return
}""")
    x = np.array([1, -2, 2**30, 7], dtype=np.int32)
    assert sanitize.run_sanitized(module, "double", [x, np.int32(2)]) == []
    assert x.tolist() == [2, -4, -(2**31), 14]
    with pytest.raises(TesseraError, match="has dtype float32, expected int32"):
        sanitize.run_sanitized(module, "double", [x.astype(np.float32), 2])
    with pytest.raises(TesseraError, match="no function @nope"):
        sanitize.run_sanitized(module, "nope", [])


def test_sanitizer_report_is_trimmed_to_the_kernel():
    stderr = "\n".join([
        "some python noise",
        "=================================================================",
        "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1",
        "WRITE of size 4 at 0x1 thread T0",
        "    #0 0x7f in tsr_f /cache/kernel.c:13",
        "    #1 0x7f  (/lib/libffi.so.8+0x6f79)",
        "    #2 0x7f in _PyEval_EvalFrameDefault Python/ceval.c:4769",
        "",
        "SUMMARY: AddressSanitizer: heap-buffer-overflow /cache/kernel.c:13 in tsr_f",
        "Shadow bytes around the buggy address:",
    ])
    assert sanitize._report(stderr).splitlines() == [
        "=================================================================",
        "==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1",
        "WRITE of size 4 at 0x1 thread T0",
        "    #0 0x7f in tsr_f /cache/kernel.c:13",
        "    ...",
        "",
        "SUMMARY: AddressSanitizer: heap-buffer-overflow /cache/kernel.c:13 in tsr_f",
    ]


def test_signatures_treat_vector_loads_as_reads():
    signature = c_signatures(parse(ADD))["add_f32"]
    assert [p.is_written for p in signature.params] == [False, False, True]


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_scheduled_extrema_match_the_reference_on_nan_and_signed_zeros(op):
    """The default schedule vectorizes maximum/minimum; NaN and ±0.0 lanes come out exactly
    as from the scalar helper (the unscheduled C), in both argument orders."""
    import tessera

    source = f"def f(x: f32[32], y: f32[32]) -> f32[32] {{ return {op}(x, y) }}"
    x = np.linspace(-3, 3, 32, dtype=np.float32)
    y = np.flip(x).copy()
    x[[1, 9]], y[[2, 9]] = np.nan, np.nan
    x[4], y[4], x[5], y[5] = -0.0, 0.0, 0.0, -0.0
    got = tessera.compile(source).f(x, y)
    want = tessera.compile(source, schedules="naive").f(x, y)
    assert np.isnan(want[[1, 2, 9]]).all()
    assert np.signbit(want[4]) == (op == "minimum")  # max(-0, +0) = +0, min(-0, +0) = -0
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
