"""The CUDA target's build and run machinery on hand-written `.cu` fixtures (tests/targets/
cuda_fixtures/), which follow the emitter's source contract: the CPU emulation of the CUDA
execution model against NumPy, its barrier and poisoning semantics, the emulation under
ASan/UBSan, nvcc cubins and ptxas's report, and the GPU path (skipped without a GPU)."""

from __future__ import annotations

import ctypes
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.cuda import build, runner

FIXTURES = Path(__file__).parent / "cuda_fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def declared_shared_bytes(source: str) -> int:
    """The bytes of the `__shared__ float name[N * M]` arrays a source declares."""
    total = 0
    for size in re.findall(r"__shared__\s+float\s+\w+\[([0-9 *+]+)\]", source):
        elements = 1
        for factor in size.split("*"):
            elements *= int(factor)
        total += 4 * elements
    return total


@pytest.fixture(scope="module")
def matmul_inputs():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((100, 37), dtype=np.float32)
    b = rng.standard_normal((37, 53), dtype=np.float32)
    return a, b


@pytest.fixture(scope="module")
def model_library() -> runner.EmulatedLibrary:
    return runner.EmulatedLibrary(build.build_emulated(fixture("model.cu")))


@pytest.fixture(scope="module")
def sanitizers():
    if not runner.emulation_sanitizers_available():
        pytest.skip("the C++ compiler cannot build with ASan/UBSan")


needs_nvcc = pytest.mark.skipif(not build.nvcc_available(), reason="nvcc is not installed")


# --------------------------------------------------------------------------------------
# The emulation against NumPy
# --------------------------------------------------------------------------------------


def test_tiled_matmul_with_ragged_sizes_agrees_with_numpy(matmul_inputs):
    a, b = matmul_inputs
    library = runner.EmulatedLibrary(build.build_emulated(fixture("matmul_tiled.cu")))
    c = np.full((100, 53), 7.0, np.float32)
    library.call("tsr_matmul", [a, b, c])
    np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-5)
    assert library.live_allocations() == 0  # the launcher freed its temporary


def test_inputs_are_converted_and_outputs_written_through_non_contiguous_views(matmul_inputs):
    a, b = matmul_inputs
    library = build.build_emulated(fixture("matmul_tiled.cu"))
    wide = np.zeros((100, 106), np.float32)
    c = wide[:, ::2]  # not C-contiguous: written through a copy, then back
    runner.call_emulated(library, "tsr_matmul", [a.astype(np.float64), b.T.copy().T, c])
    np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-5)
    assert np.all(wide[:, 1::2] == 0)


def test_block_tree_reduction_sums_rows():
    x = np.random.default_rng(1).standard_normal((37, 300), dtype=np.float32)
    out = np.zeros(37, np.float32)
    runner.run_emulated(fixture("row_sum.cu"), "tsr_row_sum", [x, out])
    np.testing.assert_allclose(out, x.sum(axis=1), rtol=1e-4, atol=1e-4)


def test_a_launch_leaves_no_stacks_mapped():
    """Each launch unmaps its fibers' stacks: a process loading hundreds of emulated
    libraries (the test suite) would otherwise run out of mappings (vm.max_map_count), as a
    long differential run once did ("failed to map segment from shared object")."""
    library = runner.EmulatedLibrary(build.build_emulated(fixture("row_sum.cu")))
    x = np.ones((37, 300), np.float32)
    before = len(Path("/proc/self/maps").read_text().splitlines())
    library.call("tsr_row_sum", [x, np.zeros(37, np.float32)])  # 128 threads a block
    assert len(Path("/proc/self/maps").read_text().splitlines()) <= before + 8


