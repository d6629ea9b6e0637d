"""Measuring on the C target: crash isolation, time-outs, wrong answers, compile errors, and
compilation picking up what tuning found."""

import subprocess
import sys

import numpy as np
import pytest

import tessera
from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning.api import program_workloads
from tessera.compiler.tuning.database import Trial, TuningDatabase
from tessera.compiler.tuning.tuner import Tuner, tool_version
from tessera.targets.c.build import build_shared_library
from tessera.targets.c.tuning import Built, CMeasurer, run, target_key

MATMUL = """\
dim M = 40
dim K = 24
dim N = 36

def matmul(a: f32[M, K], b: f32[K, N]) -> f32[M, N] {
  return a @ b
}
"""

# Stand-ins for candidates gone bad, with the kernel's calling convention.
USED = "(void)a; (void)b; (void)c;"  # the suite compiles with -Wall -Wextra -Werror
BAD_KERNELS = {
    "crash": f"void tsr_kernel(float *a, float *b, float *c) {{ {USED} *(volatile int *)0 = 1; }}",
    "timeout": f"void tsr_kernel(float *a, float *b, float *c) {{ {USED} "
               f"for (volatile int i = 0;; i++); }}",
    "wrong": "void tsr_kernel(float *a, float *b, float *c) { (void)a; (void)b; c[7] = 1e9f; }",
    "abort": f"#include <stdlib.h>\nvoid tsr_kernel(float *a, float *b, float *c) {{ {USED} "
             f"abort(); }}",
}


@pytest.fixture(scope="module")
def workload():
    return program_workloads(MATMUL)[0]


class Sabotaged(CMeasurer):
    """Builds a bad kernel for every schedule with `vector == 2`, by the order given."""

    def __init__(self, bad: list[str], **options):
        super().__init__(**options)
        self.bad = list(bad)

    def _build(self, workload, schedules):
        built = super()._build(workload, schedules)
        out = []
        for b, s in zip(built, schedules):
            if Schedule.from_json(s).vector == 2 and self.bad:
                kind = self.bad.pop(0)
                library = build_shared_library(BAD_KERNELS[kind])
                b = Built(str(library), "tsr_kernel", b.params)
            out.append(b)
        return out


def test_bad_kernels_fail_in_their_own_process(workload, tmp_path):
    with CMeasurer(timeout_s=2.0) as measurer:
        prepared = measurer._prepare(workload)
        params = measurer._build(workload, [Schedule().dumps()])[0].params
        for kind, status, detail in [("crash", "crash", "SIGSEGV"),
                                     ("abort", "crash", "SIGABRT"),
                                     ("timeout", "timeout", "killed")]:
            library = build_shared_library(BAD_KERNELS[kind])
            result = run(Built(str(library), "tsr_kernel", params), prepared.inputs,
                         str(tmp_path), threads=1, repeat=1, min_sample_s=0, timeout_s=2.0)
            assert (result.status, detail in result.detail) == (status, True), result


def test_a_search_records_failures_and_goes_on(workload, tmp_path):
    order = (0, 1, 2, 3, 5, 4)  # j innermost
    bad_vector = Schedule(tiles=((8, 8, 8),), order=order, vector=2)
    illegal = Schedule(vector=4)  # the innermost loop is the reduction k: cannot vectorize
    good = Schedule(tiles=((8, 12, 24),), order=order, vector=4)
    with Sabotaged(["crash", "timeout", "wrong"], timeout_s=2.0) as measurer, \
            TuningDatabase(tmp_path / "t.db") as db:
        schedules = [bad_vector, illegal, good,
                     Schedule(tiles=((4, 8, 8),), order=order, vector=2),
                     Schedule(tiles=((8, 4, 8),), order=order, vector=2)]
        outcomes = list(measurer.measure(workload, schedules))
        assert [o.status for o in outcomes] == ["crash", "compile-error", "ok", "timeout",
                                                "wrong"]
        assert "vectorize" in outcomes[1].detail
        assert "differs" in outcomes[4].detail or "DISAGREES" in outcomes[4].detail
        assert outcomes[2].cost > 0
        # In a search the failures are trials like any other.
        measurer.bad = ["crash"] * 100
        result = Tuner(measurer, db, strategy="random", seed=0, batch=4).tune(workload, 8)
        assert len(result.trials) == 8 and result.best is not None
        statuses = [t.status for t in db.trials(workload.key)]
        assert len(statuses) == 9 and "ok" in statuses


