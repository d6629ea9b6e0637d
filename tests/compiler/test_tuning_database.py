"""The tuning database: best-K, failures kept, JSON-lines round trip, damaged rows skipped,
no completed trial lost to SIGKILL, concurrent writers."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning import DamagedRow, Trial, TuningDatabase

MM = "linalg.matmul(memref<64x64xf32>, memref<64x64xf32>, memref<64x64xf32>)"
CPU = "c:AMD EPYC:avx512f"


def trial(cost, status="ok", workload=MM, tile=8, seed=0):
    return Trial(workload, CPU, "1", Schedule(tiles=((tile, tile, tile),)), cost, status, seed)


def test_best_k_ignores_failures_and_other_workloads(tmp_path):
    with TuningDatabase(tmp_path / "t.db") as db:
        db.record(trial(3.0, tile=4))
        db.record(trial(None, "crash", tile=2))
        db.record(trial(1.0, tile=16))
        db.record(trial(0.5, "wrong", tile=32))
        db.record(trial(0.1, workload="other"))
        db.record(trial(2.0, tile=8))
        assert [t.cost for t in db.best(MM, CPU, k=2)] == [1.0, 2.0]
        assert db.best(MM, CPU)[0].schedule == Schedule(tiles=((16, 16, 16),))
        assert db.best(MM, "c:elsewhere") == []
        assert [t.status for t in db.trials(MM, CPU)] == ["ok", "crash", "ok", "wrong", "ok"]
        assert db.workloads() == sorted([MM, "other"]) and len(db) == 6


def test_trials_survive_reopening_and_jsonl_round_trip(tmp_path):
    with TuningDatabase(tmp_path / "a.db") as db:
        for i in range(5):
            db.record(trial(float(i + 1), seed=i, tile=i + 1))
        db.record(trial(None, "timeout", tile=64))
        assert db.export_jsonl(tmp_path / "trials.jsonl") == 6
    with TuningDatabase(tmp_path / "a.db") as again, TuningDatabase(tmp_path / "b.db") as other:
        assert other.import_jsonl(tmp_path / "trials.jsonl") == 6
        assert other.trials() == again.trials()


def test_a_damaged_row_is_skipped_with_a_warning(tmp_path):
    path = tmp_path / "t.db"
    with TuningDatabase(path) as db:
        db.record(trial(1.0))
        db.record(trial(2.0, tile=4))
    raw = sqlite3.connect(path)
    raw.execute("UPDATE trials SET schedule = '{\"tiles\": [[0, ' WHERE id = 1")
    raw.commit()
    raw.close()
    with TuningDatabase(path) as db, pytest.warns(DamagedRow, match="trial 1 is damaged"):
        assert [t.cost for t in db.best(MM, CPU)] == [2.0]


def test_bad_jsonl_lines_are_skipped(tmp_path):
    lines = tmp_path / "in.jsonl"
    good = trial(1.0).to_json()
    import json

    lines.write_text(json.dumps(good) + "\nnot json\n" + json.dumps({**good, "status": "?"})
                     + "\n\n")
    with TuningDatabase(tmp_path / "t.db") as db, pytest.warns(DamagedRow):
        assert db.import_jsonl(lines) == 1


def test_a_trial_must_make_sense():
    with pytest.raises(ValueError, match="non-negative cost"):
        trial(None)
    with pytest.raises(ValueError, match="status"):
        trial(1.0, status="meh")


WRITER = """
import sys
from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning import Trial, TuningDatabase
db = TuningDatabase(sys.argv[1])
for i in range(int(sys.argv[2])):
    db.record(Trial("w", "t", "1", Schedule(vector=1 + i % 2), float(i), seed=i))
    print(i, flush=True)
"""


def test_sigkill_loses_no_completed_trial(tmp_path):
    path = tmp_path / "t.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "100000"],
                              stdout=subprocess.PIPE, text=True)
    done = -1
    deadline = time.time() + 60
    while done < 200 and time.time() < deadline:
        done = int(writer.stdout.readline())
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    with TuningDatabase(path) as db:
        seeds = [t.seed for t in db.trials()]
        assert seeds[: done + 1] == list(range(done + 1))  # every acknowledged trial is there
        assert db.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.record(trial(1.0))  # and the run can go on


def test_concurrent_writers_do_not_corrupt_the_file(tmp_path):
    path = tmp_path / "t.db"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), "40"],
                                stdout=subprocess.DEVNULL) for _ in range(3)]
    assert all(w.wait(timeout=120) == 0 for w in writers)
    with TuningDatabase(path) as db:
        assert len(db) == 120
        assert sorted(t.seed for t in db.trials()) == sorted(list(range(40)) * 3)
