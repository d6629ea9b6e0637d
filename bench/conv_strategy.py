"""`python -m bench.conv_strategy`: each convolution strategy and layout, timed on the C target.

    python -m bench.conv_strategy                    # every case, 1 thread
    python -m bench.conv_strategy --quick            # the examples' convs and 3 large ones
    python -m bench.conv_strategy --cases 'resnet*,stem*' --threads 2 --json out.json

What `conv-strategy`'s `auto` heuristic (`lowering/conv_strategy.py: choose`) is fitted to.
Cases: the convolutions of examples/lenet5.tsr, examples/resnet_block.tsr and
examples/lenet5_int8.tsr (read off their `graph.conv2d` ops, each timed alone), ResNet-50's
conv shapes (3x3 at 56/28/14/7, the 7x7 stride-2 stem, 1x1 expand/reduce/downsample), a
batch of 4, probes of the heuristic's thresholds, `holdout-*` shapes measured only after
the rules were fitted (to check them), and the whole LeNet-5 and ResNet-block programs
(`auto` mixes strategies within one program). Contenders: each of
direct/im2col × nchw/nhwc, and `auto`. Each compiles with
`lower-to-linalg,conv-strategy{...},bufferize,schedule,...` (the C target's pipeline with
the pass where `lower-to-c` would run it), every op under its default schedule and no
tuning database; each is checked once against the graph interpreter, then all are timed in
interleaved rounds (`bench.measure.time_interleaved`: a round's sample is the median of its
calls; the table shows the median over rounds). Prints the machine, a table of
milliseconds and a table of speedups over direct/nchw (what `lower-to-c` does today).
No assertions: a failing or wrong contender is a row entry, not an error.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench import measure, report

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
VARIANTS = [("direct", "nchw"), ("direct", "nhwc"), ("im2col", "nchw"), ("im2col", "nhwc"),
            ("auto", "auto")]


def pipeline(strategy: str, layout: str) -> str:
    return (f"lower-to-linalg,conv-strategy{{strategy={strategy} layout={layout}}},bufferize,"
            f'schedule{{tuning_db="none"}},linalg-to-loops,lower-affine,canonicalize,cse')


@dataclass
class Case:
    name: str
    description: str
    source: str
    entry: str
    macs: int
    shapes: list = field(default_factory=list)  # ConvShape of each conv, for auto's picks


@dataclass(frozen=True)
class Conv:
    """One conv2d: input [n, c, h, w], weights [f, c, kh, kw], stride/padding/dilation."""

    n: int
    c: int
    h: int
    w: int
    f: int
    kh: int
    kw: int
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    dtype: str = "f32"

    @property
    def out(self) -> tuple[int, int]:
        return tuple((size + 2 * p - d * (k - 1) - 1) // s + 1 for size, p, d, k, s in
                     zip((self.h, self.w), self.padding, self.dilation, (self.kh, self.kw),
                         self.stride))

    @property
    def macs(self) -> int:
        oh, ow = self.out
        return self.n * self.f * oh * ow * self.c * self.kh * self.kw

    def describe(self) -> str:
        text = f"{self.c}->{self.f} {self.h}x{self.w} {self.kh}x{self.kw}"
        for name, pair, default in (("s", self.stride, (1, 1)), ("p", self.padding, (0, 0)),
                                    ("d", self.dilation, (1, 1))):
            if pair != default:
                text += f" {name}{pair[0]}" if pair[0] == pair[1] else f" {name}{pair}"
        return text + (f" N={self.n}" if self.n > 1 else "") + \
            (f" {self.dtype}" if self.dtype != "f32" else "")

    def source(self) -> str:
        oh, ow = self.out
        t = self.dtype
        pairs = ", ".join(f"{k}=[{v[0]}, {v[1]}]" for k, v in (
            ("stride", self.stride), ("padding", self.padding), ("dilation", self.dilation)))
        return (f"def conv(x: {t}[{self.n}, {self.c}, {self.h}, {self.w}], "
                f"w: {t}[{self.f}, {self.c}, {self.kh}, {self.kw}]) -> "
                f"{t}[{self.n}, {self.f}, {oh}, {ow}] {{\n"
                f"  return conv2d(x, w, {pairs})\n}}\n")


def conv_case(name: str, conv: Conv) -> Case:
    return Case(name, conv.describe(), conv.source(), "conv", conv.macs)


def example_convs(path: Path, entry: str) -> list[Conv]:
    """The distinct conv2d ops of `entry` in an example, in program order."""
    import tessera
    from tessera.dialects import graph as G

    module = tessera.compile(path).graph(entry)
    found: list[Conv] = []
    for op in module.walk():
        if isinstance(op, G.Conv2dOp):
            n, c, h, w = G.shape_of(op.input.type)
            f, _, kh, kw = G.shape_of(op.weight.type)
            conv = Conv(n, c, h, w, f, kh, kw, tuple(G.int_values(op.stride)),
                        tuple(G.int_values(op.padding)), tuple(G.int_values(op.dilation)),
                        str(op.input.type.element_type))
            if conv not in found:
                found.append(conv)
    return found


LARGE = {
    "resnet-3x3-56": Conv(1, 64, 56, 56, 64, 3, 3, padding=(1, 1)),
    "resnet-3x3-28": Conv(1, 128, 28, 28, 128, 3, 3, padding=(1, 1)),
    "resnet-3x3-14": Conv(1, 256, 14, 14, 256, 3, 3, padding=(1, 1)),
    "resnet-3x3-7": Conv(1, 512, 7, 7, 512, 3, 3, padding=(1, 1)),
    "stem-7x7-s2": Conv(1, 3, 224, 224, 64, 7, 7, stride=(2, 2), padding=(3, 3)),
    "1x1-expand-56": Conv(1, 64, 56, 56, 256, 1, 1),
    "1x1-reduce-56": Conv(1, 256, 56, 56, 64, 1, 1),
    "1x1-down-s2": Conv(1, 256, 56, 56, 512, 1, 1, stride=(2, 2)),
    "batch4-3x3-28": Conv(4, 32, 28, 28, 32, 3, 3, padding=(1, 1)),
    # Probes of the heuristic's thresholds: few filters, weights near 256 KiB, a small 1x1,
    # strides and dilations with few channels.
    "few-filters-8": Conv(1, 16, 28, 28, 8, 3, 3, padding=(1, 1)),
    "cifar-first-3x3": Conv(1, 3, 32, 32, 32, 3, 3, padding=(1, 1)),
    "weights-230k": Conv(1, 80, 28, 28, 80, 3, 3, padding=(1, 1)),
    "weights-330k": Conv(1, 96, 28, 28, 96, 3, 3, padding=(1, 1)),
    "1x1-small": Conv(1, 8, 14, 14, 8, 1, 1),
    "small-5x5-s2": Conv(1, 3, 32, 32, 6, 5, 5, stride=(2, 2)),
    "dilated-3x3-28": Conv(1, 64, 28, 28, 64, 3, 3, padding=(2, 2), dilation=(2, 2)),
    "short-reduction-72": Conv(1, 8, 32, 32, 32, 3, 3, padding=(1, 1)),
    "short-reduction-s2": Conv(1, 3, 32, 32, 32, 3, 3, stride=(2, 2), padding=(1, 1)),
    # Held out: measured after the rules were fitted, to check them.
    "holdout-5x5-28": Conv(1, 32, 28, 28, 64, 5, 5, padding=(2, 2)),
    "holdout-3x3-s2-14": Conv(1, 128, 14, 14, 256, 3, 3, stride=(2, 2), padding=(1, 1)),
    "holdout-unpadded-30": Conv(1, 16, 30, 30, 32, 3, 3),
    "holdout-few-filters-64": Conv(1, 4, 64, 64, 8, 3, 3, padding=(1, 1)),
    "holdout-1x1-17": Conv(1, 64, 17, 17, 64, 1, 1),
}
QUICK = ("lenet5-*", "resnet_block-*", "lenet5_int8-*", "resnet-3x3-56", "stem-7x7-s2",
         "1x1-reduce-56")


def all_cases() -> list[Case]:
    cases = []
    for stem, entry in (("lenet5", "features"), ("resnet_block", "resnet_block"),
                        ("lenet5_int8", "lenet5_int8")):
        for i, conv in enumerate(example_convs(EXAMPLES / f"{stem}.tsr", entry), 1):
            cases.append(conv_case(f"{stem}-conv{i}", conv))
    cases += [conv_case(name, conv) for name, conv in LARGE.items()]
    for stem, entry in (("lenet5", "lenet5"), ("resnet_block", "resnet_block")):
        convs = example_convs(EXAMPLES / f"{stem}.tsr", entry)
        source = (EXAMPLES / f"{stem}.tsr").read_text()
        cases.append(Case(f"{stem}-program", f"all of {stem}.tsr", source, entry,
                          sum(c.macs for c in convs)))
    return cases


def auto_pick(case: Case) -> str:
    """What `auto` chooses for each conv of the case, as `strategy/layout` (joined by +)."""
    import tessera
    from tessera.compiler.pipelines import run_pipeline
    from tessera.compiler.registry import make_context
    from tessera.lowering.conv_strategy import ConvStrategyPass

    module = tessera.compile(case.source, target="interp").graph(case.entry)
    run_pipeline("lower-to-linalg", make_context(), module)
    return "+".join("/".join(ConvStrategyPass().decide(op)) for op in module.walk()
                    if op.name == "linalg.conv_2d_nchw_fchw")


def contender(case: Case, inputs, strategy: str, layout: str) -> measure.Contender:
    import tessera
    from tessera.compiler.pipelines import run_pipeline
    from tessera.compiler.registry import make_context
    from tessera.targets.c.runner import compile_module

    name = f"{strategy}/{layout}"
    started = time.perf_counter()
    try:
        module = tessera.compile(case.source, target="c").graph(case.entry)
        run_pipeline(pipeline(strategy, layout), make_context(), module)
        function = compile_module(module)[case.entry]
    except Exception as e:  # a row entry, not the end of the run
        return measure.Contender(name, status="failed", note=measure._one_line(e))
    call = function.prepare(*inputs)
    return measure.Contender(name, call=call, result=lambda: function(*inputs),
                             compile_s=time.perf_counter() - started)


def run_case(case: Case, args) -> dict:
    import tessera

    program = tessera.compile(case.source, target="interp")
    inputs = program.example_inputs(case.entry, seed=0)
    reference = np.asarray(getattr(program, case.entry)(*inputs))
    contenders = [contender(case, inputs, s, lay) for s, lay in VARIANTS]
    for c in contenders:
        measure.check(c, reference)
    with measure.threads(args.threads):
        timed = measure.time_interleaved(contenders, rounds=args.rounds, repeat=None,
                                         round_time=args.round_time, max_call_s=5.0,
                                         settle=0.05 if args.threads > 1 else 0.0)
    row = {"case": case.name, "description": case.description, "macs": case.macs,
           "auto_picks": auto_pick(case), "ms": {}, "status": {}}
    for c in contenders:
        samples = timed.get(c.name, ([], 0, ""))[0]
        row["status"][c.name] = c.status if c.status != "ok" else ""
        row["ms"][c.name] = statistics.median(samples) * 1e3 if samples else None
    return row


def markdown(rows: list[dict], machine: dict, args) -> str:
    names = [f"{s}/{lay}" for s, lay in VARIANTS]
    lines = [f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['simd']}; "
             f"{machine['gcc']}; load average {machine['load_average']}; "
             f"{args.threads} thread(s); median of {args.rounds} interleaved rounds.", "",
             "Milliseconds per call:", "",
             "| case | conv | MMAC | " + " | ".join(names) + " | auto picks |",
             "|---|---|---:|" + "---:|" * len(names) + "---|"]
    for r in rows:
        cells = [f"{r['ms'][n]:.3g}" if r["ms"][n] is not None else (r["status"][n] or "-")
                 for n in names]
        lines.append(f"| {r['case']} | {r['description']} | {r['macs'] / 1e6:.1f} | "
                     + " | ".join(cells) + f" | {r['auto_picks']} |")
    lines += ["", "Speedup over direct/nchw (higher is better; best in bold):", "",
              "| case | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for r in rows:
        base = r["ms"]["direct/nchw"]
        times = {n: r["ms"][n] for n in names if r["ms"][n] is not None}
        best = min(times, key=times.get) if times else None
        cells = []
        for n in names:
            if base is None or r["ms"][n] is None:
                cells.append(r["status"][n] or "-")
                continue
            text = f"{base / r['ms'][n]:.2f}x"
            cells.append(f"**{text}**" if n == best else text)
        lines.append(f"| {r['case']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.conv_strategy",
                                description=__doc__.split("\n")[0].split(": ", 1)[1])
    p.add_argument("--cases", help="comma-separated glob patterns of case names")
    p.add_argument("--quick", action="store_true", help="fewer cases and rounds")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=None, help="default 7 (quick: 3)")
    p.add_argument("--round-time", type=float, default=None,
                   help="seconds of calls per contender per round (default 0.3, quick 0.1)")
    p.add_argument("--json", help="also write the rows and the machine here")
    args = p.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 7)
    args.round_time = args.round_time or (0.1 if args.quick else 0.3)
    patterns = args.cases.split(",") if args.cases else (QUICK if args.quick else ["*"])
    cases = [c for c in all_cases() if any(fnmatch.fnmatch(c.name, pat) for pat in patterns)]
    if not cases:
        print(f"no case matches {patterns}", file=sys.stderr)
        return 2
    machine = report.machine_info()
    rows = []
    for case in cases:
        print(f"{case.name}: {case.description} ...", file=sys.stderr, flush=True)
        rows.append(run_case(case, args))
    text = markdown(rows, machine | {"load_average": report.load_average()}, args)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "threads": args.threads,
                                               "rounds": args.rounds, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