def test_tuned_schedules_are_applied_when_compiling(workload, tmp_path):
    path = tmp_path / "tuning.db"
    tuned = Schedule(tiles=((8, 12, 24),), order=(1, 0, 2, 3, 5, 4), vector=4)
    with TuningDatabase(path) as db:
        for threads in (1, 64):  # measured on one thread, and on a machine we do not have
            db.record(Trial(workload.key, target_key(threads), tool_version(), tuned, 1e-6))
        db.record(Trial(workload.key, target_key(1), tool_version(), Schedule(), 2e-6))
        db.record(Trial(workload.key, target_key(1), "0.0.1", Schedule(vector=8), 1e-9))
    source = tessera.compile(MATMUL, tuning_db=path).lower("matmul", "c-loops")
    plain = tessera.compile(MATMUL, tuning_db="none").lower("matmul", "c-loops")
    assert str(source) != str(plain)
    expected = tessera.compile(MATMUL, schedules={"matmul": tuned}).lower("matmul", "c-loops")
    assert str(source) == str(expected)

    program = tessera.compile(MATMUL, tuning_db=path)
    a, b = (np.random.default_rng(0).standard_normal(s).astype(np.float32)
            for s in ((40, 24), (24, 36)))
    np.testing.assert_allclose(program.matmul(a, b), a @ b, rtol=1e-5, atol=1e-5)


def test_the_default_database_is_used_when_it_exists(workload, tmp_path, monkeypatch):
    path = tmp_path / "tuning.db"
    monkeypatch.setenv("TESSERA_TUNING_DB", str(path))
    plain = str(tessera.compile(MATMUL).lower("matmul", "c-loops"))  # no file: the default
    tuned = Schedule(tiles=((8, 12, 24),), order=(0, 1, 2, 3, 5, 4), vector=4)
    with TuningDatabase(path) as db:
        db.record(Trial(workload.key, target_key(1), tool_version(), tuned, 1e-6))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert str(tessera.compile(MATMUL).lower("matmul", "c-loops")) != plain
    source = tmp_path / "matmul.tsr"
    source.write_text(MATMUL)
    opt = subprocess.run([sys.executable, "-m", "tessera.tools.tessera_opt", str(source),
                          "-p", "lower-to-c", "--tuning-db", str(path)],
                         capture_output=True, text=True)
    assert opt.returncode == 0, opt.stderr
    assert opt.stdout.strip() != plain.strip()


def test_an_illegal_tuned_schedule_is_skipped_with_a_warning(workload, tmp_path):
    path = tmp_path / "tuning.db"
    with TuningDatabase(path) as db:  # vectorizing the reduction: illegal for this op
        db.record(Trial(workload.key, target_key(1), tool_version(), Schedule(vector=4), 1e-9))
    with pytest.warns(UserWarning, match="not legal"):
        tuned = tessera.compile(MATMUL, tuning_db=path).lower("matmul", "c-loops")
    assert str(tuned) == str(tessera.compile(MATMUL, tuning_db="none").lower("matmul",
                                                                           "c-loops"))


def test_tessera_opt_reports_a_missing_database(tmp_path):
    missing = tmp_path / "missing.db"
    source = tmp_path / "matmul.tsr"
    source.write_text(MATMUL)
    opt = subprocess.run([sys.executable, "-m", "tessera.tools.tessera_opt", str(source),
                          "-p", "lower-to-c", "--tuning-db", str(missing)],
                         capture_output=True, text=True)
    assert opt.returncode == 1
    assert f"tuning database {missing} does not exist" in opt.stderr
    assert "Traceback" not in opt.stderr


def test_tune_end_to_end(tmp_path):
    path = tmp_path / "e2e.db"
    results = tessera.tune(MATMUL, trials=6, strategy="random", db=path, threads=1,
                           repeat=2, min_sample_s=0.0)
    (result,) = results
    assert len(result.trials) == 6 and result.default_cost > 0
    assert all(o.status == "ok" for _, o in result.trials)
    with TuningDatabase(path) as db:
        assert len(db.trials(result.workload.key, target_key(1))) == 7