def test_more_of_the_contract_softmax_float4_constants_and_atomics():
    x = np.random.default_rng(2).standard_normal((8, 64), dtype=np.float32)
    softmax, y, positive = np.zeros_like(x), np.zeros_like(x), np.zeros(1, np.int32)
    runner.run_emulated(fixture("features.cu"), "tsr_features", [x, softmax, y, positive])
    e = np.exp(x - x.max(axis=1, keepdims=True))
    np.testing.assert_allclose(softmax, e / e.sum(axis=1, keepdims=True), rtol=1e-5, atol=1e-7)
    weights = np.array([0.5, -1.0, 2.0, 0.25], np.float32)
    expected = np.maximum(x.reshape(-1, 4) * weights + np.float32(0.125), 0).reshape(8, 64)
    np.testing.assert_allclose(y, expected, rtol=1e-6)
    assert positive[0] == np.count_nonzero(expected)


def test_indices_and_block_order_follow_cuda(model_library):
    grid, block = (3, 2, 2), (4, 3, 2)
    ids = np.full((12, 24, 6), -1, np.int32)
    order = np.full(12, -1, np.int32)
    model_library.call("tsr_indices", [ids, order])
    # Blocks run one at a time, x fastest, then y, then z.
    assert order.tolist() == list(range(12))
    bz, by, bx, tz, ty, tx = np.meshgrid(*(np.arange(n) for n in (*grid[::-1], *block[::-1])),
                                         indexing="ij")
    expected = np.stack([tx, ty, tz, bx, by, bz], axis=-1).reshape(12, 24, 6)
    np.testing.assert_array_equal(ids, expected)


# --------------------------------------------------------------------------------------
# Barriers and poison
# --------------------------------------------------------------------------------------


def test_a_missing_barrier_reads_poisoned_shared_memory():
    source = "#define TESSERA_MISSING_BARRIER\n" + fixture("row_sum.cu")
    x = np.ones((37, 300), np.float32)
    out = np.zeros(37, np.float32)
    runner.run_emulated(source, "tsr_row_sum", [x, out])
    # Threads run one after another up to a barrier: thread 0 adds partial[64] before thread
    # 64 has stored it, and what it finds there is the poison, a NaN.
    assert np.isnan(out).all()


def test_shared_memory_is_poisoned_before_every_block(model_library):
    out = np.zeros(64, np.float32)
    model_library.call("tsr_shared", [out])
    assert np.all(out[:32] == 1.0)
    assert np.isnan(out[32:]).all()  # block 1 never wrote it; block 0's values are gone


def test_fresh_device_memory_reads_as_nan(model_library):
    out = np.zeros(64, np.float32)
    model_library.call("tsr_half", [out])
    assert np.all(out[:32] == 2.0)
    assert np.isnan(out[32:]).all()
    assert model_library.live_allocations() == 0


def test_a_divergent_barrier_is_an_error_naming_the_block_and_the_counts():
    library = build.build_emulated(fixture("divergent_barrier.cu"))
    with pytest.raises(TesseraError) as error:
        runner.call_emulated(library, "tsr_divergent", [np.zeros(512, np.float32)])
    assert error.value.message == (
        "cuda-emu: tsr_divergent: tsr_divergent_k0: block (1,0,0): __syncthreads() at line 13 "
        "reached by 37 of 256 threads (219 had returned)")


def test_threads_at_different_barriers_are_an_error(model_library):
    with pytest.raises(TesseraError, match=r"tsr_sites_k0: block \(0,0,0\): threads wait at "
                                           r"different __syncthreads\(\) \(lines \d+ and \d+\)"):
        model_library.call("tsr_sites", [np.zeros(64, np.float32)])


def test_an_invalid_configuration_is_an_error_and_the_next_call_starts_clean(model_library):
    out = np.zeros(1024, np.float32)
    with pytest.raises(TesseraError, match=r"cuda-emu: tsr_fill: tsr_fill_k0: invalid launch "
                                           r"configuration .* block \(2048,1,1\): more than "
                                           r"1024 threads per block"):
        model_library.call("tsr_fill", [out, 2048])
    model_library.call("tsr_fill", [out, 1024])
    assert np.all(out == 3.0)


# --------------------------------------------------------------------------------------
# Arguments, builds, errors
# --------------------------------------------------------------------------------------


