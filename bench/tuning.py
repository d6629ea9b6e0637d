"""`python -m bench.tuning`: how many trials each search strategy needs to find a good schedule.

    python -m bench.tuning                  # matmul 512³, f32, one thread; ~500 schedules, 10 seeds
    python -m bench.tuning --quick          # matmul 128³, 16 schedules, 3 seeds (a smoke run)
    python -m bench.tuning --db my.db --seeds 20 --out /tmp/results

1. *Exhaustive*: a fixed space (the register-tiled space of the matmul, restricted: the BLIS
   loop order, both operands packed, the widest vectors, a few cache tiles, register tiles of
   4/6/8 rows by 1/2/3 vectors, unroll 1/2) is measured point by point with the C measurer
   (grid search through the tuner, one thread). Every trial goes to a tuning database
   (`--db`, default bench/results/tuning-<machine>.db): an interrupted run resumes, and a
   second run measures nothing and replays the database.
2. *Replay*: each strategy (random, grid, evolutionary, model) searches the same space again,
   through the same tuner, against a stand-in measurer that answers every schedule with its
   outcome in the exhaustive table (nothing is measured again), once per seed. Reported: the
   trials a strategy needs to find a schedule within 5% of the exhaustive best (median, min,
   max over the seeds; a search that never gets there counts as the space's size), and the
   best found in the first 64 trials.

Writes <out>/tuning-<machine>-<date>.json (the whole exhaustive table included) and .md and
prints the Markdown.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import report
from bench.cases import MATMUL

DEFAULT_OUT = "bench/results"
STRATEGIES = ("random", "grid", "evolutionary", "model")
SIZE, QUICK_SIZE = 512, 128
WITHIN = 0.05  # "found": within 5% of the exhaustive best
BUDGET = 64  # the trial count model-guided search should need at most (median)
BATCH = 8  # points per proposal, as `tessera tune` measures them

# The fixed spaces, as `SearchSpace.restricted` arguments. Order (1, 2, 0) is BLIS's
# (j0, k0, i0: d0 = rows of A and C, d1 = columns of B and C, d2 = the reduction); the
# lanes knob is pinned to the widest vector at run time.
FIXED = dict(
    order=[(1, 2, 0)], micro=["vectors"], pack_0=[True], pack_1=[True], parallel=[None],
    tile_d0=[64, 128, 256], tile_d1=[96, 192, 384], tile_d2=[128, 192, 256],
    rows=[4, 6, 8], vectors=[1, 2, 3], unroll=[1, 2],
)
QUICK = dict(
    order=[(1, 2, 0)], micro=["vectors"], pack_0=[True], pack_1=[True], parallel=[None],
    tile_d0=[64, 128], tile_d1=[128], tile_d2=[64, 128], rows=[4, 8], vectors=[1, 2],
    unroll=[1],
)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the workload and its space ----------------------------------------------------------

def matmul_workload(n: int):
    """The one workload of an n×n×n f32 matmul."""
    from tessera.compiler.tuning.api import program_workloads

    [workload] = program_workloads(MATMUL, "matmul", {"M": n, "K": n, "N": n})
    return workload


def fixed_space(workload, resources, quick: bool = False):
    """The register-tiled space of `workload`, restricted to FIXED (or QUICK)."""
    from tessera.compiler.tuning.space import space_for

    full = space_for(workload.nest, resources)
    lanes = next(k.choices for k in full.knobs if k.name == "lanes")
    return full.restricted(**(QUICK if quick else FIXED), lanes=[max(lanes)])


# --- the exhaustive table ----------------------------------------------------------------

@dataclass
class Table:
    """Every valid point of a space with the outcome measured for its schedule."""

    space: object  # SearchSpace
    points: list  # valid points, in grid order
    outcomes: dict  # schedule.dumps() -> Outcome
    default: tuple  # (default Schedule, its cost or None)
    measured: int = 0  # trials measured by the run that made the table (the rest replayed)

    def outcome(self, point):
        return self.outcomes[self.space.schedule(point).dumps()]

    @property
    def costs(self) -> list[float | None]:
        return [_cost(self.outcome(p)) for p in self.points]

    @property
    def best(self) -> float:
        ok = [c for c in self.costs if c is not None]
        if not ok:
            raise SystemExit("bench.tuning: no schedule of the space ran successfully")
        return min(ok)

    def good(self, within: float = WITHIN) -> int:
        """Points within `within` of the best."""
        limit = self.best * (1 + within)
        return sum(c is not None and c <= limit for c in self.costs)


def _cost(outcome) -> float | None:
    return outcome.cost if outcome.status == "ok" and outcome.cost is not None else None


def exhaustive(workload, space, db_path: str | Path, measurer,
               progress: Callable | None = None) -> Table:
    """Measure every valid point of `space` (grid search through the tuner) into the
    database at `db_path`; points it already holds are replayed, not measured."""
    from tessera.compiler.tuning.database import TuningDatabase
    from tessera.compiler.tuning.tuner import Tuner

    points = list(space.points())
    with TuningDatabase(db_path) as db:
        tuner = Tuner(measurer, db, strategy="grid", seed=0, batch=BATCH, progress=progress)
        result = tuner.tune(workload, len(points), space=space)
    outcomes = {s.dumps(): o for s, o in result.trials}
    missing = [p for p in points if space.schedule(p).dumps() not in outcomes]
    if missing:  # the grid strategy proposes every valid point: a bug if not
        raise RuntimeError(f"exhaustive run left {len(missing)} point(s) unmeasured")
    return Table(space, points, outcomes, (result.default, result.default_cost),
                 result.measured)


# --- replaying a search --------------------------------------------------------------------

class _Enough(Exception):
    """Raised by the replay measurer once the replay has told what it is for."""


class ReplayMeasurer:
    """A measurer that measures nothing: each schedule's outcome comes from a table."""

    unit = "s"
    target = "replay"

    def __init__(self, outcomes: dict, stop: Callable[[list], bool] | None = None):
        self.outcomes, self.stop = outcomes, stop
        self.costs: list[float | None] = []  # of every trial, in order

    def resources(self, workload):
        raise NotImplementedError("a replay is given its space")

    def default_schedule(self, workload):
        raise NotImplementedError("a replay is given its default")

    def measure(self, workload, schedules):
        for schedule in schedules:
            outcome = self.outcomes.get(schedule.dumps())
            if outcome is None:
                raise KeyError(f"not in the exhaustive table: {schedule.dumps()}")
            self.costs.append(_cost(outcome))
            yield outcome
            if self.stop is not None and self.stop(self.costs):
                raise _Enough

    def close(self) -> None:
        pass


