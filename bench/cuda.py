"""`python -m bench.cuda`: Tessera's CUDA kernels beside cuBLAS (CuPy) and cuDNN (PyTorch).

    python -m bench.cuda                          # every case
    python -m bench.cuda --quick                  # matmul-1024, the small conv, mlp-64, lenet5-1
    python -m bench.cuda --cases 'matmul-*' --tune 64    # tune first, add 'tessera tuned'
    python -m bench.cuda --tuning-db bench/results/tuned-cuda-nvidia-h100.db

Cases: square f32 matmuls of 1024, 2048 and 4096, two 3×3 convolutions (a ResNet layer
64→64 on 56×56 at batch 1, and 128→128 on 28×28 at batch 32), the MLP (examples/mlp.tsr,
B=64) and LeNet-5 (examples/lenet5.tsr, N=1 and 64).

Contenders per case:
- `tessera default`: the program lowered with `lower-to-cuda` (the default GPU schedules; no
  tuning database is read), built with nvcc for this GPU;
- `tessera tuned` (with `--tune N` or `--tuning-db PATH`): the same with the best schedules
  the tuning database holds for this GPU. `--tune N` first tunes the chosen cases (model
  strategy, N trials a case, measured by `targets/cuda/tuning.py`'s CudaMeasurer) into the
  database (default bench/results/tuned-cuda-<device>.db); trials it already holds are not
  measured again. matmul-4096 is tuned only when `--tune-cases` names it: its reference, the
  naive loops on the C target, takes many minutes;
- `CuPy` (cuBLAS): `cupy.matmul` for the matmuls, the MLP written in CuPy;
- `PyTorch CUDA` (cuDNN for the convolutions), when PyTorch with CUDA is installed.

Every contender's result is checked once against NumPy's on the CPU (rtol 1e-3), then all are
timed in the same run, in interleaved rounds, with CUDA events on the default stream around
each call (inputs and outputs stay on the device); a sample is the mean of enough calls to
last `--min-sample-s`. The table gives the median time, TFLOP/s and the ratio to the vendor
library (cuBLAS for the matmuls and the MLP, cuDNN for the convolutions and LeNet-5). TF32 is
off everywhere: all contenders compute in f32. Writes <out>/cuda-<device>-<date>.json and .md
and prints the Markdown. Without a GPU (CuPy and a CUDA device) or nvcc it exits 2 with one
line; it exits 1 when a contender failed to build or gave a wrong result.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench import cases as case_list
from bench import peers, report

DEFAULT_OUT = "bench/results"
NOT_TUNED_BY_DEFAULT = ("matmul-4096",)  # the naive C reference takes too long
REFERENCE_TIMEOUT_S = 3600.0  # the naive C reference of a tuned workload (matmul-2048: minutes)
QUICK = ("matmul-1024", "conv2d-64x56x56", "mlp-64", "lenet5-1")
VENDOR = {"matmul": "CuPy", "mlp": "CuPy", "conv2d": "PyTorch CUDA", "lenet5": "PyTorch CUDA"}

FOOTNOTES = [
    "TFLOP/s counts a multiply-add as 2 FLOPs: 2·M·N·K for a matmul, 2·N·K·C·OH·OW·KH·KW for "
    "a convolution; the end-to-end cases (mlp, lenet5) count their matmuls and convolutions "
    "only, but their time is the whole function's.",
    "Times are CUDA-event times on the default stream, inputs and outputs already on the "
    "device: the median over all samples of all rounds (rounds interleave the contenders); a "
    "sample is the mean of enough back-to-back calls to last --min-sample-s. The spread is "
    "min..max over the samples.",
    "A Tessera call is its host launcher: it launches the kernels and synchronises once at "
    "its end, so the time includes the launches of all its kernels and one synchronisation.",
    "× vendor: the contender's speed over the vendor library's (cuBLAS through CuPy for the "
    "matmuls and the MLP, cuDNN through PyTorch for the convolutions and LeNet-5); above 1 is "
    "faster.",
    "TF32 is off (CuPy's default; torch.backends.cudnn.allow_tf32 and "
    "torch.backends.cuda.matmul.allow_tf32 are set to False): every contender computes in f32.",
    "WRONG: the result disagreed with NumPy's on the CPU (tessera's agreement test) and was "
    "not timed.",
]


def all_cases() -> list[case_list.Case]:
    batched = case_list.Case(
        name="conv2d-b32-128x28x28",
        description="conv2d N=32, C=K=128, 28x28, 3x3, pad 1",
        source=case_list.CONV, entry="conv",
        bindings={"N": 32, "C": 128, "K": 128, "H": 28, "W": 28},
        flops=2 * 32 * 128 * 128 * 28 * 28 * 9,
        make_inputs=lambda rng: [case_list._normal(rng, 32, 128, 28, 28),
                                 case_list._normal(rng, 128, 128, 3, 3)],
        numpy_peer=peers.numpy_conv_pad1, torch_peer=peers.torch_conv_pad1)
    return [*(case_list.matmul_case(n, n, n) for n in (1024, 2048, 4096)),
            case_list.conv_case(), batched, case_list.mlp_case(64),
            case_list.lenet5_case(1), case_list.lenet5_case(64)]


def select(patterns: list[str] | None, quick: bool) -> list[case_list.Case]:
    cases = all_cases()
    if not patterns:
        return [c for c in cases if c.name in QUICK] if quick else cases
    unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(c.name, p) for c in cases)]
    if unknown:
        raise SystemExit(f"bench.cuda: unknown case(s) {', '.join(unknown)} (cases: "
                         f"{', '.join(c.name for c in cases)})")
    return [c for c in cases if any(fnmatch.fnmatchcase(c.name, p) for p in patterns)]


def kind(case) -> str:
    return case.name.split("-")[0]


# --- the device ---------------------------------------------------------------------------

def device_info() -> dict:
    """The GPU, its software and the host; a TesseraError without a GPU or nvcc."""
    from tessera.compiler.diagnostics import TesseraError
    from tessera.targets.c.build import compiler_version
    from tessera.targets.cuda.build import NVCC, nvcc_available, nvcc_command
    from tessera.targets.cuda.runner import gpu_arch

    arch = gpu_arch()
    if not nvcc_available():
        raise TesseraError("cuda: nvcc not found (install the CUDA toolkit or set TESSERA_NVCC)")
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = props["name"]
    name = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
    nvcc = compiler_version(tuple(nvcc_command()), NVCC).splitlines()
    return {
        "name": name.strip(),
        "slug": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "gpu",
        "arch": arch,
        "memory_gib": round(props["totalGlobalMem"] / 2 ** 30, 1),
        "multiprocessors": props["multiProcessorCount"],
        "driver": cupy.cuda.runtime.driverGetVersion(),
        "runtime": cupy.cuda.runtime.runtimeGetVersion(),
        "cupy": cupy.__version__,
        "nvcc": next((line for line in nvcc if "release" in line), nvcc[-1] if nvcc else ""),
    }


def import_torch_cuda():
    try:
        import torch
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    return torch


# --- contenders ---------------------------------------------------------------------------

@dataclass
class Contender:
    name: str
    call: object = None  # no arguments; enqueues the work on the default stream
    result: object = None  # no arguments; the host copy of the last result
    status: str = "ok"  # ok | failed | wrong
    note: str = ""
    compile_s: float | None = None


@dataclass
class Measurement:
    case: str
    contender: str
    flops: int
    status: str
    samples_s: list = field(default_factory=list)
    note: str = ""


def tessera_contender(name: str, case, inputs, arch: str, tuning_db: str) -> Contender:
    """The case's program lowered for CUDA (looking schedules up in `tuning_db`, a path or
    "none"), built for `arch`, bound to device copies of `inputs`."""
    from tessera.compiler.api import Program
    from tessera.compiler.diagnostics import TesseraError
    from tessera.targets.c.runner import NUMPY_DTYPES
    from tessera.targets.cuda.backend import lower_and_emit
    from tessera.targets.cuda.build import build_gpu_library
    from tessera.targets.cuda.measure_worker import Launcher
    from tessera.targets.cuda.tuning import ERROR_STRING

    started = time.perf_counter()
    try:
        program = Program(case.source, f"<{case.name}>", "cuda", dict(case.bindings))
        source, signatures = lower_and_emit(program.graph(case.entry), tuning_db=tuning_db)
        library = build_gpu_library(source + ERROR_STRING, arch)
    except TesseraError as e:
        return Contender(name, status="failed", note=str(e).strip().splitlines()[0])
    signature = signatures[case.entry]
    params = [{"name": p.name, "shape": list(p.shape or ()),
               "dtype": NUMPY_DTYPES[p.element_type].name, "out": p.is_out}
              for p in signature.params]
    try:
        launcher = Launcher(str(library), signature.c_name, params, inputs)
    except Exception as e:  # noqa: BLE001 - CuPy's errors (out of memory...) fail this one
        return Contender(name, status="failed", note=f"{type(e).__name__}: {e}")
    return Contender(name, launcher.call, lambda: launcher.outputs()[0],
                     compile_s=time.perf_counter() - started)


def cupy_contender(case, inputs) -> Contender | None:
    import cupy

    if kind(case) == "matmul":
        a, b = (cupy.asarray(x) for x in inputs)
        out = cupy.empty((a.shape[0], b.shape[1]), dtype=a.dtype)
        return Contender("CuPy", lambda: cupy.matmul(a, b, out=out), lambda: cupy.asnumpy(out))
    if kind(case) == "mlp":
        x, w1, b1, w2 = (cupy.asarray(v) for v in inputs)
        last = {}

        def mlp():
            h = cupy.maximum(x @ w1 + b1, 0)
            z = h @ w2
            e = cupy.exp(z - z.max(axis=1, keepdims=True))
            last["y"] = e / e.sum(axis=1, keepdims=True)

        return Contender("CuPy", mlp, lambda: cupy.asnumpy(last["y"]))
    return None


def torch_contender(torch, case, inputs) -> Contender:
    tensors = [torch.from_numpy(np.ascontiguousarray(a)).cuda() for a in inputs]
    F = torch.nn.functional
    last = {}
    k = kind(case)
    if k == "matmul":
        a, b = tensors
        out = torch.empty((a.shape[0], b.shape[1]), dtype=a.dtype, device=a.device)

        def run():
            last["y"] = torch.matmul(a, b, out=out)
    elif k == "conv2d":
        x, w = tensors

        def run():
            last["y"] = F.conv2d(x, w, padding=1)
    elif k == "mlp":
        x, w1, b1, w2 = tensors

        def run():
            last["y"] = torch.softmax(torch.relu(x @ w1 + b1) @ w2, dim=1)
    else:
        x, c1, b1, c2, b2, f1, g1, f2, g2, f3, g3 = tensors

        def run():
            y = F.max_pool2d(torch.relu(F.conv2d(x, c1, b1)), 2)
            y = F.max_pool2d(torch.relu(F.conv2d(y, c2, b2)), 2)
            h = torch.flatten(y, 1)
            h = torch.relu(torch.addmm(g1, h, f1))
            h = torch.relu(torch.addmm(g2, h, f2))
            last["y"] = torch.addmm(g3, h, f3)

    return Contender("PyTorch CUDA", run, lambda: last["y"].cpu().numpy())


def check(c: Contender, reference: np.ndarray) -> None:
    """Run once and compare with NumPy's result (tessera's agreement test)."""
    from tessera.compiler.agreement import compare

    if c.status != "ok":
        return
    try:
        c.call()
        got = np.asarray(c.result())
    except Exception as e:  # noqa: BLE001 - a failing contender is reported, not fatal
        c.status, c.note = "failed", f"{type(e).__name__}: {e}"
        return
    if got.shape != reference.shape:
        c.status, c.note = "wrong", f"shape {got.shape}, expected {reference.shape}"
        return
    agreement = compare(got, reference)
    if not agreement.ok:
        c.status, c.note = "wrong", str(agreement)


def measure_case(case, contenders: list[Contender], rounds: int, repeat: int,
                 min_sample_s: float) -> list[Measurement]:
    from tessera.targets.cuda.measure_worker import time_call

    samples: dict[str, list[float]] = {c.name: [] for c in contenders}
    for _ in range(rounds):
        for c in contenders:
            if c.status == "ok":
                samples[c.name] += time_call(c.call, repeat, min_sample_s, warmup=1)
    return [Measurement(case.name, c.name, case.flops, c.status, samples[c.name], c.note)
            for c in contenders]


# --- tuning -------------------------------------------------------------------------------

def tune_cases(cases, db_path: str, trials: int) -> None:
    from tessera.compiler.tuning.api import tune
    from tessera.compiler.tuning.report import ProgressBar, table

    for case in cases:
        log(f"{case.name}: tuning {trials} trials (model) on the GPU into {db_path}")
        bar = ProgressBar("s")
        try:
            results = tune(case.source, entry=case.entry, bindings=case.bindings,
                           target="cuda", strategy="model", trials=trials, db=db_path, seed=0,
                           progress=bar, reference_timeout_s=REFERENCE_TIMEOUT_S)
        finally:
            bar.close()
        log(table(results))


def tuned_note(case, db_path: str) -> str:
    """Which of the case's workloads the database has a schedule for, on this GPU."""
    from tessera.compiler.tuning.api import program_workloads
    from tessera.compiler.tuning.report import short_op
    from tessera.targets.cuda.tuning import tuned_gpu_schedule

    tuned, rest = [], 0
    for w in program_workloads(case.source, case.entry, case.bindings):
        schedule = tuned_gpu_schedule(w.key, Path(db_path))
        if schedule is None:
            rest += 1
        else:
            tuned.append(f"{short_op(w.key)}: {schedule.text()}")
    if not tuned:
        return "nothing tuned for this GPU in the database: the default schedules"
    return "tuned " + "; ".join(tuned) + (f" ({rest} other op(s) default)" if rest else "")


