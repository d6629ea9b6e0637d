"""The auto-tuner without a machine: spaces, strategies and the tuner loop, measured by a
deterministic stand-in (the C measurer is tested in tests/targets/test_c_tuning.py)."""

import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning.api import program_workloads
from tessera.compiler.tuning.database import TuningDatabase
from tessera.compiler.tuning.measure import Outcome
from tessera.compiler.tuning.space import Resources, space_for, tile_sizes
from tessera.compiler.tuning.strategies import STRATEGIES, make_strategy
from tessera.compiler.tuning.tuner import Tuner, allot

MATMUL = """\
dim M = 96
dim K = 64
dim N = 80

def matmul(a: f32[M, K], b: f32[K, N]) -> f32[M, N] {
  return a @ b
}
"""

PROGRAM = """\
def net(x: f32[32, 64], w1: f32[64, 128], w2: f32[128, 16]) -> f32[32, 16] {
  return relu(x @ w1) @ w2
}
"""

CONV = """\
def conv(x: f32[1, 8, 12, 12], w: f32[16, 8, 3, 3]) -> f32[1, 16, 10, 10] {
  return conv2d(x, w)
}
"""

ELEMENTWISE = """\
def scale(x: f32[40, 36], y: f32[40, 36]) -> f32[40, 36] {
  return relu(x * y + x)
}
"""

REDUCTION = """\
def total(x: f32[48, 40]) -> f32[48] {
  return sum(x, axis=1)
}
"""

RESOURCES = Resources(lanes=(4, 8, 16), registers=32, l1_bytes=48 << 10, l2_bytes=1 << 20)


def workload(source=MATMUL, index=0):
    return program_workloads(source)[index]


def synthetic_cost(schedule: Schedule) -> float:
    """A smooth, deterministic landscape with one best point."""
    if not schedule.tiles:
        return 5.0  # the default schedule: slow
    cost = 1.0
    for size, best in zip(schedule.tiles[0], (32, 48, 64, 16, 16, 16, 16)):
        cost += 0.1 * abs(math.log2(size) - math.log2(best))
    cost += 0.05 * abs(schedule.vector - 8) / 8
    cost += 0.02 * len(schedule.pack)
    return cost


class FakeMeasurer:
    target = "fake-target"
    unit = "s"

    def __init__(self, cost=synthetic_cost, fail=lambda s: None, delay=0.0):
        self.cost, self.fail, self.delay = cost, fail, delay
        self.measured: list[Schedule] = []

    def resources(self, workload):
        return RESOURCES

    def default_schedule(self, workload):
        return Schedule()

    def measure(self, workload, schedules):
        for s in schedules:
            time.sleep(self.delay)
            self.measured.append(s)
            failure = self.fail(s)
            yield Outcome(failure, detail="injected") if failure else \
                Outcome("ok", self.cost(s))

    def close(self):
        pass


# -- spaces ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source, template", [
    (MATMUL, "register-tiled"), (CONV, "register-tiled"),
    (ELEMENTWISE, "elementwise"), (REDUCTION, "scalar"),
])
def test_every_sampled_point_is_a_legal_schedule(source, template):
    import random

    w = workload(source)
    space = space_for(w.nest, RESOURCES)
    assert space.template == template
    rng = random.Random(0)
    for _ in range(60):
        point = space.sample(rng)
        assert space.valid(point) and not space.violated(point)
        space.schedule(point).validate(w.nest)


def test_register_tiled_space_reads_as_declarations():
    space = space_for(workload().nest, RESOURCES)
    text = space.describe()
    for name in ("tile.d0", "tile.d2", "rows", "vectors", "lanes", "order", "pack.0",
                 "pack.1", "unroll", "where registers", "where l1", "where l2"):
        assert name in text
    # The constraints bite: 12 rows of 4 vectors do not fit 32 registers.
    point = space.sample(__import__("random").Random(1))
    values = space.values(point)
    values.update(rows=12, vectors=4)
    assert "registers" in space.violated(tuple(values[n] for n in space.names))


def test_tile_sizes_include_non_divisors_and_the_extent():
    sizes = tile_sizes(100)
    assert sizes[-1] == 100 and 48 in sizes and 64 in sizes  # 48, 64 do not divide 100
    assert tile_sizes(8) == (8,)


def test_restricted_spaces_check_their_knobs():
    space = space_for(workload().nest, RESOURCES)
    small = space.restricted(tile_d0=[32, 96], rows=[4])
    assert small.size < space.size
    assert dict(zip(small.names, (k.choices for k in small.knobs)))["rows"] == (4,)
    with pytest.raises(TesseraError, match="no knob"):
        space.restricted(tiles=[1])
    with pytest.raises(TesseraError, match="does not offer"):
        space.restricted(rows=[5])


# -- strategies and the tuner loop ---------------------------------------------------------


def run_search(tmp_path, strategy, seed, trials=24, name="db", measurer=None):
    measurer = measurer or FakeMeasurer()
    with TuningDatabase(tmp_path / f"{name}.db") as db:
        result = Tuner(measurer, db, strategy=strategy, seed=seed, batch=8).tune(
            workload(), trials)
    return result, measurer


@pytest.mark.parametrize("strategy", sorted(set(STRATEGIES) - {"grid"}))  # grid: below
def test_same_seed_same_trial_sequence(tmp_path, strategy):
    first, _ = run_search(tmp_path, strategy, seed=3, name="a")
    second, _ = run_search(tmp_path, strategy, seed=3, name="b")
    other, _ = run_search(tmp_path, strategy, seed=4, name="c")
    sequence = [s for s, _ in first.trials]
    assert len(sequence) == 24 and len(set(sequence)) == 24
    assert sequence == [s for s, _ in second.trials]
    assert sequence != [s for s, _ in other.trials]


