"""`python -m bench.kernels`: tessera-generated C beside NumPy/OpenBLAS and PyTorch CPU.

    python -m bench.kernels                          # every case, 1 and 2 threads where listed
    python -m bench.kernels --quick                  # N <= 512 matmuls and the conv, few repeats
    python -m bench.kernels --cases 'matmul-*' --threads 1 --schedules hand.json

Contenders per case: tessera with the `naive` and `default` schedules, tessera with the
schedules of `--schedules FILE` ("tessera hand", e.g. bench/schedules/avx512.json), NumPy,
and PyTorch when it is installed. Each is compiled/prepared once, checked against NumPy
once, then timed in interleaved rounds. Writes <out>/<machine>-<date>.json and .md and prints the
Markdown. Exits 1 when a contender failed to compile or gave a wrong result.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from bench import cases as case_list
from bench import measure, report

DEFAULT_OUT = "bench/results"


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
    """naive, default, then hand (from --schedules) if the file has this case."""
    from tessera.compiler.schedule import Schedule

    out = [measure.tessera_contender(f"tessera {s}", case, inputs, s)
           for s in ("naive", "default")]
    if hand is not None and case.name in hand:
        schedules = {op: Schedule.from_json(r) for op, r in hand[case.name].items()}
        out.append(measure.tessera_contender("tessera hand", case, inputs, schedules))
    return out


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
        contenders.append(numpy_peer)
        if torch is not None:
            contenders.append(measure.torch_contender(case, inputs))
        for c in contenders:
            measure.check(c, reference)
            built = f" (compiled in {c.compile_s:.2f} s)" if c.compile_s is not None else ""
            log(f"{case.name}: {c.name}: {c.status}{built}" + (f": {c.note}" if c.note else ""))
        for n in thread_counts:
            rows = measure.measure_case(case, contenders, n, rounds=rounds, repeat=args.repeat,
                                        round_time=round_time,
                                        max_call_s=args.max_call_seconds,
                                        settle=settle)
            for m in rows:
                s = report.summary(m)
                if s:
                    log(f"{case.name} x{n}: {m.contender}: {s['gflops']:.2f} GFLOP/s")
            measurements += rows

    machine["load_average_end"] = report.load_average()
    settings = {"quick": args.quick, "rounds": rounds, "repeat": args.repeat,
                "round_time": round_time, "settle": settle,
                "max_call_seconds": args.max_call_seconds,
                "seed": args.seed, "threads": args.threads, "cases": [c.name for c in chosen],
                "schedules": args.schedules,
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
