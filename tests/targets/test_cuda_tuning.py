"""Tuning for the CUDA target (targets/cuda/tuning.py), its database lookup in linalg-to-gpu,
and bench/cuda.py.

Without a GPU: the search space and its constraints, seeded searches over it with a stand-in
measurer, sampled schedules compiled to sm_80 cubins (no spills) and run on the CPU
emulation, the lookup with an injected target key, the clean errors. The measurement
plumbing (CudaMeasurer's builds, worker processes, checks and outcomes; `tessera tune
--target cuda`; bench/cuda.py end to end) runs against a stand-in for CuPy over host memory
(tests/targets/fake_cupy) with the kernels built for the CPU emulation. With a GPU one test
measures for real.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare
from tessera.compiler.api import Program
from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.gpu_schedule import (
    MAX_ACCUMULATORS,
    MAX_SHARED_BYTES,
    MAX_THREADS,
    GpuSchedule,
    default_gemm_schedule,
)
from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning.api import MEASURERS, program_workloads
from tessera.compiler.tuning.database import Trial, TuningDatabase
from tessera.compiler.tuning.measure import Outcome
from tessera.compiler.tuning.tuner import Tuner, tool_version
from tessera.targets.cuda import tuning
from tessera.targets.cuda.backend import lower_and_emit
from tessera.targets.cuda.build import build_cubin, build_emulated, nvcc_available
from tessera.targets.cuda.runner import gpu_available

ROOT = Path(__file__).resolve().parents[2]
FAKE_CUPY = Path(__file__).resolve().with_name("fake_cupy")
if str(ROOT) not in sys.path:  # bench/ is run from the repository root, not installed
    sys.path.insert(0, str(ROOT))

MATMUL = """\
def mm(a: f32[96, 72], b: f32[72, 80]) -> f32[96, 80] {
  return a @ b
}
"""
CONV = """\
def conv(x: f32[2, 8, 12, 12], w: f32[16, 8, 3, 3]) -> f32[2, 16, 10, 10] {
  return conv2d(x, w)
}
"""
SOFTMAX = """\
def sm(x: f32[6, 300]) -> f32[6, 300] {
  return softmax(x, axis=1)
}
"""
RELU = """\
def act(x: f32[40, 36]) -> f32[40, 36] {
  return relu(x)
}
"""
TARGET = "cuda; Test GPU; Cuda compilation tools, release 13.0"


def workload(source: str, index: int = 0):
    return program_workloads(source)[index]


def launches(source: str, entry: str, **options) -> str:
    """The launcher of `entry`'s CUDA source: its TESSERA_LAUNCH lines."""
    module = Program(source, "<test>", "cuda").graph(entry)
    text, _ = lower_and_emit(module, **options)
    return "\n".join(line.strip() for line in text.splitlines() if "TESSERA_LAUNCH(tsk" in line)


# -- the search space ----------------------------------------------------------------------


@pytest.mark.parametrize("source", [MATMUL, CONV], ids=["matmul", "conv"])
def test_contraction_space_is_non_empty_and_every_point_is_legal(source):
    w = workload(source)
    shape = tuning.gemm_shape(w.kernel)
    assert shape is not None
    space = tuning.cuda_space(w)
    assert space.template == "gpu-gemm"
    assert {"block_m", "block_n", "thread_m", "thread_n", "k_tile", "stage",
            "vector"} == set(space.names)
    assert {name for name, _ in space.features} == {"threads", "accumulators", "shared-bytes",
                                                    "blocks"}
    points = list(space.points())
    assert 0 < len(points) < space.size
    cap_m = max(16, 1 << (shape.m - 1).bit_length())
    cap_n = max(16, 1 << (shape.n - 1).bit_length())
    for point in points:
        s = space.schedule(point).gpu
        assert isinstance(s, GpuSchedule)
        s.validate(element_bytes=shape.element_bytes)
        tx, ty = s.block_threads
        assert 64 <= tx * ty <= MAX_THREADS
        assert s.shared_bytes(shape.element_bytes) <= MAX_SHARED_BYTES
        assert s.thread[0] * s.thread[1] <= MAX_ACCUMULATORS
        assert s.block[0] <= cap_m and s.block[1] <= cap_n
        assert s.stage or s.k_tile == tuning.K_TILES[0]
        assert s.vector == 1 or (s.stage and s.k_tile % s.vector == 0
                                 and s.block[1] % s.vector == 0)
    # the constraints are what rules points out: a random draw violating one names it
    rng = random.Random(0)
    bad = next(p for p in (tuple(rng.choice(k.choices) for k in space.knobs) for _ in range(999))
               if not space.valid(p))
    assert space.violated(bad)


