"""bench/tuning.py (the search-strategy benchmark) and the tuned row of bench/kernels.py.

The replay logic runs on synthetic tables (a made-up cost function, nothing measured); one
`--quick` run measures its 16 schedules for real (a few seconds); no timing assertions.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is run from the repository root, not installed
    sys.path.insert(0, str(ROOT))

from bench import cases, kernels, measure, tuning  # noqa: E402
from tessera.compiler.schedule import Schedule  # noqa: E402
from tessera.compiler.tuning.database import Trial, TuningDatabase  # noqa: E402
from tessera.compiler.tuning.measure import Outcome  # noqa: E402
from tessera.compiler.tuning.space import Resources  # noqa: E402

# An AVX-512-like machine, so the spaces do not depend on the host.
RESOURCES = Resources(lanes=(4, 8, 16), registers=32, l1_bytes=48 << 10, l2_bytes=1 << 20)


def synthetic_cost(values: dict) -> float | None:
    """Best near an 8×3-vector register tile, kc 192, mc 128; one corner fails."""
    if values["rows"] == 4 and values["vectors"] == 1 and values["unroll"] == 2:
        return None
    tile = abs(math.log2(values["rows"] * values["vectors"] / 24))
    return 1e-3 * (1 + 0.4 * tile + 0.1 * abs(math.log2(values["tile.d2"] / 192))
                   + 0.07 * abs(math.log2(values["tile.d0"] / 128))
                   + 0.025 * abs(math.log2(values["tile.d1"] / 192))
                   + 0.015 * (values["unroll"] == 1))


def outcome(cost: float | None) -> Outcome:
    return Outcome("ok", cost) if cost is not None else Outcome("crash", None, "synthetic")


@pytest.fixture(scope="module")
def table():
    workload = tuning.matmul_workload(tuning.SIZE)
    space = tuning.fixed_space(workload, RESOURCES)
    points = list(space.points())
    outcomes = {space.schedule(p).dumps(): outcome(synthetic_cost(space.values(p)))
                for p in points}
    return workload, tuning.Table(space, points, outcomes, (Schedule(), 2e-3))


def test_the_fixed_space_is_small_enough_for_exhaustive_search(table):
    _, t = table
    assert 300 <= len(t.points) <= 600
    values = t.space.values(t.points[0])
    assert values["order"] == (1, 2, 0) and values["lanes"] == 16
    assert values["pack.0"] and values["pack.1"] and values["parallel"] is None
    # every point is its own schedule: the table cannot mix two points up
    assert len({t.space.schedule(p).dumps() for p in t.points}) == len(t.points)


def test_trials_to_reach():
    assert tuning.trials_to_reach([None, 5.0, 3.0, 1.04, 1.0], 1.05) == 4
    assert tuning.trials_to_reach([None, 1.05], 1.05) == 2
    assert tuning.trials_to_reach([2.0, None], 1.05) is None
    assert tuning.trials_to_reach([], 1.0) is None


def test_the_table(table):
    _, t = table
    costs = [synthetic_cost(t.space.values(p)) for p in t.points]
    assert t.best == pytest.approx(1e-3)
    assert t.good(0.05) == sum(c is not None and c <= 1.05e-3 for c in costs)
    assert 0 < t.good(0.05) < len(t.points) // 10  # a search has something to find


def test_replay_measures_nothing_and_follows_the_table(table):
    workload, t = table
    by_schedule = {t.space.schedule(p).dumps(): synthetic_cost(t.space.values(p))
                   for p in t.points}
    costs = tuning.replay(t, workload, "grid", 0, horizon=len(t.points))
    assert costs == [synthetic_cost(t.space.values(p)) for p in t.points]  # grid order
    assert sorted(costs, key=str) == sorted(by_schedule.values(), key=str)

    # the replay stops once the target is found and the budget is spent
    limit = t.best * 1.05
    short = tuning.replay(t, workload, "random", 3, horizon=16)
    found = tuning.trials_to_reach(short, limit)
    assert found is not None and len(short) == max(16, found)
    # seeded: the same seed makes the same search
    assert tuning.replay(t, workload, "random", 3, horizon=16) == short


def test_compare_strategies(table):
    workload, t = table
    results = tuning.compare_strategies(t, workload, tuning.STRATEGIES, [0, 1])
    by_name = {r.name: r for r in results}
    assert list(by_name) == list(tuning.STRATEGIES)
    grid_first = tuning.trials_to_reach(t.costs, t.best * 1.05)
    assert by_name["grid"].trials == [grid_first, grid_first]  # the seed does not matter
    for r in results:
        assert len(r.trials) == 2 and all(1 <= n <= len(t.points) for n in r.trials)
        assert all(r.reached)
        assert all(x is not None and x >= 1.0 for x in r.best_at_budget)
        assert r.to_json()["median"] == pytest.approx(sum(r.trials) / 2)
    # found at the last point only: the space's size (as a search that never gets there)
    never = tuning.Table(t.space, t.points, t.outcomes, t.default)
    never.outcomes = {k: Outcome("wrong") for k in t.outcomes}
    never.outcomes[t.space.schedule(t.points[-1]).dumps()] = Outcome("ok", 1.0)
    [grid] = tuning.compare_strategies(never, workload, ["grid"], [0])
    assert grid.trials == [len(t.points)] and grid.reached == [True]


class FakeMeasurer:
    """Costs from the schedule itself (nothing runs); counts what it measures."""

    unit = "s"
    target = "fake; threads=1"

    def __init__(self):
        self.measured = 0

    def resources(self, workload):
        return RESOURCES

    def default_schedule(self, workload):
        return Schedule()

    def measure(self, workload, schedules):
        for s in schedules:
            self.measured += 1
            if len(s.tiles) < 2:
                yield Outcome("ok", 2e-5)
                continue
            (mc, nc, kc), (rows, width, _) = s.tiles
            yield Outcome("ok", 1e-5 * (1 + 0.5 * abs(math.log2(rows * width / 256))
                                        + 0.1 * abs(math.log2(mc / 128))
                                        + 0.1 * abs(math.log2(kc / 128))))

    def close(self):
        pass


def test_main_writes_both_files_and_replays_its_database(tmp_path, capsys):
    db, out = tmp_path / "t.db", tmp_path / "out"
    argv = ["--quick", "--db", str(db), "--out", str(out), "--seeds", "2"]
    first = FakeMeasurer()
    assert tuning.main(argv, measurer=first) == 0
    assert first.measured == 17  # the default schedule and the 16 points
    [json_path] = out.glob("tuning-*.json")
    [md_path] = out.glob("tuning-*.md")
    document = json.loads(json_path.read_text())
    assert document["space"]["valid_points"] == 16 and len(document["exhaustive"]["table"]) == 16
    assert document["exhaustive"]["best_s"] == pytest.approx(1e-5)
    assert document["exhaustive"]["best_point"]["rows"] == 8
    assert set(document["strategies"]) == set(tuning.STRATEGIES)
    assert all(len(r["trials"]) == 2 for r in document["strategies"].values())
    assert isinstance(document["goal"]["model_within_budget"], bool)
    markdown = md_path.read_text()
    assert markdown.startswith("# Tessera tuning strategies:")
    assert "| model |" in markdown and markdown in capsys.readouterr().out

    again = FakeMeasurer()  # a rerun measures nothing: the database has every point
    assert tuning.main(argv, measurer=again) == 0
    assert again.measured == 0
    assert json.loads(json_path.read_text())["exhaustive"]["table"] == \
        document["exhaustive"]["table"]


def test_quick_run_measures_for_real(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench.tuning", "--quick", "--seeds", "1", "--strategies",
         "random,model", "--db", str(tmp_path / "t.db"), "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [json_path] = tmp_path.glob("tuning-*.json")
    document = json.loads(json_path.read_text())
    table = document["exhaustive"]["table"]
    assert len(table) == 16 and all(row["status"] == "ok" for row in table)
    assert set(document["strategies"]) == {"random", "model"}
    assert "| random |" in done.stdout


# --- bench.kernels --tuning-db ------------------------------------------------------------

@pytest.mark.filterwarnings("error")  # a database schedule that is skipped warns
def test_tuned_contender_compiles_the_database_schedule(tmp_path, monkeypatch):
    from tessera.compiler.tuning.api import program_workloads
    from tessera.compiler.tuning.tuner import tool_version
    from tessera.targets.c.tuning import target_key

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    case = cases.matmul_case(48, 40, 64)
    [workload] = program_workloads(case.source, case.entry, case.bindings)
    tuned = Schedule(tiles=((16, 32, 40),), order=(0, 1, 2, 3, 5, 4), vector=8)
    path = tmp_path / "tuning.db"
    with TuningDatabase(path) as db:
        db.record(Trial(workload.key, target_key(1), tool_version(), Schedule(), 2e-6))
        db.record(Trial(workload.key, target_key(1), tool_version(), tuned, 1e-6))

    lookup = kernels.tuned_lookup(case, path, 2)  # nothing at 2 threads: the 1-thread best
    assert lookup == [("matmul", tuned.dumps(), 1, 2)]
    assert kernels.tuned_note(lookup) == "tuned matmul: best of 2 trials at 1 thread"

    inputs = case.make_inputs(np.random.default_rng(0))
    contenders = kernels.tuned_contenders(case, inputs, path, [1, 2])
    assert contenders[1] is contenders[2]  # both counts pick the same schedule
    c = contenders[1]
    assert c.name == "tessera tuned" and c.status == "ok", c.note
    measure.check(c, inputs[0] @ inputs[1])
    assert c.status == "ok"
    assert "OMP_NUM_THREADS" not in __import__("os").environ  # restored

    other = cases.matmul_case(32, 32, 32)
    assert kernels.tuned_note(kernels.tuned_lookup(other, path, 1)) == \
        "nothing tuned in the database: the default schedules"


def test_kernels_options():
    args = kernels.build_parser().parse_args(["--tuning-db", "x.db", "--tune", "16",
                                              "--tune-threads", "1,2"])
    assert (args.tuning_db, args.tune, args.tune_threads) == ("x.db", 16, [1, 2])
    assert kernels.build_parser().parse_args([]).tune_threads == [1]


def test_kernels_reports_a_missing_database(tmp_path):
    missing = tmp_path / "missing.db"
    done = subprocess.run(
        [sys.executable, "-m", "bench.kernels", "--cases", "matmul-256", "--tuning-db",
         str(missing), "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"tuning database {missing} does not exist" in done.stderr
