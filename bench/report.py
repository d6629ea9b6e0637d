"""The machine a run was on, and its results as JSON and as a Markdown table."""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench.measure import Measurement

FOOTNOTES = [
    "GFLOP/s counts a multiply-add as 2 FLOPs: 2·M·N·K for a matmul, "
    "2·N·K·C·OH·OW·KH·KW for a convolution. The end-to-end cases (mlp, lenet5) count "
    "their matmuls and convolutions only (bias, ReLU, pooling and softmax are not counted), "
    "but their time is the whole function's.",
    "GFLOP/s is the median over the rounds; the spread is min..max over the rounds. Rounds are "
    "interleaved (round-robin over the contenders); a round's sample is the median of its calls.",
    "× NumPy: median GFLOP/s over NumPy's (OpenBLAS; im2col + matmul for convolutions) at "
    "the same thread count.",
    "With 2+ threads, each contender's turn starts after a short pause: the worker threads "
    "of OpenBLAS (pthreads) and of OpenMP spin for a while after a call, and on a small "
    "machine they would steal the cores of the next contender (calls 5-20x slower).",
    "WRONG: the result disagreed with NumPy's (rtol 1e-3, atol 1e-3·max|ref|) and was not timed.",
]


# --- the machine --------------------------------------------------------------------------

