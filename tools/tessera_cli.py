"""`tessera`: run a `.tsr` program on a target and check it against the reference, or tune it.

    tessera run examples/lenet5.tsr --target c --seed 0
    tessera run examples/mlp.tsr --bind B=64 --inputs inputs.npz
    tessera run examples/lenet5.tsr --target npu --npu-config tpu-128,dataflow=is
    tessera tune examples/matmul.tsr --trials 64 --strategy model
    tessera tune examples/matmul.tsr --target cuda --trials 64   # on this machine's GPU
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tessera", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="compile, run on inputs, compare with the reference")
    run.add_argument("file", help="a .tsr program")
    run.add_argument("--entry", help="the function to run (default: the one named like the "
                     "file, else the last)")
    run.add_argument("--target", default="c",
                     help="c, cuda (a GPU), cuda-emu (the CUDA source on the CPU), npu, loops "
                     "or interp (default: c)")
    run.add_argument("--bind", action="append", default=[], metavar="NAME=SIZE",
                     help="bind a symbolic dimension (repeatable)")
    run.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    run.add_argument("--inputs", metavar="FILE.npz", help="inputs by parameter name")
    run.add_argument("--save", metavar="FILE.npz", help="write the inputs and results")
    run.add_argument("--repeat", type=_positive, default=None,
                     help="timed calls (default: as many as fit in about a second, 3..1000)")
    run.add_argument("--npu-config", metavar="CONFIG",
                     help="the NPU (--target npu): a preset (gemmini, tpu-128, tpu-256), "
                     "field=value items (gemmini,rows=32,dataflow=ws), or a .toml/.json file")
    run.add_argument("--npu-mode", default="overlapped", choices=["overlapped", "scalesim"],
                     help="the simulator's timing mode (--target npu)")
    run.add_argument("--npu-trace", metavar="FILE.json",
                     help="write the simulation as a Chrome trace (open it in Perfetto)")
    run.add_argument("--gpu-schedule", metavar="OPTIONS",
                     help="linalg-to-gpu options for --target cuda/cuda-emu, e.g. "
                     "'block=64,64 thread=4,4 k_tile=16'")
    run.add_argument("--sanitize", action="store_true",
                     help="--target cuda-emu: run under AddressSanitizer and UBSan")
    run.add_argument("--no-opt", action="store_true",
                     help="compile without the optimizations (graph folding, simplification, "
                     "CSE and DCE, fusion, buffer reuse), for comparison")
    run.add_argument("--tuning-db", metavar="PATH",
                     help="apply the best schedules of this tuning database (default: the "
                     "default database when it exists; 'none' for no lookup)")

    tune = sub.add_parser("tune", help="search schedules for each op of a program, measuring "
                          "every candidate; record them in the tuning database")
    tune.add_argument("file", help="a .tsr program")
    tune.add_argument("--entry", help="the function to tune (default: as for run)")
    tune.add_argument("--target", default="c", help="the target to tune for: c (measured "
                      "seconds), cuda (seconds on this machine's GPU) or npu (simulated "
                      "cycles); default: c")
    tune.add_argument("--npu-config", metavar="CONFIG",
                      help="the NPU to tune for (--target npu; as for run)")
    tune.add_argument("--bind", action="append", default=[], metavar="NAME=SIZE",
                      help="bind a symbolic dimension (repeatable)")
    tune.add_argument("--strategy", default="model",
                      choices=["random", "grid", "evolutionary", "model"],
                      help="search strategy (default: model)")
    tune.add_argument("--trials", type=_positive, default=64,
                      help="trials for the whole program (default: 64)")
    tune.add_argument("--time-budget", type=float, metavar="S",
                      help="stop after about this many seconds")
    tune.add_argument("--db", metavar="PATH", help="the tuning database (default: "
                      "$TESSERA_TUNING_DB, else ~/.cache/tessera/tuning.db)")
    tune.add_argument("--seed", type=int, default=0, help="seed of the search and the inputs")
    tune.add_argument("--threads", type=_positive, default=1,
                      help="threads the candidates run on (default: 1)")
    tune.add_argument("--timeout", type=float, metavar="S",
                      help="a candidate running longer is killed (default: 10; cuda: 30, "
                      "CuPy's import and the CUDA context included)")
    tune.add_argument("--runner", default="local", choices=["local", "ray"],
                      help="measure here (local) or on a Ray cluster (ray)")
    tune.add_argument("--address", help="the Ray cluster to join (--runner ray; default: "
                      "start a local one)")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def run_command(args: argparse.Namespace) -> int:
    from tessera.compiler.agreement import compare
    from tessera.compiler.api import Program, default_entry, read_source
    from tessera.compiler.diagnostics import TesseraError
    from tessera.compiler.frontend import parse_bindings
    from tessera.targets import backend

    options = {"tuning_db": args.tuning_db} if args.tuning_db and args.target == "c" else {}
    if args.target == "npu":
        options = {"config": args.npu_config or "gemmini", "mode": args.npu_mode,
                   "trace": args.npu_trace, "tuning_db": args.tuning_db}
    elif args.npu_config or args.npu_trace:
        raise TesseraError("--npu-config and --npu-trace apply to --target npu")
    if args.target in ("cuda", "cuda-emu"):
        options = {"gpu_options": args.gpu_schedule or ""}
        if args.tuning_db:
            options["tuning_db"] = args.tuning_db
        if args.sanitize:
            options["sanitize"] = True
    elif args.gpu_schedule:
        raise TesseraError("--gpu-schedule applies to --target cuda and cuda-emu")
    if args.sanitize and args.target != "cuda-emu":
        raise TesseraError("--sanitize applies to --target cuda-emu")
    if args.no_opt:
        if args.target == "interp":
            raise TesseraError("--no-opt applies to the compiled targets; interp runs the "
                               "graph as written")
        options["optimize"] = False
    target = backend(args.target, **options)
    text, filename = read_source(Path(args.file))  # a path, whatever its name
    program = Program(text, filename, args.target, parse_bindings(args.bind),
                      tuning_db=args.tuning_db, target_options=options)
    entry = args.entry or default_entry(program._syntax, filename)
    if args.inputs:
        inputs = program.load_inputs(entry, args.inputs)
    else:
        inputs = program.example_inputs(entry, args.seed)

    started = time.perf_counter()
    compiled = target.load(program.graph(entry))[entry]
    compile_s = time.perf_counter() - started
    expected = backend("interp").load(program.graph(entry))[entry](*inputs)
    results = compiled(*inputs)

    bound = ", ".join(f"{k}={v}" for k, v in sorted(program.bound_dims(entry).items()))
    print(f"{entry} on {args.target}" + (f" ({bound})" if bound else "")
          + f": compiled in {compile_s:.2f} s")
    ok = True
    for i, (r, e) in enumerate(zip(results, expected)):
        agreement = compare(r, e)
        ok &= agreement.ok
        print(f"  result {i}: {dtype_name(e.dtype)}{list(e.shape)}  {agreement}")
    print("  " + program.memory_report(entry).format())
    if args.target == "npu":
        print("\n".join("  " + line for line in compiled.report.format().splitlines()))
    elif args.target != "interp":
        median, count = time_calls(compiled, inputs, args.repeat)
        where = " on the CPU emulation: not GPU time" if args.target == "cuda-emu" else ""
        print(f"  time per call: {median * 1e3:.3f} ms (median of {count}{where})")
    if args.save:
        names = [p.name for p in program.syntax_of(entry).params]
        np.savez(args.save, **dict(zip(names, inputs)),
                 **{f"result{i}": r for i, r in enumerate(results)})
    return 0 if ok else 1


def tune_command(args: argparse.Namespace) -> int:
    from tessera.compiler.frontend import parse_bindings
    from tessera.compiler.diagnostics import TesseraError
    from tessera.compiler.tuning.api import default_database, tune
    from tessera.compiler.tuning.report import ProgressBar, table

    options = {"threads": args.threads,
               "timeout_s": args.timeout if args.timeout is not None else 10.0}
    if args.runner == "ray":
        options["address"] = args.address
    if args.target == "npu":
        options = {"config": args.npu_config or "gemmini"}
    elif args.target == "cuda":
        if args.threads != 1:
            raise TesseraError("--threads applies to --target c (CUDA candidates run on the GPU)")
        options = {"timeout_s": args.timeout} if args.timeout is not None else {}
    db = args.db or default_database()
    bar = ProgressBar("cycles" if args.target == "npu" else "s")
    try:
        results = tune(Path(args.file), entry=args.entry, bindings=parse_bindings(args.bind),
                       target=args.target, strategy=args.strategy, trials=args.trials,
                       time_budget=args.time_budget, db=db, seed=args.seed,
                       runner=args.runner, progress=bar, **options)
    finally:
        bar.close()
    unit = "cycles" if args.target == "npu" else "s"
    print(table(results, unit))
    print(f"trials recorded in {db}")
    return 0


def dtype_name(dtype: np.dtype) -> str:
    return {"float32": "f32", "float64": "f64", "int32": "i32", "int8": "i8"}[np.dtype(dtype).name]


def time_calls(compiled, inputs, repeat: int | None = None) -> tuple[float, int]:
    """Median seconds per call; `repeat` None = as many calls as fit in about a second."""
    from tessera.targets.c.runner import median_seconds

    c_function = getattr(compiled, "c_function", None)
    call = c_function.prepare(*inputs) if c_function else (lambda: compiled(*inputs))
    if repeat is None:
        once = max(median_seconds(call, repeat=1, warmup=1), 1e-6)
        repeat = int(min(1000, max(3, 1.0 / once)))
    return median_seconds(call, repeat=repeat, warmup=1), repeat


def main(argv: list[str] | None = None) -> int:
    from tessera.compiler.diagnostics import run_reporting_errors

    args = build_parser().parse_args(argv)
    command = {"run": run_command, "tune": tune_command}[args.command]
    return run_reporting_errors("tessera", lambda: command(args))


if __name__ == "__main__":
    sys.exit(main())
