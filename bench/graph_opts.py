"""`python -m bench.graph_opts`: what the graph-level optimizations buy, end to end in C.

    python -m bench.graph_opts            # LeNet-5 (N=1, 64), the MLP (B=64), attention
    python -m bench.graph_opts --quick    # few rounds, for a smoke run

Per case, tessera twice on the C target, with the default schedules:
- `tessera unoptimized`: `optimize=False` (`compiler.pipelines.unoptimized`): no folding,
  simplification, CSE or DCE on the graph, no elementwise fusion, no epilogue fused into a
  matmul or convolution, the direct convolution, every intermediate its own buffer;
- `tessera optimized`: the default pipeline;
beside NumPy and PyTorch, all timed interleaved in one run (bench/measure.py). Each tessera
build also reports its peak intermediate memory (`Program.memory_report`: the bytes of
intermediates live at once, with and without memory-plan's buffer reuse), and the number of
loop nests its entry function runs. Writes bench/results/graph-opts-<machine>-<date>.json and
.md and prints the Markdown. Exits 1 when a contender failed or gave a wrong result.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from bench import cases as case_list
from bench import measure, report

DEFAULT_OUT = "bench/results"
CONTENDERS = {"tessera unoptimized": False, "tessera optimized": True}


def bench_cases() -> list[case_list.Case]:
    return [case_list.lenet5_case(1), case_list.lenet5_case(64), case_list.mlp_case(64),
            case_list.attention_case(128, 64)]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.graph_opts",
                                description=__doc__.split("\n")[0].split(": ", 1)[1])
    p.add_argument("--quick", action="store_true", help="2 rounds of 0.02 s per contender")
    p.add_argument("--cases", type=lambda s: [x for x in s.split(",") if x],
                   help="comma-separated case names (default: all)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--seed", type=int, default=0, help="seed of the inputs")
    return p


def loop_nests(program, entry: str) -> int:
    """Top-level loop nests of `entry` at the level the C target prints."""
    from xdsl.dialects import func, scf

    module = program.graph(entry)
    from tessera.compiler.pipelines import run_pipeline
    from tessera.compiler.registry import make_context

    run_pipeline(program.lowering_spec(), make_context(), module)
    fn = next(op for op in module.ops
              if isinstance(op, func.FuncOp) and op.sym_name.data == entry)
    return sum(1 for op in fn.body.block.ops if isinstance(op, scf.ForOp))


def tessera_facts(case, optimize: bool) -> dict:
    import tessera

    program = tessera.compile(case.source, target="c", bindings=case.bindings,
                              tuning_db="none", optimize=optimize)
    memory = program.memory_report(case.entry)
    return {"peak_bytes": memory.planned, "unplanned_bytes": memory.unplanned,
            "loop_nests": loop_nests(program, case.entry)}


def kib(n: int) -> str:
    return f"{n / 1024:.1f} KiB"


def to_markdown(machine: dict, settings: dict, notes: list[str], rows: list[dict]) -> str:
    lines = report.header_lines(machine, "Tessera graph optimizations, end to end")
    lines.append(f"- interleaved rounds per case: {settings['rounds']}; calls per round: as "
                 f"many as fit in {settings['round_time']} s; 1 thread")
    lines += ["", "| case | contender | ms/call | spread (ms) | × unoptimized | × NumPy "
              "| loop nests | peak intermediate memory | notes |",
              "|---|---|---:|---|---:|---:|---:|---:|---|"]
    for r in rows:
        if r["median_ms"] is None:
            cells = [r["status"].upper(), "", "", ""]
        else:
            cells = [f"{r['median_ms']:.3g}", f"{r['min_ms']:.3g}..{r['max_ms']:.3g}",
                     f"{r['speedup']:.2f}" if r.get("speedup") else "—",
                     f"{r['vs_numpy']:.2f}" if r.get("vs_numpy") else "—"]
        nests = str(r["loop_nests"]) if "loop_nests" in r else ""
        memory = ""
        if "peak_bytes" in r:
            memory = kib(r["peak_bytes"])
            if r["unplanned_bytes"] != r["peak_bytes"]:
                memory += f" ({kib(r['unplanned_bytes'])} without reuse)"
        note = r["note"].replace("|", "\\|")
        lines.append(f"| {r['case']} | {r['contender']} | " + " | ".join(cells)
                     + f" | {nests} | {memory} | {note} |")
    lines += ["", "× unoptimized: the unoptimized build's time over this row's (higher is "
              "faster); × NumPy likewise against NumPy's. Peak intermediate memory: the "
              "bytes of intermediates live at once (arguments and results excluded); loop "
              "nests: the entry function's top-level loop nests in the generated C "
              "(callees not counted)."]
    if notes:
        lines += ["", "Notes:", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    rounds, round_time = (2, 0.02) if args.quick else (7, 0.25)
    chosen = [c for c in bench_cases() if not args.cases or c.name in args.cases]
    notes: list[str] = []
    try:
        import torch  # noqa: F401
    except ImportError:
        notes.append("PyTorch is not installed: no torch row")
        torch = None
    machine = report.machine_info()
    rows: list[dict] = []
    failed = False
    for case in chosen:
        print(f"{case.name}: compiling", file=sys.stderr)
        inputs = case.make_inputs(np.random.default_rng(args.seed))
        numpy_peer = measure.numpy_contender(case, inputs)
        reference = np.array(numpy_peer.result())
        contenders = [measure.tessera_contender(name, case, inputs, None, tuning_db="none",
                                                optimize=optimize)
                      for name, optimize in CONTENDERS.items()]
        contenders.append(numpy_peer)
        if torch is not None:
            contenders.append(measure.torch_contender(case, inputs))
        for c in contenders:
            measure.check(c, reference)
            failed |= c.status != "ok"
        print(f"{case.name}: timing", file=sys.stderr)
        measured = measure.measure_case(case, contenders, 1, rounds=rounds, repeat=None,
                                        round_time=round_time, max_call_s=3.0)
        medians = {m.contender: float(np.median(m.samples_s)) if m.samples_s else None
                   for m in measured}
        for m in measured:
            median = medians[m.contender]
            row = {"case": m.case, "contender": m.contender, "status": m.status,
                   "note": m.note, "samples_s": m.samples_s,
                   "median_ms": median * 1e3 if median else None,
                   "min_ms": min(m.samples_s) * 1e3 if m.samples_s else None,
                   "max_ms": max(m.samples_s) * 1e3 if m.samples_s else None}
            if median:
                unopt, numpy_s = medians.get("tessera unoptimized"), medians.get("numpy")
                row["speedup"] = unopt / median if unopt else None
                row["vs_numpy"] = numpy_s / median if numpy_s else None
            if m.contender in CONTENDERS:
                row.update(tessera_facts(case, CONTENDERS[m.contender]))
            rows.append(row)
    machine["load_average_end"] = report.load_average()
    settings = {"rounds": rounds, "round_time": round_time, "seed": args.seed}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"graph-opts-{machine['slug']}-{machine['date']}"
    stem.with_suffix(".json").write_text(json.dumps(
        {"machine": machine, "settings": settings, "notes": notes, "results": rows},
        indent=1, allow_nan=False) + "\n")
    markdown = to_markdown(machine, settings, notes, rows)
    stem.with_suffix(".md").write_text(markdown)
    print(markdown)
    print(f"wrote {stem.with_suffix('.json')} and {stem.with_suffix('.md')}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