def trials_to_reach(costs: Sequence[float | None], limit: float) -> int | None:
    """1-based index of the first trial costing at most `limit` (None: none does)."""
    for i, cost in enumerate(costs, 1):
        if cost is not None and cost <= limit:
            return i
    return None


def replay(table: Table, workload, strategy: str, seed: int, *, within: float = WITHIN,
           horizon: int = BUDGET) -> list[float | None]:
    """The costs of the trials `strategy` makes with `seed` on the table's space, in order,
    until it has found a point within `within` of the best and made `horizon` trials (or
    the space is exhausted)."""
    from tessera.compiler.tuning.database import TuningDatabase
    from tessera.compiler.tuning.tuner import Tuner

    limit = table.best * (1 + within)

    def enough(costs):
        return len(costs) >= horizon and trials_to_reach(costs, limit) is not None

    measurer = ReplayMeasurer(table.outcomes, enough)
    with TuningDatabase(":memory:") as db:
        tuner = Tuner(measurer, db, strategy=strategy, seed=seed, batch=BATCH,
                      version="replay")
        try:
            tuner.tune(workload, len(table.points), space=table.space, default=table.default)
        except _Enough:
            pass
    return measurer.costs


@dataclass
class StrategyResult:
    name: str
    seeds: list[int]
    trials: list[int] = field(default_factory=list)  # to within, per seed (cap if never)
    reached: list[bool] = field(default_factory=list)
    best_at_budget: list[float | None] = field(default_factory=list)  # best / table best
    seconds: float = 0.0

    @property
    def median(self) -> float:
        return float(statistics.median(self.trials))

    def to_json(self) -> dict:
        return {"seeds": self.seeds, "trials": self.trials, "reached": self.reached,
                "median": self.median, "min": min(self.trials), "max": max(self.trials),
                "best_at_budget": self.best_at_budget, "replay_seconds": round(self.seconds, 2)}