def test_conv_space_caps_the_block_by_the_filters():
    w = workload(CONV)  # M = 16 filters, N = 2·10·10 = 200 output pixels
    shape = tuning.gemm_shape(w.kernel)
    assert (shape.m, shape.n, shape.k) == (16, 200, 72)
    blocks = {tuning.cuda_space(w).schedule(p).gpu.block for p in tuning.cuda_space(w).points()}
    assert {b[0] for b in blocks} == {16}
    assert {b[1] for b in blocks} >= {64, 128}


@pytest.mark.parametrize("source", [SOFTMAX, RELU], ids=["softmax", "relu"])
def test_other_ops_tune_the_block_size(source):
    for w in program_workloads(source):
        space = tuning.cuda_space(w)
        assert space.template == "gpu-threads" and space.names == ["threads"]
        schedules = [space.schedule(p) for p in space.points()]
        assert [s.gpu for s in schedules] == [GpuSchedule(threads=t)
                                              for t in tuning.THREAD_COUNTS]


def test_default_schedule_is_what_linalg_to_gpu_picks():
    measurer = object.__new__(tuning.CudaMeasurer)  # no GPU needed for the default
    w = workload(MATMUL)
    assert measurer.default_schedule(w) == Schedule(gpu=default_gemm_schedule(96, 80))
    assert measurer.default_schedule(workload(RELU)) == Schedule(gpu=GpuSchedule())
    assert MEASURERS["cuda", "local"] == "tessera.targets.cuda.tuning:CudaMeasurer"


def test_kernel_pipeline_applies_the_schedule_and_reads_no_database():
    spec = tuning.kernel_pipeline(GpuSchedule(block=(32, 64), thread=(2, 4), k_tile=8))
    assert spec.startswith("linalg-to-gpu{block=32,64 thread=2,4 k_tile=8 stage=true "
                           'threads=256 tuning_db="none"},gpu-outline-kernels')


# -- searching the space -------------------------------------------------------------------


def gpu_cost(schedule: Schedule) -> float:
    """A deterministic landscape over GPU schedules with one best region."""
    s = schedule.gpu
    tx, ty = s.block_threads
    return (1.0 + 0.1 * abs(np.log2(tx * ty) - 8) + 0.05 * abs(np.log2(s.block[0]) - 6)
            + 0.05 * abs(np.log2(s.block[1]) - 6) + 0.02 * (not s.stage)
            + 0.01 * abs(np.log2(s.k_tile) - 4))


class FakeGpuMeasurer:
    target = TARGET
    unit = "s"

    def resources(self, workload):
        raise AssertionError("the CUDA space is the measurer's own")

    def space(self, workload):
        return tuning.cuda_space(workload)

    def default_schedule(self, workload):
        return Schedule(gpu=GpuSchedule())

    def measure(self, workload, schedules):
        for s in schedules:
            yield Outcome("ok", gpu_cost(s))

    def close(self):
        pass


@pytest.mark.parametrize("strategy", ["random", "model"])
def test_seeded_search_over_the_space_is_reproducible(tmp_path, strategy):
    def search(name, seed):
        with TuningDatabase(tmp_path / f"{name}.db") as db:
            result = Tuner(FakeGpuMeasurer(), db, strategy=strategy, seed=seed,
                           batch=8).tune(workload(MATMUL), 24)
        return [s for s, _ in result.trials]

    first, again, other = search("a", 5), search("b", 5), search("c", 6)
    assert len(first) == 24 and len(set(s.dumps() for s in first)) == 24
    assert first == again and first != other
    space = tuning.cuda_space(workload(MATMUL))
    legal = {space.schedule(p) for p in space.points()}
    assert set(first) <= legal


# -- sampled schedules on the compilers and the emulation ----------------------------------


