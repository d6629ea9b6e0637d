"""What `tessera tune` prints: a progress bar while it searches, a table when it is done."""

from __future__ import annotations

import sys
from typing import TextIO

from tessera.compiler.tuning.tuner import Progress, WorkloadResult

BAR = 24


def short_op(key: str) -> str:
    """`linalg.matmul(memref<512x512xf32>, ...) #digest` → `matmul`."""
    return key.split("(", 1)[0].removeprefix("linalg.")


def format_cost(cost: float | None, unit: str) -> str:
    if cost is None:
        return "-"
    if unit != "s":
        return f"{cost:,.0f} {unit}"
    for scale, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "us")):
        if cost >= scale:
            return f"{cost / scale:.3g} {suffix}"
    return f"{cost * 1e9:.3g} ns"


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


class ProgressBar:
    """One line per workload, redrawn in place on a terminal, printed per batch otherwise."""

    def __init__(self, unit: str = "s", stream: TextIO | None = None):
        self.unit = unit
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self._open = False  # a live line not yet ended

    def __call__(self, p: Progress) -> None:
        if not p.total:
            return  # a workload with too small a share for any trial keeps its default
        filled = BAR * p.done // max(p.total, 1)
        line = (f"[{p.index + 1}/{p.workloads}] {short_op(p.workload.key):<12} "
                f"|{'#' * filled}{'.' * (BAR - filled)}| {p.done}/{p.total} trials  "
                f"best {format_cost(p.best_cost, self.unit)} "
                f"(default {format_cost(p.default_cost, self.unit)})  "
                f"{_clock(p.elapsed_s)} elapsed, ETA {_clock(p.eta_s)}")
        if self.live:
            self._open = p.done < p.total
            self.stream.write("\r\x1b[2K" + line + ("" if self._open else "\n"))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._open:
            self.stream.write("\n")
            self.stream.flush()
            self._open = False


def table(results: list[WorkloadResult], unit: str = "s") -> str:
    """The closing table: each workload's shape, share, trials, default and best cost,
    speed-up, and the best schedule."""
    rows = [("op", "loops", "share", "trials", "failed", "default", "best", "speed-up",
             "best schedule")]
    for r in results:
        best = r.best
        failed = sum(o.status != "ok" for _, o in r.trials)
        schedule = "(default)" if best is None or best[0] == r.default else \
            (best[0].text() or "(plain loops)")
        rows.append((
            short_op(r.workload.key),
            "x".join(map(str, r.workload.nest.extents)) + (f" ×{r.workload.count}"
                                                           if r.workload.count > 1 else ""),
            f"{r.share:.0%}",
            f"{len(r.trials)} ({r.measured} new)",
            str(failed),
            format_cost(r.default_cost, unit),
            format_cost(best[1] if best else None, unit),
            f"{r.speedup:.2f}x" if r.speedup else "-",
            schedule,
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 13)
    return "\n".join(line.rstrip() for line in lines)