# --- the report ---------------------------------------------------------------------------

def summary(m: Measurement) -> dict:
    if m.status != "ok" or not m.samples_s:
        return {}
    s = np.asarray(m.samples_s, dtype=np.float64)
    median = float(np.median(s))
    return {"median_s": median, "min_s": float(s.min()), "max_s": float(s.max()),
            "tflops": m.flops / median / 1e12, "tflops_min": m.flops / float(s.max()) / 1e12,
            "tflops_max": m.flops / float(s.min()) / 1e12}


def vendor_ratios(measurements: list[Measurement], cases) -> list[float | None]:
    vendor_of = {c.name: VENDOR[kind(c)] for c in cases}
    base = {m.case: summary(m).get("median_s") for m in measurements
            if m.contender == vendor_of.get(m.case)}
    out = []
    for m in measurements:
        mine, theirs = summary(m).get("median_s"), base.get(m.case)
        out.append(theirs / mine if mine and theirs else None)
    return out


def to_markdown(device: dict, host: dict, settings: dict, notes: list[str], cases,
                measurements: list[Measurement]) -> str:
    num = report._num
    lines = [
        f"# Tessera CUDA kernels vs cuBLAS/cuDNN: {device['name']}, {host['date']}",
        "",
        f"- GPU: {device['name']} ({device['arch']}, {device['multiprocessors']} SMs, "
        f"{device['memory_gib']} GiB), driver {device['driver']}, CUDA runtime "
        f"{device['runtime']} (CuPy's)",
        f"- nvcc: {device['nvcc']}; CuPy {device['cupy']}; PyTorch: "
        f"{settings.get('torch') or 'not installed with CUDA (column skipped)'}",
        f"- host: {host['cpu']} ({host['cores']} cores), Python {host['python']}, tessera "
        f"{host.get('tessera_commit') or '(no git)'}, run at {host['time']}",
        f"- rounds: {settings['rounds']}, samples a round: {settings['repeat']}, a sample at "
        f"least {settings['min_sample_s']} s of calls",
        "",
        "| case | contender | TFLOP/s | spread | ms/call | × vendor | notes |",
        "|---|---|---:|---|---:|---:|---|",
    ]
    for m, ratio in zip(measurements, vendor_ratios(measurements, cases)):
        s = summary(m)
        if s:
            cells = [num(s["tflops"]), f"{num(s['tflops_min'])}..{num(s['tflops_max'])}",
                     num(s["median_s"] * 1e3), num(ratio) if ratio else "—"]
        else:
            cells = [{"wrong": "**WRONG**", "failed": "FAILED"}.get(m.status, m.status),
                     "", "", ""]
        note = m.note.replace("|", "\\|")
        lines.append(f"| {m.case} | {m.contender} | " + " | ".join(cells) + f" | {note} |")
    lines += ["", "Cases:", ""]
    lines += [f"- `{c.name}`: {c.description} ({num(c.flops / 1e9)} GFLOP)" for c in cases]
    lines += ["", *(f"{i}. {text}" for i, text in enumerate(FOOTNOTES, 1))]
    if notes:
        lines += ["", "Notes:", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def write(out_dir: str | Path, device: dict, host: dict, settings: dict, notes: list[str],
          cases, measurements: list[Measurement]) -> tuple[Path, Path, str]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"cuda-{device['slug']}-{host['date']}"
    results = [{"case": m.case, "contender": m.contender, "status": m.status, "note": m.note,
                "flops": m.flops, "samples_s": m.samples_s, **summary(m), "vs_vendor": r}
               for m, r in zip(measurements, vendor_ratios(measurements, cases))]
    document = {"device": device, "host": host, "settings": settings, "notes": notes,
                "cases": {c.name: {"description": c.description, "flops": c.flops,
                                   "bindings": c.bindings, "entry": c.entry,
                                   "vendor": VENDOR[kind(c)]} for c in cases},
                "footnotes": FOOTNOTES, "results": results}
    json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    json_path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n")
    markdown = to_markdown(device, host, settings, notes, cases, measurements)
    md_path.write_text(markdown)
    return json_path, md_path, markdown


# --- main ---------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.cuda",
                                description=__doc__.split("\n")[0].split(": ", 1)[1])
    p.add_argument("--quick", action="store_true", help="only " + ", ".join(QUICK))
    p.add_argument("--cases", type=lambda s: [x for x in s.split(",") if x],
                   help="comma-separated case names or globs (default: all, or the quick ones)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--repeat", type=int, default=10, help="samples a round (default 10)")
    p.add_argument("--min-sample-s", type=float, default=0.01,
                   help="a sample is the mean of enough calls to last this long (default 0.01)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--seed", type=int, default=0, help="seed of the inputs")
    p.add_argument("--tuning-db", metavar="PATH",
                   help="adds 'tessera tuned': the best schedules this database holds for this "
                   "GPU")
    p.add_argument("--tune", type=int, metavar="N",
                   help="first tune the chosen cases, N trials each (model strategy), into "
                   "--tuning-db (default bench/results/tuned-cuda-<device>.db); resumable")
    p.add_argument("--tune-cases", type=lambda s: [x for x in s.split(",") if x],
                   help="the cases --tune tunes, names or globs (default: the chosen ones but "
                   + ", ".join(NOT_TUNED_BY_DEFAULT) + ")")
    return p


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    from tessera.compiler.diagnostics import TesseraError

    args = build_parser().parse_args(argv)
    try:
        device = device_info()
    except TesseraError as e:
        print(f"bench.cuda: {e.message.removeprefix('cuda: ')}; this benchmark needs a CUDA "
              "GPU, CuPy and nvcc (make bench-cuda on a machine with a GPU)", file=sys.stderr)
        return 2
    from tessera.targets.cuda.runner import gpu_arch

    arch = gpu_arch()
    chosen = select(args.cases, args.quick)
    notes: list[str] = []
    torch = import_torch_cuda()
    if torch is None:
        notes.append("PyTorch with CUDA is not installed: no PyTorch column (no cuDNN "
                     "baseline for the convolutions)")
    for n in notes:
        log(f"note: {n}")
    host = report.machine_info()

    tuning_db = args.tuning_db
    if args.tune is not None:
        tuning_db = tuning_db or str(Path(DEFAULT_OUT) / f"tuned-cuda-{device['slug']}.db")
        patterns = args.tune_cases
        tuned_cases = [c for c in chosen if (any(fnmatch.fnmatchcase(c.name, p)
                                                 for p in patterns) if patterns
                                             else c.name not in NOT_TUNED_BY_DEFAULT)]
        tune_cases(tuned_cases, tuning_db, args.tune)
    if tuning_db is not None and not Path(tuning_db).exists():
        raise TesseraError(f"tuning database {tuning_db} does not exist")

    measurements: list[Measurement] = []
    for case in chosen:
        inputs = case.make_inputs(np.random.default_rng(args.seed))
        reference = np.asarray(case.numpy_peer(inputs)())
        contenders = [tessera_contender("tessera default", case, inputs, arch, "none")]
        if tuning_db is not None:
            tuned = tessera_contender("tessera tuned", case, inputs, arch, tuning_db)
            tuned.note = "; ".join(x for x in (tuned.note, tuned_note(case, tuning_db)) if x)
            contenders.append(tuned)
        peer = cupy_contender(case, inputs)
        if peer is not None:
            contenders.append(peer)
        if torch is not None:
            contenders.append(torch_contender(torch, case, inputs))
        for c in contenders:
            check(c, reference)
            built = f" (built in {c.compile_s:.2f} s)" if c.compile_s is not None else ""
            log(f"{case.name}: {c.name}: {c.status}{built}" + (f": {c.note}" if c.note else ""))
        rows = measure_case(case, contenders, args.rounds, args.repeat, args.min_sample_s)
        for m in rows:
            s = summary(m)
            if s:
                log(f"{case.name}: {m.contender}: {s['tflops']:.2f} TFLOP/s, "
                    f"{s['median_s'] * 1e3:.3f} ms")
        measurements += rows
        del contenders, rows  # the device arrays of this case

    host["load_average_end"] = report.load_average()
    settings = {"quick": args.quick, "cases": [c.name for c in chosen], "rounds": args.rounds,
                "repeat": args.repeat, "min_sample_s": args.min_sample_s, "seed": args.seed,
                "tuning_db": tuning_db, "tune": args.tune, "tune_cases": args.tune_cases,
                "torch": torch.__version__ if torch is not None else None,
                "argv": sys.argv[1:] if argv is None else list(argv)}
    json_path, md_path, markdown = write(args.out, device, host, settings, notes, chosen,
                                         measurements)
    print(markdown, end="")
    log(f"wrote {json_path} and {md_path}")
    return 1 if any(m.status in ("wrong", "failed") for m in measurements) else 0


if __name__ == "__main__":
    from tessera.compiler.diagnostics import run_reporting_errors

    sys.exit(run_reporting_errors("bench", main))