@pytest.mark.skipif(not nvcc_available(), reason="nvcc is not installed")
def test_sampled_points_compile_without_spills_and_agree_on_the_emulation():
    w = workload(MATMUL)
    space = tuning.cuda_space(w)
    rng = random.Random(11)
    schedules = [space.schedule(space.sample(rng)) for _ in range(3)]
    program = Program(MATMUL, "<test>", "c")
    inputs = program.example_inputs("mm", seed=0)
    expected = tessera.compile(MATMUL, target="interp").mm(*inputs)
    for schedule in schedules:
        source, signature = tuning.lower_kernel(w.kernel, schedule.gpu)
        assert signature.c_name == "tsr_kernel"
        report = build_cubin(source, "sm_80")
        assert report.kernels and not any(k.spills for k in report.kernels.values()), \
            schedule.gpu.text()
        got = tessera.compile(MATMUL, target="cuda-emu",
                              gpu_options=schedule.gpu.option_text()).mm(*inputs)
        assert compare(np.asarray(got), np.asarray(expected)).ok, schedule.gpu.text()


# -- linalg-to-gpu's database lookup -------------------------------------------------------


def record(path: Path, source: str, schedule: GpuSchedule, index: int = 0,
           target: str = TARGET, cost: float = 1e-4) -> str:
    key = workload(source, index).key
    with TuningDatabase(path) as db:
        db.record(Trial(key, target, tool_version(), Schedule(gpu=schedule), cost, "ok"))
    return key


@pytest.fixture
def this_gpu(monkeypatch):
    """linalg-to-gpu looks schedules up as if this machine's GPU had the key TARGET."""
    monkeypatch.setattr(tuning, "gpu_target_key", lambda: TARGET)


def test_tuning_db_applies_the_stored_schedule(tmp_path, this_gpu):
    db = tmp_path / "tuned.db"
    record(db, MATMUL, GpuSchedule(block=(32, 16), thread=(2, 2), k_tile=8))
    default = launches(MATMUL, "mm", tuning_db="none")
    tuned = launches(MATMUL, "mm", tuning_db=str(db))
    # blockDim = (BN/TN, BM/TM) = (8, 16); grid = (⌈80/16⌉, ⌈96/32⌉) = (5, 3)
    assert "dim3(5, 3, 1), dim3(8, 16, 1)" in tuned
    assert "dim3(8, 16, 1)" not in default
    # explicit options and the op's attribute still come first
    given = launches(MATMUL, "mm", gpu_options="block=16,16 thread=2,2 k_tile=4",
                     tuning_db=str(db))
    assert "dim3(8, 8, 1)" in given


def test_tuning_db_applies_the_block_size_of_other_ops(tmp_path, this_gpu):
    db = tmp_path / "tuned.db"
    record(db, RELU, GpuSchedule(threads=64))
    assert "dim3(64, 1, 1)" in launches(RELU, "act", tuning_db=str(db))
    assert "dim3(64, 1, 1)" not in launches(RELU, "act", tuning_db="none")
    # a `threads` option given other than its default wins
    assert "dim3(128, 1, 1)" in launches(RELU, "act", gpu_options="threads=128",
                                         tuning_db=str(db))


def test_tuning_db_lookup_needs_this_gpu(tmp_path, monkeypatch):
    db = tmp_path / "tuned.db"
    record(db, MATMUL, GpuSchedule(block=(32, 16), thread=(2, 2), k_tile=8), target="cuda; "
           "Another GPU; Cuda compilation tools, release 13.0")
    monkeypatch.setattr(tuning, "gpu_target_key", lambda: TARGET)
    assert "dim3(8, 16, 1)" not in launches(MATMUL, "mm", tuning_db=str(db))
    record(db, MATMUL, GpuSchedule(block=(32, 16), thread=(2, 2), k_tile=8))
    monkeypatch.setattr(tuning, "gpu_target_key", lambda: None)  # no GPU: no lookup
    assert "dim3(8, 16, 1)" not in launches(MATMUL, "mm", tuning_db=str(db))


def test_default_database_is_read_only_where_it_exists(tmp_path, monkeypatch, this_gpu):
    db = tmp_path / "default.db"
    monkeypatch.setenv("TESSERA_TUNING_DB", str(db))
    calls = []
    real = tuning.tuned_gpu_schedule
    monkeypatch.setattr(tuning, "tuned_gpu_schedule",
                        lambda *a: calls.append(a) or real(*a))
    launches(MATMUL, "mm")  # the database does not exist: no lookup at all
    assert not calls and not db.exists()
    record(db, MATMUL, GpuSchedule(block=(32, 16), thread=(2, 2), k_tile=8))
    assert "dim3(8, 16, 1)" in launches(MATMUL, "mm")
    assert calls
    monkeypatch.setenv("TESSERA_TUNING_DB", "none")
    assert "dim3(8, 16, 1)" not in launches(MATMUL, "mm")


