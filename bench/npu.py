"""`python -m bench.npu`: Tessera's NPU simulator beside SCALE-Sim on GEMM and conv layers.

    python -m bench.npu                              # every layer (SCALE-Sim takes minutes)
    python -m bench.npu --quick                      # the small layers only (seconds)
    python -m bench.npu --layers gemm-512 --dataflows os
    python -m bench.npu --layers 'resnet-*' --arrays 32x32
    python -m bench.npu --scalesim-python /path/to/venv/bin/python --out /tmp/npu

For each layer, array size and dataflow: SCALE-Sim 3.0.0 (PyPI `scalesim`, in its own virtual
environment, `make scalesim`: it needs numpy < 2.4) runs through bench/scalesim_runner.py in a
subprocess, and Tessera's simulator runs the same GEMM (`program_for_gemm` then `simulate`,
once in "overlapped" mode, then timed in "scalesim" mode). The table gives both compute cycle
counts, whether they are equal, the closed form, Tessera's overlapped total, and the wall time
of each simulation (SCALE-Sim's `run_scale` inside its process, Tessera's `simulate()` in
scalesim mode: one run each, no interpreter start) with their ratio. Writes
<out>/npu-<machine>-<date>.json and .md and prints the Markdown. Without SCALE-Sim's
environment the report says so and still gives Tessera's side. Exits 1 when a simulation
failed or Tessera's result disagreed with NumPy's.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import report

DEFAULT_OUT = "bench/results"
DEFAULT_SCALESIM_PYTHON = ".venv-scalesim/bin/python"
RUNNER = Path(__file__).resolve().with_name("scalesim_runner.py")
DATAFLOWS = ("os", "ws", "is")
# SCALE-Sim's SRAMs (its defaults); in its CALC mode they do not change the compute cycles.
SCALESIM_SRAM_KB = {"ifmap_sram_kb": 256, "filter_sram_kb": 256, "ofmap_sram_kb": 128}

FOOTNOTES = [
    "SCALE-Sim: PyPI scalesim 3.0.0, InterfaceBandwidth = CALC (its estimate-bandwidth mode: "
    "reads never stall). \"SCALE-Sim compute\" is its COMPUTE_REPORT.csv column \"Total "
    "Cycles\" (printed as \"Compute cycles\"); the JSON also has \"Total Cycles (incl. "
    "prefetch)\", the stall cycles, utilization and mapping efficiency. GEMMs use its GEMM "
    "topology mode (rows `name, M, N, K`), convs its conv mode (no padding: a padded conv is "
    "given its padded input).",
    "Closed form: folds·(cycles per fold) with OS: ⌈M/R⌉·⌈N/C⌉·(K + R + C − 2), WS: "
    "⌈K/R⌉·⌈N/C⌉·(2R + C + M − 2), IS: ⌈K/R⌉·⌈M/C⌉·(2R + C + N − 2) for an R×C array. "
    "SCALE-Sim 3.0.0 reports one cycle less than this when nothing stalls: its count is the "
    "cycle index (from 0) at which the last output row is written, i.e. (demand-matrix rows) "
    "− 1 + stalls.",
    "Tessera runs every layer as a GEMM: a conv through its im2col view, M = output pixels "
    "(OH·OW), K = C·R·S, N = filters, with random f32 operands a [M, K] and b [K, N]; its "
    "output is checked against NumPy's a @ b.",
    "Tessera overlapped: the total cycles of simulate(..., mode=\"overlapped\") (DMA, compute "
    "and vector work overlapped), not comparable with SCALE-Sim's CALC mode.",
    "Sim time: wall-clock time of one simulation of the layer, without interpreter start or "
    "imports; SCALE-Sim's is its run_scale() call (simulation and its three small report "
    "CSVs, no traces), Tessera's is simulate() in scalesim mode. Speed = SCALE-Sim time / "
    "Tessera time.",
]


# --- the layers ---------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)  # hashed by identity: the cases are dict keys
class Layer:
    name: str
    kind: str  # gemm | conv
    dims: dict  # gemm: M, K, N; conv: H, W (padded input), R, S, C, K (filters), stride
    description: str
    quick: bool = False
    headline: bool = False  # runs on the 32×32 array only

    def gemm(self) -> tuple[int, int, int]:
        """(M, K, N); a conv's im2col view: M = OH·OW, K = C·R·S, N = filters."""
        d = self.dims
        if self.kind == "gemm":
            return d["M"], d["K"], d["N"]
        oh = (d["H"] - d["R"]) // d["stride"] + 1
        ow = (d["W"] - d["S"]) // d["stride"] + 1
        return oh * ow, d["C"] * d["R"] * d["S"], d["K"]

    def scalesim_spec(self) -> dict:
        return {"name": self.name, "kind": self.kind, **self.dims}

    @property
    def macs(self) -> int:
        M, K, N = self.gemm()
        return M * K * N


