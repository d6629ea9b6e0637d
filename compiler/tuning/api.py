"""Tuning from Python: `tessera.tune(program)`, and where the tuning database lives.

    results = tessera.tune("examples/mlp.tsr", trials=64, strategy="model")
    for r in results:
        print(r.workload.key, r.speedup)
    prog = tessera.compile("examples/mlp.tsr", tuning_db=tessera.default_database())

The database is `$TESSERA_TUNING_DB` when set, else `tuning.db` in Tessera's cache
directory (`$TESSERA_CACHE_DIR`, else `~/.cache/tessera`). Compilation looks schedules up
there whenever the file exists; `TESSERA_TUNING_DB=none` turns the lookup off.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from tessera.compiler.diagnostics import TesseraError
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tessera.compiler.tuning.tuner import Progress, WorkloadResult

# How each target measures candidates, loaded on first use; `runner` picks the variant.
MEASURERS: dict[tuple[str, str], str] = {
    ("c", "local"): "tessera.targets.c.tuning:CMeasurer",
    ("c", "ray"): "tessera.targets.c.ray_measure:RayMeasurer",
    ("npu", "local"): "tessera.targets.npu.tuning:NpuMeasurer",
    ("cuda", "local"): "tessera.targets.cuda.tuning:CudaMeasurer",
}
OFF = ("none", "off", "")


def default_database() -> Path:
    configured = os.environ.get("TESSERA_TUNING_DB")
    if configured is not None and configured.strip().lower() not in OFF:
        return Path(configured)
    root = os.environ.get("TESSERA_CACHE_DIR")
    return (Path(root) if root else Path.home() / ".cache" / "tessera") / "tuning.db"


def lookup_database(given: str | os.PathLike | None = None) -> Path | None:
    """The database compilation reads: `given` (a path, or "none"), else the default one
    if it exists; None for no lookup."""
    if given is not None:
        return None if str(given).strip().lower() in OFF else Path(given)
    configured = os.environ.get("TESSERA_TUNING_DB")
    if configured is not None and configured.strip().lower() in OFF:
        return None
    path = default_database()
    return path if path.exists() else None


def make_measurer(target: str = "c", runner: str = "local", **options):
    from tessera.compiler.registry import load

    if (target, runner) not in MEASURERS:
        known = ", ".join(f"{t} ({r})" for t, r in MEASURERS)
        raise TesseraError(f"cannot tune for target '{target}' with the {runner} runner "
                           f"(tunable: {known})")
    return load(MEASURERS[target, runner])(**options)


def program_workloads(path_or_source, entry: str | None = None,
                      bindings: dict[str, int] | None = None):
    """The distinct workloads of one entry function of a `.tsr` program."""
    from tessera.compiler.api import Program, default_entry, read_source
    from tessera.compiler.pipelines import run_pipeline
    from tessera.compiler.registry import make_context
    from tessera.lowering.workloads import workloads

    text, filename = read_source(path_or_source)
    program = Program(text, filename, "c", dict(bindings or {}))
    entry = entry or default_entry(program._syntax, filename)
    module = program.graph(entry)
    run_pipeline("lower-to-buffers", make_context(), module)
    return workloads(module)


def tune(path_or_source, *, entry: str | None = None, bindings: dict[str, int] | None = None,
         target: str = "c", strategy: str = "model", trials: int = 64,
         time_budget: float | None = None, db: str | os.PathLike | None = None,
         seed: int = 0, runner: str = "local", batch: int = 8,
         progress: Callable[[Progress], None] | None = None,
         **measurer_options) -> list[WorkloadResult]:
    """Tune every distinct op of `entry` (`trials` and `time_budget` for the whole program),
    record every trial in `db` (default: `default_database()`), return one result per
    workload, the most expensive first. `measurer_options` go to the target's measurer
    (C: threads, repeat, min_sample_s, timeout_s, jobs; Ray: address; NPU: config, mode;
    CUDA: repeat, min_sample_s, timeout_s, jobs, reference_timeout_s)."""
    from tessera.compiler.tuning.database import TuningDatabase
    from tessera.compiler.tuning.tuner import Tuner

    works = program_workloads(path_or_source, entry, bindings)
    measurer = make_measurer(target, runner, seed=seed, **measurer_options)
    try:
        with TuningDatabase(db if db is not None else default_database()) as database:
            tuner = Tuner(measurer, database, strategy=strategy, seed=seed, batch=batch,
                          progress=progress)
            return tuner.tune_program(works, trials, time_budget=time_budget)
    finally:
        measurer.close()