def compare_strategies(table: Table, workload, strategies: Sequence[str], seeds: Sequence[int],
                       *, within: float = WITHIN, budget: int = BUDGET,
                       on_seed: Callable | None = None) -> list[StrategyResult]:
    cap = len(table.points)
    best, limit = table.best, table.best * (1 + within)
    out = []
    for name in strategies:
        result = StrategyResult(name, list(seeds))
        started = time.perf_counter()
        for seed in seeds:
            costs = replay(table, workload, name, seed, within=within, horizon=budget)
            found = trials_to_reach(costs, limit)
            result.reached.append(found is not None)
            result.trials.append(found if found is not None else cap)
            head = [c for c in costs[:budget] if c is not None]
            result.best_at_budget.append(min(head) / best if head else None)
            if on_seed:
                on_seed(name, seed, result.trials[-1], found is not None)
        result.seconds = time.perf_counter() - started
        out.append(result)
    return out


# --- the report ------------------------------------------------------------------------------

def _plain(value):
    """JSON-friendly knob values (tuples as lists)."""
    return list(value) if isinstance(value, tuple) else value


def to_json(machine: dict, settings: dict, table: Table, workload, flops: int,
            results: list[StrategyResult]) -> dict:
    space = table.space
    best = table.best
    ranked = sorted(((c, p) for p, c in zip(table.points, table.costs) if c is not None),
                    key=lambda cp: cp[0])
    default_schedule, default_cost = table.default
    model = next((r for r in results if r.name == "model"), None)
    return {
        "machine": machine,
        "settings": settings,
        "workload": workload.key,
        "flops": flops,
        "space": {"describe": space.describe(), "valid_points": len(table.points),
                  "knobs": {k.name: [_plain(c) for c in k.choices] for k in space.knobs}},
        "exhaustive": {
            "measured_this_run": table.measured,
            "failed": sum(c is None for c in table.costs),
            "best_s": best, "best_gflops": flops / best / 1e9,
            "best_point": {k: _plain(v) for k, v in space.values(ranked[0][1]).items()},
            "best_schedule": space.schedule(ranked[0][1]).to_json(),
            "median_s": statistics.median(c for c, _ in ranked),
            "worst_s": ranked[-1][0],
            "default_s": default_cost,
            "default_schedule": default_schedule.to_json(),
            "within": settings["within"], "good_points": table.good(settings["within"]),
            "table": [{"point": {k: _plain(v) for k, v in space.values(p).items()},
                       "status": table.outcome(p).status, "cost": table.outcome(p).cost,
                       "detail": table.outcome(p).detail}
                      for p in table.points],
        },
        "strategies": {r.name: r.to_json() for r in results},
        "goal": {"model_median_trials": model.median if model else None,
                 "budget": settings["budget"],
                 "model_within_budget": bool(model and model.median <= settings["budget"])},
    }


def _trials(n: float) -> str:
    return f"{n:g} trial" + ("" if n == 1 else "s")


def _gflops(flops: int, seconds: float | None) -> str:
    return f"{flops / seconds / 1e9:.1f}" if seconds else "—"