def _cpu_fields() -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo (empty where there is none)."""
    fields: dict[str, str] = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if not line.strip():
                break
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def _cpu_model(fields: dict[str, str]) -> str:
    return (fields.get("model name") or platform.processor() or platform.machine()
            or "unknown-cpu")


def _simd(fields: dict[str, str]) -> str | None:
    """The widest x86 vector extension the CPU has (what gcc -march=native may use)."""
    flags = set(fields.get("flags", "").split())
    for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"),
                       ("sse4_2", "SSE4.2")):
        if flag in flags:
            return name
    return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _command_line(*argv: str) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10,
                              cwd=Path(__file__).resolve().parents[1])
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _blas() -> dict:
    """The BLAS NumPy uses, as threadpoolctl sees it loaded (else as NumPy was built)."""
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("user_api") == "blas" and "numpy" in lib.get("filepath", ""):
                return {k: lib.get(k) for k in
                        ("internal_api", "version", "architecture", "threading_layer",
                         "num_threads", "filepath")}
    except ImportError:
        pass
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return {"internal_api": blas.get("name"), "version": blas.get("version")}
    except Exception:
        return {}


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_slug(cpu: str, cores: int) -> str:
    name = re.sub(r"\((r|tm)\)|\bcpu\b|\bprocessor\b|@.*$", " ", cpu.lower())
    name = re.sub(r"[^a-z0-9]+", "-", name).strip("-") or "cpu"
    return f"{name}-{cores}c"


def machine_info() -> dict:
    fields = _cpu_fields()
    cpu, cores = _cpu_model(fields), _cores()
    torch = sys.modules.get("torch")
    gcc = _command_line("gcc", "--version")
    commit = _command_line("git", "rev-parse", "--short", "HEAD")
    dirty = _command_line("git", "status", "--porcelain", "--untracked-files=no")
    now = datetime.datetime.now()
    return {
        "slug": machine_slug(cpu, cores),
        "cpu": cpu,
        "cores": cores,
        "cpu_family_model": "/".join(fields[k] for k in ("cpu family", "model") if k in fields)
        or None,
        "simd": _simd(fields),
        "numpy": np.__version__,
        "blas": _blas(),
        "torch": torch.__version__ if torch else None,
        "gcc": gcc.splitlines()[0] if gcc else None,
        "python": platform.python_version(),
        "tessera_commit": (commit.strip() + ("-dirty" if dirty and dirty.strip() else ""))
        if commit else None,
        "load_average": load_average(),  # other work on the machine skews every number
        "date": now.date().isoformat(),
        "time": now.isoformat(timespec="seconds"),
    }


# --- numbers ------------------------------------------------------------------------------

def summary(m: Measurement) -> dict:
    """Median, min, max and quartiles of the samples, in seconds and GFLOP/s."""
    if m.status != "ok" or not m.samples_s:
        return {}
    s = np.asarray(m.samples_s, dtype=np.float64)
    q1, median, q3 = (float(x) for x in np.percentile(s, [25, 50, 75]))
    gflops = lambda seconds: m.flops / seconds / 1e9  # noqa: E731
    return {
        "median_s": median, "min_s": float(s.min()), "max_s": float(s.max()),
        "q1_s": q1, "q3_s": q3,
        "gflops": gflops(median), "gflops_min": gflops(float(s.max())),
        "gflops_max": gflops(float(s.min())),
        "gflops_iqr": [gflops(q3), gflops(q1)],
    }


def ratios_to_numpy(measurements: list[Measurement]) -> list[float | None]:
    numpy = {(m.case, m.threads): summary(m).get("gflops")
             for m in measurements if m.contender == "numpy"}
    out = []
    for m in measurements:
        base, mine = numpy.get((m.case, m.threads)), summary(m).get("gflops")
        out.append(mine / base if base and mine else None)
    return out


def _num(x: float) -> str:
    """Three significant digits, never an exponent."""
    if x == 0 or not math.isfinite(x):
        return str(x)
    if abs(x) >= 999.5:
        return f"{x:.0f}"
    x = float(f"{x:.3g}")  # round first: 99.96 shows as 100, not 100.0
    return f"{x:.{max(0, 2 - math.floor(math.log10(abs(x))))}f}"


# --- JSON and Markdown --------------------------------------------------------------------

def to_json(machine: dict, settings: dict, notes: list[str], cases: dict,
            measurements: list[Measurement]) -> dict:
    results = [
        {**dataclasses.asdict(m), **summary(m), "vs_numpy": ratio}
        for m, ratio in zip(measurements, ratios_to_numpy(measurements))
    ]
    return {"machine": machine, "settings": settings, "notes": notes, "cases": cases,
            "footnotes": FOOTNOTES, "results": results}


def header_lines(machine: dict, title: str = "Tessera kernel benchmarks") -> list[str]:
    blas = machine.get("blas") or {}
    blas_text = " ".join(str(x) for x in (blas.get("internal_api"), blas.get("version")) if x)
    detail = ", ".join(str(blas[k]) for k in ("architecture", "threading_layer") if blas.get(k))
    lines = [
        f"# {title}: {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['date']}",
        "",
        f"- CPU: {machine['cpu']} ({machine['cores']} cores available"
        + "".join(f", {label} {machine[key]}" for key, label in
                  (("cpu_family_model", "family/model"), ("simd", "widest SIMD"))
                  if machine.get(key)) + ")",
        f"- NumPy {machine['numpy']}, BLAS: {blas_text or 'unknown'}"
        + (f" ({detail})" if detail else ""),
        f"- PyTorch: {machine['torch'] or 'not installed (column skipped)'}",
        f"- gcc: {machine['gcc'] or 'unknown'}",
        f"- Python {machine['python']}, tessera {machine.get('tessera_commit') or '(no git)'}, "
        f"run at {machine['time']}",
    ]
    start, end = machine.get("load_average"), machine.get("load_average_end")
    if start and end:
        lines.append("- load average (1, 5, 15 min): " + ", ".join(map(str, start))
                     + " at the start, " + ", ".join(map(str, end)) + " at the end")
    return lines


def to_markdown(machine: dict, settings: dict, notes: list[str], cases: dict,
                measurements: list[Measurement]) -> str:
    lines = header_lines(machine)
    lines.append(f"- interleaved rounds per case: {settings['rounds']}; calls per round: "
                 + (str(settings["repeat"]) if settings.get("repeat")
                    else f"as many as fit in {settings['round_time']} s")
                 + (f"; {settings['settle']} s pause before each turn with 2+ threads"
                    if settings.get("settle") else ""))
    lines += ["", "| case | threads | contender | GFLOP/s | spread | ms/call | × NumPy | notes |",
              "|---|---:|---|---:|---|---:|---:|---|"]
    for m, ratio in zip(measurements, ratios_to_numpy(measurements)):
        s = summary(m)
        if s:
            cells = [_num(s["gflops"]), f"{_num(s['gflops_min'])}..{_num(s['gflops_max'])}",
                     _num(s["median_s"] * 1e3), f"{ratio:.2f}" if ratio else "—"]
        else:
            shown = {"wrong": "**WRONG**", "failed": "FAILED", "skipped": "skipped"}
            cells = [shown.get(m.status, m.status), "", "", ""]
        note = m.note.replace("|", "\\|")
        lines.append(f"| {m.case} | {m.threads} | {m.contender} | " + " | ".join(cells)
                     + f" | {note} |")
    lines += ["", "Cases:", ""]
    lines += [f"- `{name}`: {c['description']} ({_num(c['flops'] / 1e6)} MFLOP)"
              for name, c in cases.items()]
    lines += ["", *(f"{i}. {text}" for i, text in enumerate(FOOTNOTES, 1))]
    if notes:
        lines += ["", "Notes:", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def write(out_dir: str | Path, machine: dict, settings: dict, notes: list[str], cases: dict,
          measurements: list[Measurement]) -> tuple[Path, Path, str]:
    """Write <slug>-<date>.json and .md under `out_dir`; return both paths and the Markdown."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{machine['slug']}-{machine['date']}"
    document = to_json(machine, settings, notes, cases, measurements)
    json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    json_path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n")
    markdown = to_markdown(machine, settings, notes, cases, measurements)
    md_path.write_text(markdown)
    return json_path, md_path, markdown