LAYERS = [
    Layer("gemm-512", "gemm", {"M": 512, "K": 512, "N": 512}, "GEMM 512×512×512",
          headline=True),
    Layer("gemm-64", "gemm", {"M": 64, "K": 64, "N": 64}, "GEMM 64×64×64", quick=True),
    Layer("gemm-256x128x64", "gemm", {"M": 256, "K": 128, "N": 64},
          "GEMM M=256, K=128, N=64", quick=True),
    Layer("lenet5-c1", "conv",
          {"H": 32, "W": 32, "R": 5, "S": 5, "C": 3, "K": 6, "stride": 1},
          "LeNet-5 C1: 3×32×32 → 6×28×28, 5×5 filters (GEMM M=784, K=75, N=6)", quick=True),
    Layer("resnet-3x3", "conv",
          {"H": 58, "W": 58, "R": 3, "S": 3, "C": 64, "K": 64, "stride": 1},
          "ResNet 3×3 conv 64→64 on 56×56, padding 1 (given as 58×58; GEMM M=3136, K=576, "
          "N=64)"),
]
ARRAYS = ((16, 16), (32, 32))
HEADLINE_ARRAY = (32, 32)


@dataclass(frozen=True)
class Case:
    layer: Layer
    rows: int
    cols: int
    dataflow: str

    @property
    def array(self) -> str:
        return f"{self.rows}×{self.cols}"


def select_layers(patterns: list[str] | None, quick: bool) -> list[Layer]:
    if not patterns:
        return [layer for layer in LAYERS if layer.quick or not quick]
    chosen = [layer for layer in LAYERS
              if any(fnmatch.fnmatchcase(layer.name, p) for p in patterns)]
    unknown = [p for p in patterns
               if not any(fnmatch.fnmatchcase(layer.name, p) for layer in LAYERS)]
    if unknown:
        raise SystemExit(f"bench.npu: no layer matches {', '.join(unknown)} (layers: "
                         f"{', '.join(layer.name for layer in LAYERS)})")
    return chosen


def plan(layers: list[Layer], dataflows=DATAFLOWS,
         arrays: list[tuple[int, int]] | None = None) -> list[Case]:
    """The headline layers on 32×32, the others on 16×16 and 32×32; every dataflow."""
    cases = []
    for layer in layers:
        shapes = arrays or ([HEADLINE_ARRAY] if layer.headline else list(ARRAYS))
        for rows, cols in shapes:
            for df in dataflows:
                cases.append(Case(layer, rows, cols, df))
    return cases


def closed_form_cycles(dataflow: str, rows: int, cols: int, M: int, K: int, N: int) -> int:
    """Folds × cycles per fold of an R×C array (fill and drain of every fold counted)."""
    R, C = rows, cols
    if dataflow == "os":
        return math.ceil(M / R) * math.ceil(N / C) * (K + R + C - 2)
    if dataflow == "ws":
        return math.ceil(K / R) * math.ceil(N / C) * (2 * R + C + M - 2)
    if dataflow == "is":
        return math.ceil(K / R) * math.ceil(M / C) * (2 * R + C + N - 2)
    raise ValueError(f"unknown dataflow {dataflow!r}")