def test_launcher_signatures_are_read_from_the_source():
    signature = runner.launcher_signature(fixture("features.cu"), "tsr_features")
    assert [p.describe() for p in signature.params] == [
        "const float* x", "float* softmax", "float* y", "int32_t* positive"]
    unnamed = runner.launcher_signature(
        'extern "C" int f(const double*, unsigned int, int64_t n) { return 0; }', "f")
    assert [p.describe() for p in unnamed.params] == [
        "const double* arg0", "unsigned int arg1", "int64_t n"]
    assert runner.launcher_signature(fixture("features.cu"), "tsr_softmax_k0") is None
    with pytest.raises(TesseraError, match="cannot pass parameter 'float\\*\\* p'"):
        runner.launcher_signature('extern "C" int g(float** p) { return 0; }', "g")


@pytest.mark.parametrize("args, message", [
    ([np.zeros(4, np.float32)], r"tsr_fill takes 2 argument\(s\) \(out, threads\), got 1"),
    ([np.zeros(4, np.float64), 4], r"'float\* out' is written: it takes an array of float32, "
                                   r"got float64"),
    ([np.zeros(4, np.float32), 2.5], r"'int64_t threads' takes an integer, got 2.5"),
    ([3.0, 4], r"'float\* out' takes an array, got float"),
])
def test_arguments_are_checked_against_the_launcher(model_library, args, message):
    with pytest.raises(TesseraError, match=message):
        model_library.call("tsr_fill", args)


def test_a_compile_error_carries_the_compilers_message():
    source = fixture("divergent_barrier.cu").replace("staged[255 - tx]", "staged[undeclared]")
    with pytest.raises(TesseraError, match=r"(?s)cuda-emu: .* compiling kernel.cu for the CUDA "
                                           r"emulation:.*kernel.cu:\d+:\d+: error: .undeclared."):
        build.build_emulated(source)


def test_a_function_nothing_defines_is_a_build_error():
    source = 'extern "C" float tsr_nowhere(float);\n' + fixture("model.cu").replace(
        "t[threadIdx.x] = 2.0f", "t[threadIdx.x] = tsr_nowhere(2.0f)")
    with pytest.raises(TesseraError, match=r"(?s)compiling kernel.cu for the CUDA emulation:.*"
                                           r"undefined reference to .tsr_nowhere."):
        build.build_emulated(source)


def test_missing_compilers_are_one_line_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("TESSERA_CXX", str(tmp_path / "no-such-c++"))
    with pytest.raises(TesseraError) as error:
        build.build_emulated(fixture("model.cu"), cache_dir=tmp_path)
    assert error.value.message == (f"cuda-emu: C++ compiler '{tmp_path / 'no-such-c++'}' not "
                                   "found; install one or set TESSERA_CXX")
    monkeypatch.setenv("TESSERA_NVCC", str(tmp_path / "no-such-nvcc"))
    assert not build.nvcc_available()
    with pytest.raises(TesseraError) as error:
        build.build_cubin(fixture("model.cu"), "sm_80", cache_dir=tmp_path)
    assert "\n" not in error.value.message
    assert error.value.message.startswith("cuda target: CUDA compiler ")
    assert list(tmp_path.glob("*.so")) == [] and list(tmp_path.glob(".build-*")) == []


def test_a_library_without_the_emulation_is_refused(tmp_path):
    from tessera.targets.c.build import build_shared_library

    library = build_shared_library("int f(void) { return 0; }\n", cache_dir=tmp_path)
    with pytest.raises(TesseraError, match="was not built for the CUDA emulation"):
        runner.EmulatedLibrary(library)


# --------------------------------------------------------------------------------------
# Under AddressSanitizer and UBSan
# --------------------------------------------------------------------------------------


def test_sanitized_tiled_matmul_agrees_with_numpy(sanitizers, matmul_inputs):
    a, b = matmul_inputs
    c = np.zeros((100, 53), np.float32)
    runner.run_emulated(fixture("matmul_tiled.cu"), "tsr_matmul", [a, b, c], sanitize=True)
    np.testing.assert_allclose(c, a @ b, rtol=1e-5, atol=1e-5)


