"""The Ray measurement backend (`tessera tune --runner ray`), on a local Ray instance.

One Ray instance (2 CPUs) serves the whole module: the `session` fixture's measurer starts
it, `tessera.tune(runner="ray")` joins it (a measurer leaves a session it did not start
running), and the fixture shuts it down at the end.
"""

import sys

import pytest

ray = pytest.importorskip("ray")

import tessera  # noqa: E402
from tessera.compiler.diagnostics import TesseraError  # noqa: E402
from tessera.compiler.schedule import Schedule  # noqa: E402
from tessera.compiler.tuning.api import program_workloads  # noqa: E402
from tessera.compiler.tuning.database import TuningDatabase  # noqa: E402
from tessera.compiler.tuning.tuner import DEFAULT_DETAIL, tool_version  # noqa: E402
from tessera.targets.c import ray_measure  # noqa: E402
from tessera.targets.c.ray_measure import RayMeasurer  # noqa: E402
from tessera.targets.c.tuning import target_key  # noqa: E402

MATMUL = """dim M = 32
dim K = 24
dim N = 16

def matmul(a: f32[M, K], b: f32[K, N]) -> f32[M, N] {
  return a @ b
}
"""


@pytest.fixture(scope="module")
def session():
    assert not ray.is_initialized(), "a Ray session is already running in this process"
    measurer = RayMeasurer(address=None, jobs=2, threads=1, repeat=3)
    try:
        assert measurer._started and ray.is_initialized()
        assert ray.cluster_resources().get("CPU") == 2
        yield measurer
    finally:
        measurer.close()
        assert not ray.is_initialized()


def test_tune_on_ray_records_every_trial(session, tmp_path):
    db = tmp_path / "t.db"
    results = tessera.tune(MATMUL, runner="ray", trials=6, strategy="random", db=db,
                           threads=1)
    assert ray.is_initialized()  # tune's measurer joined the session and left it running
    (result,) = results
    assert len(result.trials) == 6
    with TuningDatabase(db) as database:
        assert database.targets() == [target_key(1)]  # the driver's key, as CMeasurer's
        trials = database.trials(result.workload.key, target_key(1), tool_version())
    assert len(trials) == 7  # the default schedule and 6 candidates
    assert sum(t.detail.startswith(DEFAULT_DETAIL) for t in trials) == 1
    for trial in trials:
        assert trial.status == "ok", trial.detail
        assert trial.cost is not None and trial.cost > 0
        assert "on " in trial.detail  # the node it ran on


def test_failures_come_back_through_ray(session, monkeypatch):
    (workload,) = program_workloads(MATMUL)
    good = session.default_schedule(workload)
    illegal = Schedule(parallel=2)  # d2 is matmul's reduction: the schedule pass rejects it
    outcomes = list(session.measure(workload, [good, illegal, good]))
    assert [o.status for o in outcomes] == ["ok", "compile-error", "ok"]
    assert "parallelize" in outcomes[1].detail

    # A result that disagrees with the reference is caught on the driver.
    prepared = session._prepare(workload)
    monkeypatch.setattr(prepared, "reference", [r + 1.0 for r in prepared.reference])
    (outcome,) = session.measure(workload, [good])
    assert outcome.status == "wrong" and outcome.cost is None
    assert "result 0" in outcome.detail


def test_without_ray_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails
    with pytest.raises(TesseraError, match=r"tessera\[distributed\]"):
        RayMeasurer(threads=1)


def test_an_unreachable_cluster_is_an_error_not_a_hang():
    with pytest.raises(TesseraError, match="cannot connect to the Ray cluster at 127.0.0.1:1"):
        ray_measure._probe("127.0.0.1:1")
    ray_measure._probe("auto")  # not host:port: left to Ray


def test_a_failed_task_is_summarised_in_one_line():
    try:
        raise ValueError("first line\nsecond line")
    except ValueError as e:
        assert ray_measure._summary(e) == "ValueError: first line"