def test_illegal_stored_schedule_is_skipped_with_a_warning(tmp_path, this_gpu):
    db = tmp_path / "tuned.db"
    record(db, MATMUL, GpuSchedule(block=(128, 128), thread=(1, 1), k_tile=8))  # 16384 threads
    with pytest.warns(UserWarning, match="not legal for the op and is skipped"):
        text = launches(MATMUL, "mm", tuning_db=str(db))
    assert "dim3(128, 128, 1)" not in text


def test_api_passes_the_database(tmp_path, this_gpu):
    from tessera.targets import backend

    db = tmp_path / "tuned.db"
    record(db, MATMUL, GpuSchedule(block=(32, 16), thread=(2, 2), k_tile=8))
    emulated = backend("cuda-emu", tuning_db=str(db))
    emulated.load(Program(MATMUL, "<test>", "cuda-emu").graph("mm"))
    assert "dim3(8, 16, 1)" in emulated.source
    program = tessera.compile(MATMUL, target="cuda-emu", tuning_db=str(db))
    inputs = program.example_inputs("mm", seed=1)
    assert compare(np.asarray(program.mm(*inputs)), inputs[0] @ inputs[1]).ok
    with pytest.raises(TesseraError, match="C, NPU and CUDA targets"):
        tessera.compile(MATMUL, target="interp", tuning_db=str(db))


# -- without a GPU -------------------------------------------------------------------------


@pytest.mark.skipif(gpu_available(), reason="a GPU is present")
def test_measurer_without_gpu_is_a_clean_error():
    with pytest.raises(TesseraError, match=r"cuda: tuning needs a GPU \(none available"):
        tuning.CudaMeasurer()
    assert tuning.gpu_target_key() is None


@pytest.mark.skipif(gpu_available(), reason="a GPU is present")
def test_cli_tune_for_cuda_without_gpu_is_a_clean_error(tmp_path):
    source = tmp_path / "mm.tsr"
    source.write_text(MATMUL)
    result = subprocess.run([sys.executable, "-m", "tessera.tools.tessera_cli", "tune",
                             str(source), "--target", "cuda", "--trials", "2", "--db",
                             str(tmp_path / "t.db")], capture_output=True, text=True)
    assert result.returncode == 1, result.stderr
    assert "tuning needs a GPU" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(gpu_available(), reason="a GPU is present")
def test_bench_without_gpu_exits_2_with_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bench.cuda", "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bench.cuda: no GPU available"), lines
    assert not list(tmp_path.iterdir())


# -- the measurement plumbing against a stand-in for CuPy ----------------------------------


def emulated_build(lowered, arch):
    return str(build_emulated(lowered.source))


@pytest.fixture
def fake_gpu(monkeypatch):
    """CuPy over host memory (tests/targets/fake_cupy) here and in the worker processes,
    candidates built for the CPU emulation instead of by nvcc."""
    if not nvcc_available():
        pytest.skip("nvcc is not installed (the target key names its release)")
    monkeypatch.syspath_prepend(str(FAKE_CUPY))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(FAKE_CUPY), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.setattr(tuning, "build_candidate", emulated_build)
    for name in [m for m in sys.modules if m == "cupy" or m.startswith("cupy.")]:
        monkeypatch.delitem(sys.modules, name)
    tuning.gpu_target_key.cache_clear()
    yield
    for name in [m for m in sys.modules if m == "cupy" or m.startswith("cupy.")]:
        del sys.modules[name]
    tuning.gpu_target_key.cache_clear()