# --- SCALE-Sim ----------------------------------------------------------------------------

def scalesim_request(rows: int, cols: int, dataflow: str, layers: list[Layer]) -> dict:
    return {"rows": rows, "cols": cols, "dataflow": dataflow, **SCALESIM_SRAM_KB,
            "layers": [layer.scalesim_spec() for layer in layers]}


def parse_scalesim_answer(stdout: str) -> dict:
    """The runner's JSON answer (its last line of stdout)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the scalesim runner printed nothing")
    return json.loads(lines[-1])


def run_scalesim(python: str, request: dict, timeout: float | None = None) -> dict:
    """Run bench/scalesim_runner.py under `python`; its answer, or {"error": ...}."""
    try:
        done = subprocess.run([python, str(RUNNER), "-"], input=json.dumps(request),
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"scalesim took longer than {timeout} s"}
    except OSError as e:
        return {"error": f"cannot run {python}: {e.strerror}"}
    try:
        answer = parse_scalesim_answer(done.stdout)
    except ValueError as e:
        tail = done.stderr.strip().splitlines()[-5:]
        return {"error": f"{e} (exit {done.returncode}): " + " / ".join(tail)}
    return answer


def scalesim_results(python: str, cases: list[Case], timeout: float | None,
                     log=lambda text: None) -> dict[Case, dict]:
    """One runner process per (array, dataflow); {case: its layer's answer}."""
    groups: dict[tuple[int, int, str], list[Case]] = {}
    for case in cases:
        groups.setdefault((case.rows, case.cols, case.dataflow), []).append(case)
    out: dict[Case, dict] = {}
    for (rows, cols, df), members in groups.items():
        log(f"scalesim {rows}×{cols} {df}: {', '.join(c.layer.name for c in members)}")
        answer = run_scalesim(python, scalesim_request(rows, cols, df,
                                                       [c.layer for c in members]), timeout)
        layers = answer.get("layers") or []
        for i, case in enumerate(members):
            if i < len(layers) and layers[i].get("name") == case.layer.name:
                out[case] = {**layers[i], "scalesim": answer.get("scalesim"),
                             "numpy": answer.get("numpy")}
            else:
                out[case] = {"error": answer.get("error") or "no answer for this layer"}
            r = out[case]
            log(f"  {case.layer.name}: " + (f"error: {r['error']}" if "error" in r else
                f"{r['compute_cycles']} compute cycles in {r['sim_seconds']:.3f} s"))
    return out


# --- Tessera ------------------------------------------------------------------------------

def run_tessera(case: Case, seed: int = 0) -> dict:
    """Tessera's simulator on the case's GEMM: overlapped, then timed in scalesim mode."""
    from tessera.targets.npu.config import NpuConfig
    from tessera.targets.npu.kernels import program_for_gemm
    from tessera.targets.npu.simulator import simulate

    M, K, N = case.layer.gemm()
    config = NpuConfig(rows=case.rows, cols=case.cols, dataflow=case.dataflow)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((M, K), dtype=np.float32)
    b = rng.standard_normal((K, N), dtype=np.float32)
    program = program_for_gemm(config, M, K, N, config.dtype)
    inputs = {"a": a, "b": b}
    start = time.perf_counter()
    overlapped = simulate(program, inputs, mode="overlapped")
    overlapped_s = time.perf_counter() - start
    start = time.perf_counter()
    result = simulate(program, inputs, mode="scalesim")
    seconds = time.perf_counter() - start
    want = a.astype(np.float64) @ b.astype(np.float64)
    check = "ok"
    for r in (overlapped, result):
        got = np.asarray(r.outputs["c"], dtype=np.float64)
        if got.shape != want.shape or not np.allclose(got, want, rtol=1e-3,
                                                      atol=1e-3 * float(np.abs(want).max())):
            check = "wrong"
    # SCALE-Sim counts the last compute cycle's index (cycles - 1): compare like with like.
    return {"compute_cycles": int(result.report.scalesim_compute_cycles),
            "model_compute_cycles": int(result.report.compute_cycles),
            "scalesim_mode_total_cycles": int(result.report.total_cycles),
            "utilization": float(result.report.utilization),
            "overlapped_total_cycles": int(overlapped.report.total_cycles),
            "overlapped_compute_cycles": int(overlapped.report.compute_cycles),
            "overlapped_utilization": float(overlapped.report.utilization),
            "sim_seconds": seconds, "overlapped_sim_seconds": overlapped_s, "check": check}


def tessera_results(cases: list[Case], seed: int = 0, log=lambda text: None) -> dict[Case, dict]:
    out: dict[Case, dict] = {}
    for case in cases:
        try:
            out[case] = run_tessera(case, seed)
        except ImportError as e:
            out[case] = {"error": f"Tessera's NPU simulator is not available: {e}"}
        except Exception as e:  # noqa: BLE001 - reported in the table
            out[case] = {"error": f"{type(e).__name__}: {e}"}
        r = out[case]
        log(f"tessera {case.array} {case.dataflow} {case.layer.name}: "
            + (f"error: {r['error']}" if "error" in r else
               f"{r['compute_cycles']} compute cycles in {r['sim_seconds']:.3f} s"
               + ("" if r["check"] == "ok" else " (WRONG result)")))
    return out


# --- the table ----------------------------------------------------------------------------

def build_rows(cases: list[Case], scalesim: dict[Case, dict] | None,
               tessera: dict[Case, dict]) -> list[dict]:
    """One row per case; `scalesim` is None when SCALE-Sim did not run at all."""
    rows = []
    for case in cases:
        M, K, N = case.layer.gemm()
        s = (scalesim or {}).get(case)
        t = tessera.get(case) or {"error": "not run"}
        row = {"layer": case.layer.name, "kind": case.layer.kind, "M": M, "K": K, "N": N,
               "rows": case.rows, "cols": case.cols, "array": case.array,
               "dataflow": case.dataflow,
               "closed_form_cycles": closed_form_cycles(case.dataflow, case.rows, case.cols,
                                                        M, K, N),
               "scalesim": s, "tessera": t}
        s_ok, t_ok = s is not None and "error" not in s, "error" not in t
        s_cycles = s["compute_cycles"] if s_ok else None
        t_cycles = t["compute_cycles"] if t_ok else None
        row["scalesim_compute_cycles"] = s_cycles
        row["tessera_compute_cycles"] = t_cycles
        row["equal"] = s_cycles == t_cycles if s_ok and t_ok else None
        row["delta"] = t_cycles - s_cycles if s_ok and t_ok else None
        row["scalesim_seconds"] = s["sim_seconds"] if s_ok else None
        row["tessera_seconds"] = t["sim_seconds"] if t_ok else None
        row["speed_ratio"] = (s["sim_seconds"] / t["sim_seconds"]
                              if s_ok and t_ok and t["sim_seconds"] > 0 else None)
        notes = []
        if s is not None and not s_ok:
            notes.append(f"scalesim: {s['error']}")
        if not t_ok:
            notes.append(f"tessera: {t['error']}")
        elif t.get("check") == "wrong":
            notes.append("tessera: WRONG result")
        if s_ok and s.get("gemm") and tuple(s["gemm"][k] for k in "MKN") != (M, K, N):
            notes.append("scalesim simulated M={M}, K={K}, N={N}".format(**s["gemm"]))
        if s_ok and s.get("stall_cycles"):
            notes.append(f"scalesim stalls: {s['stall_cycles']}")
        row["notes"] = notes
        rows.append(row)
    return rows


def _seconds(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1e3:.3g} ms" if x < 1 else f"{x:.3g} s"


def _cell(x) -> str:
    return "—" if x is None else str(x)


def _equal(row: dict) -> str:
    if row["equal"] is None:
        return "—"
    return "yes" if row["equal"] else f"no ({row['delta']:+d})"


def markdown_table(rows: list[dict]) -> list[str]:
    lines = ["| layer | array | dataflow | SCALE-Sim compute | Tessera compute (scalesim mode) "
             "| equal? | closed form | Tessera overlapped total | SCALE-Sim sim time "
             "| Tessera sim time | speed × | notes |",
             "|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        t = r["tessera"]
        overlapped = t.get("overlapped_total_cycles") if "error" not in t else None
        ratio = report._num(r["speed_ratio"]) if r["speed_ratio"] else "—"
        notes = "; ".join(r["notes"]).replace("|", "\\|")
        lines.append(f"| {r['layer']} | {r['array']} | {r['dataflow']} | "
                     f"{_cell(r['scalesim_compute_cycles'])} | "
                     f"{_cell(r['tessera_compute_cycles'])} | {_equal(r)} | "
                     f"{r['closed_form_cycles']} | {_cell(overlapped)} | "
                     f"{_seconds(r['scalesim_seconds'])} | {_seconds(r['tessera_seconds'])} | "
                     f"{ratio} | {notes} |")
    return lines


def summary_notes(rows: list[dict]) -> list[str]:
    notes = []
    compared = [r for r in rows if r["equal"] is not None]
    if compared:
        same = sum(r["equal"] for r in compared)
        notes.append(f"Tessera's scalesim-mode compute cycles equal SCALE-Sim's on {same} of "
                     f"{len(compared)} cases")
    offsets = {r["scalesim_compute_cycles"] - r["closed_form_cycles"] for r in rows
               if r["scalesim_compute_cycles"] is not None}
    if offsets:
        notes.append("SCALE-Sim compute − closed form: "
                     + ", ".join(f"{d:+d}" for d in sorted(offsets)))
    ratios = [r["speed_ratio"] for r in rows if r["speed_ratio"]]
    if ratios:
        mean = math.exp(sum(map(math.log, ratios)) / len(ratios))
        notes.append(f"SCALE-Sim time / Tessera time: {report._num(min(ratios))}.."
                     f"{report._num(max(ratios))} (geometric mean {report._num(mean)})")
    return notes


def to_markdown(machine: dict, settings: dict, notes: list[str], rows: list[dict],
                layers: list[Layer]) -> str:
    lines = report.header_lines(machine, "Tessera NPU simulator vs SCALE-Sim")
    scalesim = settings.get("scalesim") or {}
    lines.append(f"- SCALE-Sim: {scalesim.get('version') or 'not run'}"
                 + (f" (numpy {scalesim['numpy']}, {settings['scalesim_python']})"
                    if scalesim.get("numpy") else ""))
    lines += ["", *markdown_table(rows), "", "Layers:", ""]
    lines += [f"- `{layer.name}`: {layer.description}" for layer in layers]
    lines += ["", *(f"{i}. {text}" for i, text in enumerate(FOOTNOTES, 1))]
    if notes:
        lines += ["", "Notes:", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def write(out_dir: str | Path, machine: dict, settings: dict, notes: list[str],
          rows: list[dict], layers: list[Layer]) -> tuple[Path, Path, str]:
    """Write npu-<slug>-<date>.json and .md under `out_dir`; both paths and the Markdown."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"npu-{machine['slug']}-{machine['date']}"
    document = {"machine": machine, "settings": settings, "notes": notes,
                "layers": {layer.name: {"kind": layer.kind, "dims": layer.dims,
                                        "gemm": dict(zip("MKN", layer.gemm())),
                                        "description": layer.description}
                           for layer in layers},
                "footnotes": FOOTNOTES, "results": rows}
    json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    json_path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n")
    markdown = to_markdown(machine, settings, notes, rows, layers)
    md_path.write_text(markdown)
    return json_path, md_path, markdown


# --- main ---------------------------------------------------------------------------------

def _arrays(text: str) -> list[tuple[int, int]]:
    out = []
    for item in filter(None, (x.strip() for x in text.split(","))):
        rows, sep, cols = item.lower().replace("×", "x").partition("x")
        if not sep or not rows.isdigit() or not cols.isdigit() or not int(rows) or not int(cols):
            raise argparse.ArgumentTypeError(f"not an array size RxC: {item!r}")
        out.append((int(rows), int(cols)))
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.npu",
                                description=__doc__.split("\n")[0].split(": ", 1)[1])
    p.add_argument("--quick", action="store_true",
                   help="the small layers only: " + ", ".join(
                       layer.name for layer in LAYERS if layer.quick))
    p.add_argument("--layers", type=lambda s: [x for x in s.split(",") if x],
                   help="comma-separated layer names or globs (default: all, or the quick "
                   "ones)")
    p.add_argument("--dataflows", type=lambda s: [x for x in s.split(",") if x],
                   default=list(DATAFLOWS), help="comma-separated, of os,ws,is (default all)")
    p.add_argument("--arrays", type=_arrays,
                   help="comma-separated RxC array sizes, e.g. 16x16,32x32 (default: 32x32 "
                   "for gemm-512, 16x16 and 32x32 for the others)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--scalesim-python", default=DEFAULT_SCALESIM_PYTHON,
                   help="the Python of SCALE-Sim's virtual environment (default "
                   f"{DEFAULT_SCALESIM_PYTHON}, made by `make scalesim`)")
    p.add_argument("--scalesim-timeout", type=float, default=3600.0,
                   help="seconds for one SCALE-Sim process (one array and dataflow; "
                   "default 3600)")
    p.add_argument("--seed", type=int, default=0, help="seed of Tessera's random operands")
    return p


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    bad = sorted(set(args.dataflows) - set(DATAFLOWS))
    if bad:
        raise SystemExit(f"bench.npu: unknown dataflow(s) {', '.join(bad)} (os, ws, is)")
    layers = select_layers(args.layers, args.quick)
    cases = plan(layers, [d for d in DATAFLOWS if d in args.dataflows], args.arrays)
    machine = report.machine_info()
    notes: list[str] = []

    scalesim = None
    if Path(args.scalesim_python).exists():
        scalesim = scalesim_results(args.scalesim_python, cases, args.scalesim_timeout, log)
    else:
        notes.append(f"SCALE-Sim not run: {args.scalesim_python} does not exist (`make "
                     "scalesim` creates .venv-scalesim); only Tessera's side is reported")
        log(f"note: {notes[-1]}")
    tessera = tessera_results(cases, args.seed, log)

    rows = build_rows(cases, scalesim, tessera)
    notes += summary_notes(rows)
    machine["load_average_end"] = report.load_average()
    answered = [r for r in (scalesim or {}).values() if "error" not in r]
    settings = {"quick": args.quick, "layers": [layer.name for layer in layers],
                "dataflows": args.dataflows, "arrays": args.arrays, "seed": args.seed,
                "scalesim_python": args.scalesim_python,
                "scalesim": {"version": answered[0].get("scalesim") if answered else None,
                             "numpy": answered[0].get("numpy") if answered else None,
                             "mode": "CALC", **SCALESIM_SRAM_KB},
                "argv": sys.argv[1:] if argv is None else list(argv)}
    json_path, md_path, markdown = write(args.out, machine, settings, notes, rows, layers)
    print(markdown, end="")
    log(f"wrote {json_path} and {md_path}")
    failed = [r for r in rows if r["notes"] and any(
        n.startswith("tessera:") or n.startswith("scalesim:") for n in r["notes"])]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