def test_sanitized_run_catches_a_store_past_a_device_buffer(sanitizers):
    source = fixture("overflows.cu")
    x = np.arange(100, dtype=np.float32)
    out = np.zeros(100, np.float32)
    runner.run_emulated(source, "tsr_overflow", [x, out, 0], sanitize=True)
    lane = np.arange(100) % 64
    np.testing.assert_allclose(out, x * (lane % 4) + x + 1.0)
    with pytest.raises(TesseraError) as error:
        runner.run_emulated(source, "tsr_overflow", [x, out, 1], sanitize=True)
    report = error.value.message
    assert report.startswith("cuda-emu: tsr_overflow failed under AddressSanitizer/UBSan")
    assert "heap-buffer-overflow" in report
    assert re.search(r"in tsr_overflow_k0 \S*kernel\.cu:27", report)


@pytest.mark.parametrize("mode, kind, line", [(2, "stack-buffer-overflow", 23),
                                              (3, "global-buffer-overflow", 25)])
def test_asan_sees_register_and_shared_array_overflows_across_barriers(sanitizers, mode, kind,
                                                                       line):
    # UBSan off: its object-size check would report these first, and the point is that ASan's
    # redzones survive the fiber switches (register arrays) and the poisoning (shared arrays).
    asan_only = ("-fno-sanitize=undefined,float-cast-overflow",)
    library = build.build_emulated(fixture("overflows.cu"), sanitize=True, extra_flags=asan_only)
    x = np.ones(100, np.float32)
    with pytest.raises(TesseraError) as error:
        runner.call_emulated_sanitized(library, "tsr_overflow", [x, np.zeros(100, np.float32),
                                                                 mode])
    assert kind in error.value.message
    assert re.search(rf"kernel\.cu:{line}", error.value.message)


def test_sanitized_run_reports_emulation_errors_as_in_process(sanitizers):
    with pytest.raises(TesseraError, match=r"^error: cuda-emu: tsr_divergent: "
                                           r"tsr_divergent_k0: block \(1,0,0\): .* 37 of 256"):
        runner.run_emulated(fixture("divergent_barrier.cu"), "tsr_divergent",
                            [np.zeros(512, np.float32)], sanitize=True)


# --------------------------------------------------------------------------------------
# nvcc
# --------------------------------------------------------------------------------------


PTXAS_LOG = """\
ptxas info    : 24 bytes gmem, 16 bytes cmem[3], 8 bytes cmem[4]
ptxas info    : Compiling entry function 'tsr_small' for 'sm_80'
ptxas info    : Function properties for tsr_small
    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 8 registers, used 0 barriers, 360 bytes cmem[0]
ptxas info    : Compile time = 1.398 ms
ptxas info    : Compiling entry function 'tsr_big' for 'sm_80'
ptxas info    : Function properties for tsr_big
    2176 bytes stack frame, 1772 bytes spill stores, 2216 bytes spill loads
ptxas info    : Used 64 registers, used 1 barriers, 2176 bytes cumulative stack size, 4160 bytes smem, 376 bytes cmem[0]
ptxas warning : Registers are spilled to local memory in function 'tsr_big', 1772 bytes spill stores, 2216 bytes spill loads
ptxas info    : Function properties for _Z6helperfi
    8 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
"""  # noqa: E501


def test_ptxas_reports_are_parsed():
    report = build.parse_ptxas_report(PTXAS_LOG, "sm_80")
    assert set(report.kernels) == {"tsr_small", "tsr_big"}
    assert report.global_bytes == 24 and report.constant_bytes == {3: 16, 4: 8}
    big = report["tsr_big"]
    assert (big.registers, big.barriers, big.stack_frame, big.spill_stores, big.spill_loads,
            big.shared_bytes, big.cumulative_stack) == (64, 1, 2176, 1772, 2216, 4160, 2176)
    assert big.constant_bytes == {0: 376} and big.spills
    assert not report["tsr_small"].spills and report["tsr_small"].registers == 8
    assert not report["_Z6helperfi"].is_entry and report["_Z6helperfi"].stack_frame == 8
    assert report.warnings == ("Registers are spilled to local memory in function 'tsr_big', "
                               "1772 bytes spill stores, 2216 bytes spill loads",)