def test_measurer_outcomes_on_the_stand_in(fake_gpu, monkeypatch):
    w = workload(MATMUL)
    with tuning.CudaMeasurer(repeat=3, min_sample_s=0.0, timeout_s=60.0) as measurer:
        assert measurer.target.startswith("cuda; Fake GPU") and "release" in measurer.target
        space = measurer.space(w)
        rng = random.Random(2)
        schedules = [measurer.default_schedule(w),
                     *(space.schedule(space.sample(rng)) for _ in range(2))]
        outcomes = list(measurer.measure(w, schedules))
        assert [o.status for o in outcomes] == ["ok"] * 3, outcomes
        assert all(o.cost > 0 for o in outcomes)
        # a launcher that fails is a crash, with CUDA's message
        monkeypatch.setattr(tuning, "build_candidate", lambda lowered, arch: emulated_build(
            tuning.Lowered(lowered.source.replace("return 0;", "return 2;"), lowered.symbol,
                           lowered.params), arch))
        (crash,) = measurer.measure(w, schedules[:1])
        assert crash.status == "crash" and "exit 3" in crash.detail, crash
        # a candidate that does not compile is a compile-error
        monkeypatch.setattr(tuning, "build_candidate", lambda lowered, arch: emulated_build(
            tuning.Lowered(lowered.source + "\nnot C++;\n", lowered.symbol, lowered.params),
            arch))
        (broken,) = measurer.measure(w, schedules[:1])
        assert broken.status == "compile-error", broken
        monkeypatch.setattr(tuning, "build_candidate", emulated_build)
        (illegal,) = measurer.measure(w, [Schedule(gpu=GpuSchedule(block=(128, 128),
                                                                   thread=(1, 1)))])
        assert illegal.status == "compile-error" and "threads a block" in illegal.detail
        # outputs that disagree with the reference are wrong
        prepared = measurer._prepare(w)
        prepared.reference[0] = prepared.reference[0] + 1.0
        (wrong,) = measurer.measure(w, schedules[:1])
        assert wrong.status == "wrong", wrong
    with tuning.CudaMeasurer(repeat=3, timeout_s=0.01) as measurer:
        (late,) = measurer.measure(w, schedules[:1])
        assert late.status == "timeout"


def test_tune_for_cuda_then_compile_with_the_result(fake_gpu, tmp_path):
    db = tmp_path / "cuda.db"
    results = tessera.tune(MATMUL, target="cuda", strategy="random", trials=3, db=db,
                           repeat=2, min_sample_s=0.0, timeout_s=60.0)
    (result,) = results
    assert len(result.trials) == 3 and result.best is not None
    best = tuning.tuned_gpu_schedule(result.workload.key, db)
    assert best is not None and best == result.best[0].gpu
    bx, by = best.block_threads
    assert f"dim3({bx}, {by}, 1)" in launches(MATMUL, "mm", tuning_db=str(db))


def test_bench_end_to_end_on_the_stand_in(fake_gpu, monkeypatch, tmp_path):
    from bench import cases as case_list
    from bench import cuda as bench_cuda

    import tessera.targets.cuda.build as cuda_build

    monkeypatch.setattr(cuda_build, "build_gpu_library",
                        lambda source, arch: build_emulated(source))
    monkeypatch.setattr(bench_cuda, "all_cases", lambda: [case_list.matmul_case(48, 40, 56)])
    monkeypatch.setattr(bench_cuda, "import_torch_cuda", lambda: None)
    code = bench_cuda.main(["--cases", "matmul-48", "--rounds", "2", "--repeat", "2",
                            "--min-sample-s", "0", "--out", str(tmp_path), "--tune", "2",
                            "--tuning-db", str(tmp_path / "t.db")])
    assert code == 0
    (md,) = tmp_path.glob("cuda-fake-gpu-*.md")
    text = md.read_text()
    for row in ("| matmul-48 | tessera default |", "| matmul-48 | tessera tuned |",
                "| matmul-48 | CuPy |"):
        assert row in text
    table = text.split("Cases:")[0]
    assert "WRONG" not in table and "FAILED" not in table
    (js,) = tmp_path.glob("cuda-fake-gpu-*.json")
    assert js.stat().st_size > 0


# -- a real GPU ----------------------------------------------------------------------------


@pytest.mark.skipif(not gpu_available(), reason="no GPU")
def test_measuring_on_the_gpu(tmp_path):
    w = workload(MATMUL)
    with tuning.CudaMeasurer(repeat=3) as measurer:
        space = measurer.space(w)
        rng = random.Random(0)
        schedules = [measurer.default_schedule(w),
                     *(space.schedule(space.sample(rng)) for _ in range(2))]
        outcomes = list(measurer.measure(w, schedules))
    assert [o.status for o in outcomes] == ["ok"] * 3, outcomes
    assert all(0 < o.cost < 0.1 for o in outcomes)
    assert tuning.gpu_target_key() == measurer.target
