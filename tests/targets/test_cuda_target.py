"""The CUDA target end to end: programs lowered to kernels, emitted as CUDA, run on the CPU
emulation (and on a GPU when there is one), checked against the reference interpreter.

Every source built here is also compiled to sm_80 and sm_90 cubins and checked for spills
(tests/conftest.py sets TESSERA_CUDA_CHECK_ARCHS), where nvcc is installed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare
from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.gpu_schedule import GpuSchedule
from tessera.targets.cuda.build import build_cubin, nvcc_available
from tessera.targets.cuda.runner import emulation_sanitizers_available, gpu_available

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

MATMUL = """
def mm(a: f32[{m}, {k}], b: f32[{k}, {n}]) -> f32[{m}, {n}] {{
  return a @ b
}}
"""
CONV = """
def net(x: f32[2, 3, 11, 10], w: f32[5, 3, 3, 3], b: f32[5]) -> f32[2, 5, 6, 5] {
  return relu(conv2d(x, w, b, stride=2, padding=1))
}
"""
SOFTMAX = """
def sm(x: f32[6, 300]) -> f32[6, 300] {
  return softmax(x, axis=1)
}
"""
SCHEDULES = ("", "block=16,32 thread=2,4 k_tile=4", "block=32,32 thread=4,4 k_tile=8 stage=false",
             "block=64,16 thread=4,1 k_tile=7 threads=64",
             "block=32,32 thread=2,2 k_tile=8 vector=4", "block=16,16 thread=1,2 k_tile=4 vector=2")


def agree(source: str, entry: str, seed: int = 0, **options) -> None:
    program = tessera.compile(source, target="cuda-emu", **options)
    inputs = program.example_inputs(entry, seed=seed)
    got = program.function(entry)(*inputs)
    expected = tessera.compile(source, target="interp").function(entry)(*inputs)
    for g, e in zip(got if isinstance(got, (list, tuple)) else [got],
                    expected if isinstance(expected, (list, tuple)) else [expected]):
        result = compare(np.asarray(g), np.asarray(e))
        assert result.ok, f"{entry} {options}: {result}"


@pytest.mark.parametrize("gpu_options", SCHEDULES)
@pytest.mark.parametrize("shape", [(64, 64, 64), (100, 53, 37), (1, 7, 1), (96, 64, 32)])
def test_matmul_agrees(shape, gpu_options):
    m, k, n = shape
    agree(MATMUL.format(m=m, k=k, n=n), "mm", gpu_options=gpu_options)


@pytest.mark.parametrize("gpu_options", SCHEDULES[:3])
def test_conv2d_agrees(gpu_options):
    agree(CONV, "net", gpu_options=gpu_options)


@pytest.mark.parametrize("gpu_options", ["", "threads=32", "threads=512"])
def test_softmax_agrees(gpu_options):
    agree(SOFTMAX, "sm", gpu_options=gpu_options)


@pytest.mark.parametrize("name", ["lenet5", "mlp", "attention", "resnet_block", "bmm",
                                  "lenet5_int8"])
def test_examples_agree(name):
    agree((EXAMPLES / f"{name}.tsr").read_text(), name)


@pytest.mark.skipif(not emulation_sanitizers_available(), reason="no ASan/UBSan runtime")
@pytest.mark.parametrize("source,entry", [(MATMUL.format(m=100, k=53, n=37), "mm"),
                                          (CONV, "net"), (SOFTMAX, "sm"),
                                          ((EXAMPLES / "lenet5.tsr").read_text(), "lenet5")])
def test_sanitized_runs_agree(source, entry):
    agree(source, entry, sanitize=True, gpu_options="block=32,16 thread=2,2 k_tile=5")


def test_illegal_schedule_is_a_located_error():
    program = tessera.compile(MATMUL.format(m=8, k=8, n=8), target="cuda-emu",
                              gpu_options="block=32,32 thread=3,4")
    with pytest.raises(TesseraError, match=r"thread tile's rows \(3\) do not divide") as e:
        program.function("mm")(*program.example_inputs("mm", seed=0))
    assert "<stdin>:3:" in str(e.value) or ":3:" in str(e.value)


# ---- every kernel of the examples compiles for the GPU, without spills --------------------


def cuda_source(path: Path) -> str:
    from tessera.targets.cuda.backend import lower_and_emit

    program = tessera.compile(path.read_text(), target="cuda-emu")
    return lower_and_emit(program.graph(path.stem))[0]


@pytest.mark.skipif(not nvcc_available(), reason="nvcc is not installed")
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.parametrize("name", ["lenet5", "mlp", "attention", "resnet_block", "matmul"])
def test_example_kernels_compile_without_spills(name, arch):
    report = build_cubin(cuda_source(EXAMPLES / f"{name}.tsr"), arch)
    assert report.kernels, report.log
    for kernel, used in report.kernels.items():
        assert not used.spills, f"{kernel} spills on {arch}: {report.log}"
        assert used.shared_bytes <= 48 * 1024


@pytest.mark.skipif(not nvcc_available(), reason="nvcc is not installed")
def test_gemm_kernel_shared_memory_is_the_schedules():
    """The staged GEMM declares exactly its two tiles (A's rows padded by one)."""
    from tessera.targets.cuda.backend import lower_and_emit

    schedule = GpuSchedule(block=(64, 32), thread=(4, 2), k_tile=16)
    program = tessera.compile(MATMUL.format(m=128, k=64, n=96), target="cuda-emu")
    source, _ = lower_and_emit(program.graph("mm"), schedule.option_text())
    report = build_cubin(source, "sm_80")
    gemm = [k for name, k in report.kernels.items() if k.shared_bytes]
    assert [k.shared_bytes for k in gemm] == [schedule.shared_bytes()]
    assert not gemm[0].spills


# ---- the real GPU -------------------------------------------------------------------------


@pytest.mark.skipif(not gpu_available(), reason="no GPU")
@pytest.mark.parametrize("name", ["matmul", "lenet5", "mlp"])
def test_gpu_runs_agree(name):
    source = (EXAMPLES / f"{name}.tsr").read_text()
    program = tessera.compile(source, target="cuda")
    inputs = program.example_inputs(name, seed=0)
    got = program.function(name)(*inputs)
    expected = tessera.compile(source, target="interp").function(name)(*inputs)
    assert compare(np.asarray(got), np.asarray(expected)).ok


@pytest.mark.skipif(gpu_available(), reason="a GPU is present")
def test_cuda_without_gpu_is_a_clean_error():
    result = subprocess.run([sys.executable, "-m", "tessera.tools.tessera_cli", "run",
                             str(EXAMPLES / "matmul.tsr"), "--target", "cuda"],
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "no GPU available" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_runs_the_emulation():
    result = subprocess.run([sys.executable, "-m", "tessera.tools.tessera_cli", "run",
                             str(EXAMPLES / "mlp.tsr"), "--target", "cuda-emu", "--repeat", "1",
                             "--gpu-schedule", "block=16,16 thread=2,2 k_tile=8"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "agrees" in result.stdout
