"""The tuning database: every measured trial, in one SQLite file.

A trial is one schedule measured for one *workload* (an op's name and operand types) on one
*target* (the backend, CPU model and compiler flags) by one *tool version*; its cost is in
the target's unit (seconds on the C target, cycles on a simulated one) and its status says
whether the candidate ran (`ok`) or how it failed (`compile-error`, `crash`, `timeout`,
`wrong`). Failures are kept: they are part of what a search learned.

Durability: every trial is committed on its own, in WAL mode, so a tuner killed at any point
(Ctrl-C or SIGKILL) loses no completed trial and the next run resumes from what is there;
several tuners may write to one file at once (SQLite serialises the writers). A row whose
schedule no longer parses (a damaged or hand-edited file) is skipped with a warning rather
than failing the lookup. `export_jsonl`/`import_jsonl` move trials between databases as JSON
lines, one trial a line.
"""

from __future__ import annotations

import json
import sqlite3
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import Schedule, ScheduleError

STATUSES = ("ok", "compile-error", "crash", "timeout", "wrong")
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY,
    workload TEXT NOT NULL,
    target TEXT NOT NULL,
    version TEXT NOT NULL,
    schedule TEXT NOT NULL,
    cost REAL,
    status TEXT NOT NULL,
    seed INTEGER,
    time REAL NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS trials_best ON trials (workload, target, version, status, cost);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class DamagedRow(UserWarning):
    """A trial row that cannot be read back; it is skipped."""


@dataclass(frozen=True)
class Trial:
    workload: str
    target: str
    version: str
    schedule: Schedule
    cost: float | None
    status: str = "ok"
    seed: int | None = None
    time: float = field(default_factory=time.time)
    detail: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"trial status {self.status!r} is not one of {STATUSES}")
        if self.status == "ok" and (self.cost is None or not self.cost >= 0):
            raise ValueError(f"an ok trial needs a non-negative cost, got {self.cost!r}")

    def to_json(self) -> dict:
        data = asdict(self)
        data["schedule"] = self.schedule.to_json()
        return data

    @staticmethod
    def from_json(data: dict) -> Trial:
        fields = dict(data)
        fields["schedule"] = Schedule.from_json(fields.get("schedule", {}))
        return Trial(**fields)


class TuningDatabase:
    """Trials in an SQLite file (created on first use). Use as a context manager or close()."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # autocommit (isolation_level=None): each statement is its own transaction.
            self.connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.executescript(_SCHEMA)
            self.connection.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                (str(SCHEMA_VERSION),))
        except (OSError, sqlite3.Error) as e:
            raise TesseraError(f"tuning database {self.path}: {e}") from None

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> TuningDatabase:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------

    def record(self, trial: Trial) -> int:
        """Store one trial, durably, and return its id."""
        try:
            cursor = self.connection.execute(
                "INSERT INTO trials (workload, target, version, schedule, cost, status, seed,"
                " time, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (trial.workload, trial.target, trial.version, trial.schedule.dumps(),
                 trial.cost, trial.status, trial.seed, trial.time, trial.detail))
        except sqlite3.Error as e:
            raise TesseraError(f"tuning database {self.path}: cannot record a trial: {e}") \
                from None
        return int(cursor.lastrowid)

    # -- reading ------------------------------------------------------------------------

    def trials(self, workload: str | None = None, target: str | None = None,
               version: str | None = None) -> list[Trial]:
        """Every readable trial (of a workload / target / version when given), oldest first."""
        where, args = _filter(workload, target, version)
        rows = self.connection.execute(
            "SELECT id, workload, target, version, schedule, cost, status, seed, time, detail"
            f" FROM trials{where} ORDER BY id", args)
        return list(self._readable(rows))

    def best(self, workload: str, target: str, version: str | None = None,
             k: int = 1) -> list[Trial]:
        """The `k` cheapest successful trials of a workload on a target, cheapest first."""
        where, args = _filter(workload, target, version)
        rows = self.connection.execute(
            "SELECT id, workload, target, version, schedule, cost, status, seed, time, detail"
            f" FROM trials{where} AND status = 'ok' ORDER BY cost, id", args)
        out: list[Trial] = []
        for trial in self._readable(rows):
            out.append(trial)
            if len(out) == k:
                break
        return out

    def workloads(self, target: str | None = None) -> list[str]:
        where, args = _filter(None, target, None)
        rows = self.connection.execute(f"SELECT DISTINCT workload FROM trials{where}", args)
        return sorted(r[0] for r in rows)

    def targets(self, workload: str | None = None) -> list[str]:
        where, args = _filter(workload, None, None)
        rows = self.connection.execute(f"SELECT DISTINCT target FROM trials{where}", args)
        return sorted(r[0] for r in rows)

    def __len__(self) -> int:
        return int(self.connection.execute("SELECT COUNT(*) FROM trials").fetchone()[0])

    def _readable(self, rows) -> Iterator[Trial]:
        for row in rows:
            row_id, *values = row
            try:
                workload, target, version, schedule, cost, status, seed, at, detail = values
                yield Trial(str(workload), str(target), str(version),
                            Schedule.from_json(schedule), None if cost is None else float(cost),
                            str(status), None if seed is None else int(seed), float(at),
                            str(detail))
            except (ScheduleError, ValueError, TypeError) as e:
                warnings.warn(f"tuning database {self.path}: trial {row_id} is damaged and "
                              f"skipped ({e})", DamagedRow, stacklevel=3)

    # -- moving trials between databases ------------------------------------------------

    def export_jsonl(self, path: str | Path) -> int:
        """Write every readable trial to `path`, one JSON object a line; returns the count."""
        trials = self.trials()
        target = Path(path)
        temporary = target.with_name(f".{target.name}.tmp")
        with open(temporary, "w", encoding="utf-8") as f:
            for trial in trials:
                f.write(json.dumps(trial.to_json(), sort_keys=True) + "\n")
        temporary.replace(target)  # atomic: a reader sees the old file or the whole new one
        return len(trials)

    def import_jsonl(self, path: str | Path) -> int:
        """Add the trials of a JSON-lines file (bad lines are skipped with a warning);
        returns how many were added."""
        added = 0
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as e:
            raise TesseraError(f"cannot read {path}: {e.strerror}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                trial = Trial.from_json(json.loads(line))
            except (json.JSONDecodeError, ScheduleError, ValueError, TypeError) as e:
                warnings.warn(f"{path}:{number}: not a trial, skipped ({e})", DamagedRow,
                              stacklevel=2)
                continue
            self.record(trial)
            added += 1
        return added


def _filter(workload, target, version) -> tuple[str, list]:
    clauses, args = [], []
    for column, value in (("workload", workload), ("target", target), ("version", version)):
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else " WHERE 1"), args
