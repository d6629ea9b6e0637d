"""Tuning for the NPU: schedules measured in simulated cycles.

The search space of a matmul or convolution on the array is its mapping: the dataflow
(`os`, `ws`, `is`), double buffering and a convolution's form (im2col or direct), declared like the C target's spaces
(`compiler/tuning/space.py`); other ops have nothing to choose (the vector unit runs them
one way). `NpuMeasurer` lowers a workload's kernel with each candidate's mapping, runs it
on the simulator, and reports the overlapped total cycles: deterministic, so a search is
reproducible to the cycle and CI may pin its results. Each candidate's outputs are checked
against the kernel's naive loop nest on the C target, as the C measurer checks its own.

The target key is the configuration without its dataflow (the dataflow is what is tuned):
`npu; rows=16,cols=16,...`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.schedule import Schedule
from tessera.compiler.tuning.measure import Outcome, check_result
from tessera.compiler.tuning.space import Resources, SearchSpace
from tessera.lowering.workloads import KERNEL, Workload
from tessera.targets.npu.config import DATAFLOWS, NpuConfig


def target_key(config: NpuConfig) -> str:
    fields = {k: v for k, v in config.to_json().items() if k != "dataflow"}
    return "npu; " + ",".join(f"{k}={v}" for k, v in fields.items())


def npu_space(workload: Workload) -> SearchSpace:
    """Dataflow × double buffering (× the convolution's form) for ops on the array; an
    empty space otherwise."""
    nest = workload.nest
    conv = workload.key.startswith("linalg.conv_2d_nchw_fchw(")
    on_array = conv or workload.key.startswith("linalg.matmul(")
    space = SearchSpace(nest, "systolic" if on_array else "vector-unit")
    if on_array:
        space.knob("dataflow", DATAFLOWS, "which two GEMM dimensions the array holds")
        space.knob("double_buffer", (False, True), "moves of the next tile overlap compute")
        space.knob("conv", ("im2col", "direct") if conv else (None,),
                   "the convolution's reduction order: (c, kh, kw) or tap by tap")
        space.build = lambda x: Schedule(dataflow=x["dataflow"],
                                         double_buffer=x["double_buffer"], conv=x["conv"])
    else:
        space.knob("mapping", ("vector-unit",), "nothing to choose")
        space.constrain("nothing to tune", lambda x: False)
        space.build = lambda x: Schedule()
    return space


class NpuMeasurer:
    unit = "cycles"

    def __init__(self, *, config: str | NpuConfig = "gemmini", seed: int = 0,
                 mode: str = "overlapped", **_c_options):
        self.config = config if isinstance(config, NpuConfig) else NpuConfig.parse(config)
        self.seed, self.mode = seed, mode
        self.target = target_key(self.config)
        self._references: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}

    def resources(self, workload: Workload) -> Resources:
        return Resources()

    def space(self, workload: Workload) -> SearchSpace:
        return npu_space(workload)

    def default_schedule(self, workload: Workload) -> Schedule:
        return Schedule(dataflow=self.config.dataflow)

    def measure(self, workload: Workload, schedules: Sequence[Schedule]) -> Iterator[Outcome]:
        arrays, reference = self._reference(workload)
        for schedule in schedules:
            yield self._measure(workload, schedule, arrays, reference)

    def close(self) -> None:
        self._references.clear()

    # -- one candidate ----------------------------------------------------------------------

    def _measure(self, workload, schedule, arrays, reference) -> Outcome:
        from tessera.targets.npu.simulator import simulate

        try:
            program = self._program(workload, schedule)
        except TesseraError as e:
            return Outcome("compile-error", detail=str(e).strip())
        inputs = {b.name: a for b, a in zip(program.inputs, arrays)}
        try:
            result = simulate(program, inputs, mode=self.mode)
        except TesseraError as e:
            return Outcome("crash", detail=str(e).strip())
        outputs = [np.asarray(result.outputs[b.name]) for b in program.outputs]
        wrong = check_result(outputs, reference)
        if wrong:
            return Outcome("wrong", detail=wrong)
        return Outcome("ok", float(result.report.total_cycles))

    def _program(self, workload: Workload, schedule: Schedule):
        from tessera.compiler.frontend.mlir_reader import parse_mlir
        from tessera.compiler.pipelines import run_pipeline
        from tessera.compiler.registry import make_context
        from tessera.lowering.schedule import SCHEDULE_ATTR, schedule_to_attr
        from tessera.targets.npu.backend import programs

        ctx = make_context()
        module = parse_mlir(ctx, workload.kernel, "<kernel>")
        function = next(iter(module.ops))
        op = next(o for o in function.body.block.ops if o.name.startswith("linalg."))
        op.attributes[SCHEDULE_ATTR] = schedule_to_attr(schedule)
        config = ",".join(f"{k}={v}" for k, v in self.config.to_json().items())
        run_pipeline(f'linalg-to-npu{{config="{config}" tuning_db="none"}}', ctx, module)
        return programs(module)[KERNEL]

    def _reference(self, workload: Workload):
        """Seeded inputs (in parameter order) and the outputs of the kernel's naive loops,
        compiled for C."""
        if workload.key in self._references:
            return self._references[workload.key]
        import tempfile

        from tessera.compiler.agreement import random_inputs
        from tessera.targets.c.tuning import build, run

        built = build(workload.kernel, None)
        if built.error:
            raise TesseraError(f"tuning {workload.key}: the reference does not build: "
                               f"{built.error}")
        params = [p for p in built.params if not p["out"]]
        arrays = random_inputs([(tuple(p["shape"]), p["dtype"]) for p in params], self.seed)
        with tempfile.TemporaryDirectory(prefix="tessera-npu-tune-") as directory:
            path = str(Path(directory) / "inputs.npz")
            np.savez(path, **{p["name"]: a for p, a in zip(params, arrays)})
            done = run(built, path, directory, threads=1, repeat=0, min_sample_s=0.0,
                       timeout_s=600.0)
        if done.status != "ok":
            raise TesseraError(f"tuning {workload.key}: the reference run failed: "
                               f"{done.status} {done.detail}")
        self._references[workload.key] = (arrays, done.outputs)
        return self._references[workload.key]


# -- applying what tuning found ------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def _database(path: str):
    from tessera.compiler.tuning.database import TuningDatabase

    return TuningDatabase(path)


def tuned_schedule(workload: str, path: Path, config: NpuConfig) -> Schedule | None:
    """The mapping with the fewest cycles `path` holds for `workload` on this NPU."""
    from tessera.compiler.tuning.tuner import tool_version

    if not path.exists():
        raise TesseraError(f"tuning database {path} does not exist")
    best = _database(str(path.resolve())).best(workload, target_key(config), tool_version())
    return replace(best[0].schedule) if best else None
