"""`python -m bench.kernels`: tessera-generated C beside NumPy/OpenBLAS and PyTorch CPU.

    python -m bench.kernels                          # every case, 1 and 2 threads where listed
    python -m bench.kernels --quick                  # N <= 512 matmuls and the conv, few repeats
    python -m bench.kernels --cases 'matmul-*' --threads 1 --schedules hand.json
    python -m bench.kernels --cases 'matmul-512,matmul-1024,matmul-2048' --threads 1 \
        --tune 64 --tuning-db bench/results/tuned.db   # tune first, then the table

Contenders per case: tessera with the `naive` and `default` schedules, tessera with the
schedules of `--schedules FILE` ("tessera hand", e.g. bench/schedules/avx512.json), tessera
with the best schedules of `--tuning-db PATH` ("tessera tuned"), NumPy, and PyTorch when it
is installed. Each is compiled/prepared once, checked against NumPy once, then timed in
interleaved rounds. Writes <out>/<machine>-<date>.json and .md and prints the Markdown. Exits 1
when a contender failed to compile or gave a wrong result.

`--tune N` first tunes the chosen matmul cases among matmul-512/1024/2048 (model-guided
search, N trials each, at the `--tune-threads` counts: default 1) into the tuning database
(`--tuning-db`, default bench/results/tuned-<machine>.db), as `tessera tune` does; trials the
database already holds are not measured again, so a rerun goes straight to the table. The
default and hand rows never read a tuning database (not even the default one).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

import numpy as np

from bench import cases as case_list
from bench import measure, report

DEFAULT_OUT = "bench/results"
TUNE_CASES = ("matmul-512", "matmul-1024", "matmul-2048")  # what --tune tunes
GOAL = 0.9  # tuned matmul at 1 thread against NumPy (OpenBLAS)


def _int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.kernels",
                                description=__doc__.split("\n")[0].split(": ", 1)[1])
    p.add_argument("--quick", action="store_true",
                   help="few rounds and calls; by default only N <= 512 and the conv")
    p.add_argument("--cases", type=lambda s: [x for x in s.split(",") if x],
                   help="comma-separated case names or globs (default: all, or the quick ones)")
    p.add_argument("--threads", type=_int_list,
                   help="only these thread counts, e.g. 1,2 (default: each case's own)")
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 5, quick 2)")
    p.add_argument("--repeat", type=int,
                   help="calls per round (default: as many as fit in --round-time)")
    p.add_argument("--round-time", type=float,
                   help="seconds of calls per contender per round (default 0.25, quick 0.02)")
    p.add_argument("--max-call-seconds", type=float, default=3.0,
                   help="a contender slower than this per call is timed once (default 3)")
    p.add_argument("--settle", type=float,
                   help="seconds of sleep before each contender's turn when threads > 1, so "
                   "the spinning worker threads of the previous library go idle (default "
                   "0.3, quick 0.15)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--schedules", metavar="FILE",
                   help="JSON {case: {op: schedule record}}: adds 'tessera hand'")
    p.add_argument("--seed", type=int, default=0, help="seed of the inputs")
    p.add_argument("--tuning-db", metavar="PATH",
                   help="adds 'tessera tuned': each case compiled with the best schedules this "
                   "tuning database holds for this machine (tuned at the row's thread count, "
                   "else at another)")
    p.add_argument("--tune", type=int, metavar="N",
                   help=f"first tune the chosen cases among {', '.join(TUNE_CASES)} for N "
                   "trials each (model strategy) into --tuning-db (default "
                   "bench/results/tuned-<machine>.db); resumable")
    p.add_argument("--tune-threads", type=_int_list, default=[1],
                   help="thread counts --tune tunes at (default 1)")
    return p


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def import_torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def tessera_contenders(case, inputs, hand: dict | None):
    """naive, default, then hand (from --schedules) if the file has this case. None of
    them reads a tuning database (the default row is the default heuristic's schedules)."""
    from tessera.compiler.schedule import Schedule

    out = [measure.tessera_contender(f"tessera {s}", case, inputs, s, tuning_db="none")
           for s in ("naive", "default")]
    if hand is not None and case.name in hand:
        schedules = {op: Schedule.from_json(r) for op, r in hand[case.name].items()}
        out.append(measure.tessera_contender("tessera hand", case, inputs, schedules,
                                             tuning_db="none"))
    return out


@contextlib.contextmanager
def omp_threads(n: int):
    """OMP_NUM_THREADS=n for the block: the thread count a tuning-database lookup at compile
    time picks its schedules for (`targets.c.tuning.runtime_threads`)."""
    before = os.environ.get("OMP_NUM_THREADS")
    os.environ["OMP_NUM_THREADS"] = str(n)
    try:
        yield
    finally:
        if before is None:
            del os.environ["OMP_NUM_THREADS"]
        else:
            os.environ["OMP_NUM_THREADS"] = before


def tuned_lookup(case, db_path, threads: int) -> list[tuple[str, str | None, int | None, int]]:
    """What compiling `case` with `db_path` at `threads` threads picks, per workload:
    (op, the schedule's JSON or None, the thread count it was tuned at, trials there), the
    same way `targets.c.tuning.tuned_schedule` looks it up."""
    from tessera.compiler.tuning.api import program_workloads
    from tessera.compiler.tuning.database import TuningDatabase
    from tessera.compiler.tuning.report import short_op
    from tessera.compiler.tuning.tuner import tool_version
    from tessera.targets.c.tuning import target_key

    exact = target_key(threads)
    machine = exact.rpartition("; threads=")[0]
    version = tool_version()
    out = []
    with TuningDatabase(db_path) as db:
        for w in program_workloads(case.source, case.entry, case.bindings):
            found = (short_op(w.key), None, None, 0)
            for target in [exact, *(t for t in db.targets(w.key)
                                    if t != exact and t.rpartition("; threads=")[0] == machine)]:
                best = db.best(w.key, target, version)
                if best:
                    found = (short_op(w.key), best[0].schedule.dumps(),
                             int(target.rpartition("threads=")[2]),
                             len(db.trials(w.key, target, version)))
                    break
            out.append(found)
    return out


def tuned_note(lookup) -> str:
    tuned = [f"{op}: best of {trials} trials at {n} thread{'s' if n != 1 else ''}"
             for op, schedule, n, trials in lookup if schedule is not None]
    if not tuned:
        return "nothing tuned in the database: the default schedules"
    rest = len(lookup) - len(tuned)
    return "tuned " + "; ".join(tuned) + (f" ({rest} other op(s) default)" if rest else "")


def tuned_contenders(case, inputs, db_path, thread_counts) -> dict[int, measure.Contender]:
    """'tessera tuned' per thread count, compiled with the schedules the database holds for
    that count (one contender shared by the counts that pick the same schedules)."""
    out: dict[int, measure.Contender] = {}
    by_pick: dict[tuple, measure.Contender] = {}
    for n in thread_counts:
        lookup = tuned_lookup(case, db_path, n)
        pick = tuple(schedule for _, schedule, _, _ in lookup)
        if pick not in by_pick:
            with omp_threads(n):
                c = measure.tessera_contender("tessera tuned", case, inputs, None,
                                              tuning_db=str(db_path))
            c.note = "; ".join(x for x in (c.note, tuned_note(lookup)) if x)
            by_pick[pick] = c
        out[n] = by_pick[pick]
    return out


def tune_cases(cases, db_path, trials: int, thread_counts: list[int]) -> None:
    """Model-guided tuning of each case's workloads into `db_path` (what `tessera tune`
    does); the trials the database already holds are replayed, not measured."""
    from tessera.compiler.tuning.api import tune
    from tessera.compiler.tuning.report import ProgressBar, table

    for case in cases:
        for n in thread_counts:
            log(f"{case.name}: tuning at {n} thread(s), {trials} trials (model) into {db_path}")
            bar = ProgressBar("s")
            try:
                results = tune(case.source, entry=case.entry, bindings=case.bindings,
                               strategy="model", trials=trials, db=db_path, seed=0, threads=n,
                               progress=bar)
            finally:
                bar.close()
            log(table(results))


def goal_note(measurements) -> str | None:
    """tessera tuned at 1 thread over NumPy for the tuned matmul cases, against GOAL."""
    ratios = {m.case: r for m, r in zip(measurements, report.ratios_to_numpy(measurements))
              if m.contender == "tessera tuned" and m.threads == 1 and m.case in TUNE_CASES}
    if not ratios:
        return None
    shown = ", ".join(f"{case} {r:.2f}" if r else f"{case} —" for case, r in ratios.items())
    met = all(r is not None and r >= GOAL for r in ratios.values())
    return (f"tessera tuned × NumPy at 1 thread: {shown} (goal ≥ {GOAL}: "
            f"{'met' if met else 'not met'})")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    round_time = args.round_time or (0.02 if args.quick else 0.25)
    settle = args.settle if args.settle is not None else (0.15 if args.quick else 0.3)
    chosen = case_list.select(args.cases, args.quick)
    notes: list[str] = []

    torch = import_torch()
    if torch is None:
        notes.append("PyTorch is not installed: no torch column")
    controls, thread_notes = measure.thread_controls()
    notes += thread_notes

    hand = None
    if args.schedules:
        from tessera.compiler.diagnostics import TesseraError

        try:
            with open(args.schedules, encoding="utf-8") as f:
                hand = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            raise TesseraError(f"cannot read schedules from {args.schedules}: {e}") from None
        unknown = sorted(set(hand) - {c.name for c in case_list.all_cases()})
        if unknown:
            notes.append(f"{args.schedules} names unknown case(s): {', '.join(unknown)}")
    for n in notes:
        log(f"note: {n}")
    machine = report.machine_info()  # before the run: its date and time are the start's

    tuning_db = args.tuning_db
    if args.tune is not None:
        tuning_db = tuning_db or str(Path(DEFAULT_OUT) / f"tuned-{machine['slug']}.db")
        tune_cases([c for c in chosen if c.name in TUNE_CASES], tuning_db, args.tune,
                   args.tune_threads)
    if tuning_db is not None and not Path(tuning_db).exists():
        from tessera.compiler.diagnostics import TesseraError

        raise TesseraError(f"tuning database {tuning_db} does not exist")

    measurements: list[measure.Measurement] = []
    for case in chosen:
        thread_counts = [t for t in case.threads if not args.threads or t in args.threads]
        if not thread_counts:
            log(f"{case.name}: skipped (runs with {case.threads} thread(s) only)")
            continue
        inputs = case.make_inputs(np.random.default_rng(args.seed))
        numpy_peer = measure.numpy_contender(case, inputs)
        reference = np.array(numpy_peer.result())
        contenders = tessera_contenders(case, inputs, hand)
        tuned = tuned_contenders(case, inputs, tuning_db, thread_counts) if tuning_db else {}
        others = [numpy_peer]
        if torch is not None:
            others.append(measure.torch_contender(case, inputs))
        checked = contenders + list({id(c): c for c in tuned.values()}.values()) + others
        for c in checked:
            measure.check(c, reference)
            built = f" (compiled in {c.compile_s:.2f} s)" if c.compile_s is not None else ""
            log(f"{case.name}: {c.name}: {c.status}{built}" + (f": {c.note}" if c.note else ""))
        for n in thread_counts:
            row = contenders + ([tuned[n]] if n in tuned else []) + others
            rows = measure.measure_case(case, row, n, rounds=rounds, repeat=args.repeat,
                                        round_time=round_time,
                                        max_call_s=args.max_call_seconds,
                                        settle=settle)
            for m in rows:
                s = report.summary(m)
                if s:
                    log(f"{case.name} x{n}: {m.contender}: {s['gflops']:.2f} GFLOP/s")
            measurements += rows

    goal = goal_note(measurements)
    if goal:
        notes.append(goal)
        log(f"note: {goal}")
    machine["load_average_end"] = report.load_average()
    settings = {"quick": args.quick, "rounds": rounds, "repeat": args.repeat,
                "round_time": round_time, "settle": settle,
                "max_call_seconds": args.max_call_seconds,
                "seed": args.seed, "threads": args.threads, "cases": [c.name for c in chosen],
                "schedules": args.schedules,
                "tuning_db": tuning_db, "tune": args.tune,
                "tune_threads": args.tune_threads if args.tune is not None else None,
                "thread_controls": controls,
                "argv": sys.argv[1:] if argv is None else list(argv)}
    cases_info = {c.name: {"description": c.description, "flops": c.flops,
                           "bindings": c.bindings, "entry": c.entry, "threads": list(c.threads),
                           "end_to_end": c.end_to_end} for c in chosen}
    json_path, md_path, markdown = report.write(args.out, machine, settings, notes, cases_info,
                                                measurements)
    print(markdown, end="")
    log(f"wrote {json_path} and {md_path}")
    bad = [m for m in measurements if m.status in ("wrong", "failed")]
    return 1 if bad else 0


if __name__ == "__main__":
    from tessera.compiler.diagnostics import run_reporting_errors

    # A bad schedule file or a missing compiler is a diagnostic, not a traceback.
    sys.exit(run_reporting_errors("bench", main))