@needs_nvcc
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
def test_matmul_cubin_fits_in_registers_with_the_declared_shared_memory(arch):
    source = fixture("matmul_tiled.cu")
    report = build.build_cubin(source, arch)
    assert report.arch == arch and report.cubin.exists()
    kernel = report.kernels["tsr_matmul_k0"]
    assert 0 < kernel.registers <= 255
    assert (kernel.spill_stores, kernel.spill_loads, kernel.stack_frame) == (0, 0, 0)
    assert kernel.shared_bytes == declared_shared_bytes(source) == 3136
    assert kernel.barriers == 1
    again = build.build_cubin(source, arch)  # from the cache: the same files
    assert again.cubin == report.cubin and again.log == report.log


@needs_nvcc
@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.cu")))
def test_every_fixture_is_valid_cuda(name):
    report = build.build_cubin(fixture(name), "sm_80")
    assert report.kernels
    for kernel in report.kernels.values():
        assert kernel.shared_bytes == declared_shared_bytes(
            re.search(rf"{kernel.name}\(.*?\n}}\n", fixture(name), re.DOTALL)[0])


@needs_nvcc
def test_an_nvcc_error_carries_its_message():
    source = fixture("model.cu").replace("staged[tx] = 1.0f", "staged[tx] = undeclared")
    with pytest.raises(TesseraError, match=r"(?s)cuda target: nvcc failed \(exit \d+\) compiling "
                                           r"kernel.cu for sm_90:\n.*kernel.cu\(\d+\): error: "
                                           r"identifier \"undeclared\" is undefined"):
        build.build_cubin(source, "sm_90")
    with pytest.raises(TesseraError, match="'compute_90' is not a GPU architecture"):
        build.build_cubin(source, "compute_90")


# --------------------------------------------------------------------------------------
# A real GPU
# --------------------------------------------------------------------------------------


@pytest.mark.skipif(not runner.gpu_available(), reason="no GPU (or no CuPy)")
def test_call_gpu_runs_the_matmul_on_the_gpu(matmul_inputs):
    a, b = matmul_inputs
    c = np.zeros((100, 53), np.float32)
    runner.call_gpu(fixture("matmul_tiled.cu"), "tsr_matmul", [a, b, c])
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-4)


@pytest.mark.skipif(runner.gpu_available(), reason="a GPU is present")
def test_call_gpu_without_a_gpu_is_a_clean_error(matmul_inputs):
    with pytest.raises(TesseraError, match=r"^error: cuda: no GPU available \(.+\)$"):
        runner.call_gpu(fixture("matmul_tiled.cu"), "tsr_matmul", [*matmul_inputs,
                                                                    np.zeros((100, 53))])


@needs_nvcc
@pytest.mark.skipif(runner.gpu_available(), reason="a GPU is present")
def test_a_gpu_library_builds_without_a_gpu_and_names_cuda_errors():
    source = fixture("matmul_tiled.cu") + runner.GPU_ERROR_STRING
    library = build.build_gpu_library(source, "sm_90")
    assert library.with_suffix(".cu").read_text(encoding="utf-8") == source
    dll = ctypes.CDLL(str(library))
    dll.tsr_matmul.restype = ctypes.c_int
    code = dll.tsr_matmul(None, None, None)  # no driver or no device: cudaMalloc fails
    assert code != 0
    assert re.fullmatch(rf"\S.* \(error {code}\)", runner._gpu_error_string(dll, code))


def test_call_gpu_without_cupy_is_a_clean_error(monkeypatch, matmul_inputs):
    monkeypatch.setitem(sys.modules, "cupy", None)  # `import cupy` raises ImportError
    assert not runner.gpu_available()
    with pytest.raises(TesseraError, match=r"^error: cuda: no GPU available \(CuPy cannot be "
                                           r"imported: .*\)$"):
        runner.call_gpu(fixture("matmul_tiled.cu"), "tsr_matmul", [*matmul_inputs,
                                                                    np.zeros((100, 53))])
