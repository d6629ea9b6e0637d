"""Tuning NPU schedules on simulated cycles: deterministic, so the results are pinned."""

import numpy as np

import tessera
from tessera.compiler.tuning.api import program_workloads
from tessera.compiler.tuning.database import TuningDatabase
from tessera.targets.npu.config import NpuConfig
from tessera.targets.npu.tuning import NpuMeasurer, npu_space, target_key

NET = """\
def net(x: f32[64, 96], w1: f32[96, 48], w2: f32[48, 16]) -> f32[64, 16] {
  return relu(x @ w1) @ w2
}
"""


def test_the_space_of_an_op_on_the_array_is_its_mapping():
    matmul, _ = program_workloads(NET)
    space = npu_space(matmul)
    assert space.names == ["dataflow", "double_buffer", "conv"]
    assert len(list(space.points())) == 6  # a matmul has no convolution form to choose
    (relu,) = program_workloads("def f(x: f32[4, 4]) -> f32[4, 4] {\n  return relu(x)\n}\n")
    assert list(npu_space(relu).points()) == []  # the vector unit has nothing to choose


def test_tuning_finds_the_fewest_cycles_and_compilation_applies_them(tmp_path):
    db = tmp_path / "npu.db"
    results = tessera.tune(NET, target="npu", config="gemmini", strategy="grid", trials=20,
                           db=db)
    first, second = results
    assert [len(r.trials) for r in results] == [6, 3]  # 17 allotted, the space has 6
    assert (first.default_cost, first.best[1]) == (9420, 8034)  # simulated: exact
    assert (second.default_cost, second.best[1]) == (1936, 1702)
    assert first.best[0].dataflow == "os" and first.best[0].double_buffer
    assert all(o.status == "ok" for _, o in first.trials + second.trials)
    with TuningDatabase(db) as database:
        assert database.targets() == [target_key(NpuConfig())]

    args = tessera.compile(NET, target="interp").example_inputs("net")
    cycles = []
    for tuning_db in ("none", str(db)):
        program = tessera.compile(NET, target="npu", tuning_db=tuning_db)
        function = program.function("net")
        arrays, bindings = function.prepare(*args)
        call = program.compiled(function.syntax, bindings)
        np.testing.assert_allclose(call(*arrays)[0],
                                   tessera.compile(NET, target="interp").net(*args),
                                   rtol=1e-4, atol=1e-4)
        cycles.append(call.report.total_cycles)
    assert cycles == [13288, 11668]


def test_a_mapping_that_does_not_fit_is_a_compile_error(tmp_path):
    tiny = NpuConfig.parse("gemmini,sp_bytes=512,acc_bytes=256")
    measurer = NpuMeasurer(config=tiny)
    (matmul, *_) = program_workloads(NET)
    outcome = next(iter(measurer.measure(matmul, [measurer.default_schedule(matmul)])))
    assert outcome.status == "compile-error" and "does not fit" in outcome.detail