def to_markdown(machine: dict, settings: dict, document: dict, flops: int) -> str:
    ex, space = document["exhaustive"], document["space"]
    within, budget = settings["within"], settings["budget"]
    n, cap, good = settings["size"], space["valid_points"], ex["good_points"]
    lines = report.header_lines(machine, title="Tessera tuning strategies")
    lines += [
        f"- workload: matmul {n}×{n}×{n}, f32, 1 thread (`{document['workload']}`)",
        f"- exhaustive table: {cap} valid points, each measured once by the C measurer "
        f"(median of {settings['repeat']} samples of ≥ {settings['min_sample_s']} s; "
        f"{ex['measured_this_run']} measured in this run, the rest replayed from "
        f"`{settings['db']}`); {ex['failed']} failed",
        f"- replay: {len(settings['seeds'])} seeds ({settings['seeds'][0]}.."
        f"{settings['seeds'][-1]}), batches of {settings['batch']}, through the tuner against "
        f"the table",
        "", "Space:", "", "```", space["describe"], "```", "",
        "| schedule | GFLOP/s | ms/call |", "|---|---:|---:|",
        f"| exhaustive best | {_gflops(flops, ex['best_s'])} | {ex['best_s'] * 1e3:.3g} |",
        f"| median of the space | {_gflops(flops, ex['median_s'])} | "
        f"{ex['median_s'] * 1e3:.3g} |",
        f"| worst of the space | {_gflops(flops, ex['worst_s'])} | {ex['worst_s'] * 1e3:.3g} |",
        f"| default schedule (outside the space) | {_gflops(flops, ex['default_s'])} | "
        + (f"{ex['default_s'] * 1e3:.3g} |" if ex["default_s"] else "— |"),
        "",
        f"Best point: `{ex['best_point']}`; {good} of {cap} points are within "
        f"{within:.0%} of it (uniform sampling without replacement needs "
        f"{(cap + 1) / (good + 1):.1f} trials on average to hit one).",
        "",
        f"| strategy | trials to within {within:.0%} (median) | min | max | seeds that got "
        f"there | best of the first {budget} trials (median, × best) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in document["strategies"].items():
        ratios = [x for x in r["best_at_budget"] if x is not None]
        lines.append(f"| {name} | {r['median']:g} | {r['min']} | {r['max']} | "
                     f"{sum(r['reached'])}/{len(r['reached'])} | "
                     + (f"{statistics.median(ratios):.3f} |" if ratios else "— |"))
    goal = document["goal"]
    if goal["model_median_trials"] is not None:
        verdict = "yes" if goal["model_within_budget"] else "**no**"
        lines += ["", f"Model-guided search within {within:.0%} of the exhaustive best in "
                      f"≤ {budget} trials (median over the seeds): {verdict} "
                      f"({_trials(goal['model_median_trials'])})."]
    lines += [
        "", "Notes:", "",
        f"- Trials count the schedules a strategy measured, in order, the default schedule "
        f"(measured first by `tessera tune`) not included; a seed that never got within "
        f"{within:.0%} counts as {cap} (the space's size).",
        "- Grid search does not depend on the seed: it walks the points in a fixed order.",
        "- Each point was measured once: points closer together than the measurement noise "
        "(a few %) may swap places in another run.",
    ]
    return "\n".join(lines) + "\n"


def write(out_dir: str | Path, machine: dict, document: dict, markdown: str) -> tuple[Path, Path]:
    import json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"tuning-{machine['slug']}-{machine['date']}"
    json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    json_path.write_text(json.dumps(document, indent=1, allow_nan=False) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path


# --- the command -----------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.tuning",
                                description=__doc__.split("\n")[0].split(": ", 1)[1])
    p.add_argument("--quick", action="store_true",
                   help=f"a {QUICK_SIZE}³ matmul and a 16-point space, 3 seeds (a smoke run)")
    p.add_argument("--db", metavar="PATH",
                   help="the tuning database of the exhaustive run (default "
                   "bench/results/tuning-<machine>.db); a rerun replays it")
    p.add_argument("--seeds", type=int, help="seeds per strategy (default 10, quick 3)")
    p.add_argument("--strategies", type=lambda s: [x for x in s.split(",") if x],
                   default=list(STRATEGIES),
                   help=f"comma-separated (default {','.join(STRATEGIES)})")
    p.add_argument("--within", type=float, default=WITHIN,
                   help=f"a point within this fraction of the best counts as found "
                   f"(default {WITHIN})")
    p.add_argument("--budget", type=int, default=BUDGET,
                   help=f"the trial count model-guided search should need (default {BUDGET})")
    p.add_argument("--repeat", type=int, default=5,
                   help="timed samples per schedule, their median is its cost (default 5)")
    p.add_argument("--min-sample", type=float, default=0.01,
                   help="seconds a sample runs at least (default 0.01)")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds before a candidate is killed (default 10)")
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    return p


def main(argv: list[str] | None = None, measurer=None) -> int:
    """`measurer`: a stand-in for the C measurer (tests)."""
    args = build_parser().parse_args(argv)
    unknown = sorted(set(args.strategies) - set(STRATEGIES))
    if unknown:
        raise SystemExit(f"bench.tuning: unknown strateg{'ies' if len(unknown) > 1 else 'y'} "
                         f"{', '.join(unknown)} (strategies: {', '.join(STRATEGIES)})")
    seeds = list(range(args.seeds if args.seeds is not None else (3 if args.quick else 10)))
    if not seeds:
        raise SystemExit("bench.tuning: --seeds must be at least 1")
    machine = report.machine_info()
    db_path = Path(args.db or Path(DEFAULT_OUT) / f"tuning-{machine['slug']}.db")
    n = QUICK_SIZE if args.quick else SIZE
    flops = 2 * n ** 3

    from tessera.compiler.tuning.report import ProgressBar

    own = measurer is None
    if own:
        from tessera.targets.c.tuning import CMeasurer

        measurer = CMeasurer(threads=1, repeat=args.repeat, min_sample_s=args.min_sample,
                             timeout_s=args.timeout)
    try:
        workload = matmul_workload(n)
        space = fixed_space(workload, measurer.resources(workload), args.quick)
        count = sum(1 for _ in space.points())
        log(space.describe())
        log(f"{count} valid points; measuring those {db_path} does not hold yet")
        bar = ProgressBar(measurer.unit)
        table = exhaustive(workload, space, db_path, measurer, progress=bar)
        bar.close()
    finally:
        if own:
            measurer.close()
    log(f"exhaustive: {table.measured} measured now, {count - table.measured} from the "
        f"database; best {flops / table.best / 1e9:.1f} GFLOP/s, {table.good(args.within)} "
        f"point(s) within {args.within:.0%}")

    def on_seed(name, seed, trials, reached):
        log(f"replay {name} seed {seed}: {_trials(trials)}" + ("" if reached else " (never)"))

    results = compare_strategies(table, workload, args.strategies, seeds, within=args.within,
                                 budget=args.budget, on_seed=on_seed)
    machine["load_average_end"] = report.load_average()
    settings = {"quick": args.quick, "size": n, "seeds": seeds, "within": args.within,
                "budget": args.budget, "batch": BATCH, "db": str(db_path),
                "repeat": args.repeat, "min_sample_s": args.min_sample,
                "timeout_s": args.timeout, "threads": 1, "target": measurer.target,
                "argv": sys.argv[1:] if argv is None else list(argv)}
    document = to_json(machine, settings, table, workload, flops, results)
    markdown = to_markdown(machine, settings, document, flops)
    json_path, md_path = write(args.out, machine, document, markdown)
    print(markdown, end="")
    log(f"wrote {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    from tessera.compiler.diagnostics import run_reporting_errors

    sys.exit(run_reporting_errors("bench", main))