def test_grid_search_enumerates_a_small_space_once(tmp_path):
    w = workload()
    space = space_for(w.nest, RESOURCES).restricted(
        tile_d0=[32, 96], tile_d1=[48, 80], tile_d2=[64], order=[(1, 2, 0)], rows=[4, 6],
        vectors=[1], lanes=[16], micro=["rows"], pack_0=[True], pack_1=[True], unroll=[1])
    valid = list(space.points())
    assert 0 < len(valid) <= 8
    with TuningDatabase(tmp_path / "g.db") as db:
        result = Tuner(FakeMeasurer(), db, strategy="grid").tune(w, 100, space=space)
    assert [s for s, _ in result.trials] == [space.schedule(p) for p in valid]


def test_grid_search_refuses_a_huge_space():
    with pytest.raises(TesseraError, match="restrict it"):
        make_strategy("grid", space_for(workload().nest, RESOURCES))


def test_model_guided_beats_random_on_a_smooth_landscape(tmp_path):
    """With the same 48 trials the cost model, trained online, finds a better schedule."""
    model, _ = run_search(tmp_path, "model", seed=0, trials=48, name="m")
    random_, _ = run_search(tmp_path, "random", seed=0, trials=48, name="r")
    assert model.best[1] < random_.best[1]
    curve = model.best_curve()
    assert all(a >= b for a, b in zip(curve, curve[1:]))  # best-so-far never rises


def test_failures_are_recorded_and_the_search_goes_on(tmp_path):
    def fail(s):
        return {0: "crash", 1: "timeout", 2: "wrong"}.get(s.vector % 5 if s.tiles else 9)

    result, measurer = run_search(tmp_path, "evolutionary", 0, measurer=FakeMeasurer(fail=fail))
    statuses = {o.status for _, o in result.trials}
    assert len(result.trials) == 24 and "ok" in statuses and statuses - {"ok"}
    with TuningDatabase(tmp_path / "db.db") as db:
        stored = db.trials(workload().key, "fake-target")
        assert len(stored) == 25  # the default schedule, then every trial
        assert {t.status for t in stored} == statuses
        assert db.best(workload().key, "fake-target")[0].status == "ok"


def test_a_resumed_search_replays_the_database_and_continues(tmp_path):
    whole, _ = run_search(tmp_path, "model", seed=1, trials=32, name="whole")
    with TuningDatabase(tmp_path / "part.db") as db:
        first = FakeMeasurer()
        Tuner(first, db, strategy="model", seed=1).tune(workload(), 16)
        second = FakeMeasurer()
        resumed = Tuner(second, db, strategy="model", seed=1).tune(workload(), 32)
        assert len(first.measured) == 17 and len(second.measured) == 16  # default not again
        assert [s for s, _ in resumed.trials] == [s for s, _ in whole.trials]
        again = FakeMeasurer()
        Tuner(again, db, strategy="model", seed=1).tune(workload(), 32)
        assert again.measured == []


def test_a_search_killed_with_sigkill_loses_no_trial(tmp_path):
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(__file__)!r})
        from test_tuning import FakeMeasurer, workload
        from tessera.compiler.tuning.database import TuningDatabase
        from tessera.compiler.tuning.tuner import Tuner
        measurer = FakeMeasurer(delay=float(sys.argv[2]))
        with TuningDatabase(sys.argv[1]) as db:
            Tuner(measurer, db, strategy="random", seed=5, batch=4).tune(workload(), 40)
        print(len(measurer.measured))
    """))
    path = tmp_path / "killed.db"
    child = subprocess.Popen([sys.executable, str(script), str(path), "0.05"])
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        if path.exists() and len(TuningDatabase(path)) >= 10:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    with TuningDatabase(path) as db:
        before = db.trials()
    assert 10 <= len(before) < 41
    done = subprocess.run([sys.executable, str(script), str(path), "0"], capture_output=True,
                          text=True, check=True)
    with TuningDatabase(path) as db:
        after = db.trials()
    assert len(after) == 41  # the default and 40 trials, none measured twice
    assert len({t.schedule for t in after}) == 41
    assert after[:len(before)] == before
    assert int(done.stdout) == 41 - len(before)


def test_a_program_spends_its_trials_where_the_time_is(tmp_path):
    works = program_workloads(PROGRAM)
    assert [w.key.split("(")[0] for w in works] == ["linalg.matmul", "linalg.matmul"]
    measurer = FakeMeasurer(cost=lambda s: 1.0)
    costs = {works[0].key: 3.0, works[1].key: 1.0}  # the first matmul takes 3/4 of the time
    measurer.measure = lambda w, schedules: iter([Outcome("ok", costs[w.key])
                                                  for _ in schedules])
    with TuningDatabase(tmp_path / "p.db") as db:
        results = Tuner(measurer, db, strategy="random").tune_program(works, 20)
    assert [r.workload.key for r in results] == [works[0].key, works[1].key]
    assert [len(r.trials) for r in results] == [15, 5]
    assert [r.share for r in results] == [0.75, 0.25]


def test_allot_divides_by_largest_remainder():
    assert allot(10, [0.5, 0.3, 0.2]) == [5, 3, 2]
    assert allot(7, [0.5, 0.25, 0.25]) == [3, 2, 2]  # remainders .5, .75, .75
    assert sum(allot(64, [0.61, 0.33, 0.06])) == 64


def test_a_workload_keys_alike_in_every_program():
    renamed = MATMUL.replace("a: f32", "lhs: f32").replace("b: f32", "rhs: f32") \
        .replace("a @ b", "lhs @ rhs")
    assert workload().key == workload(renamed).key
    transposed = MATMUL.replace("dim K = 64", "dim K = 65")
    assert workload().key != workload(transposed).key
