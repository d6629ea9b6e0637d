"""Schedule records: serialisation, validation, the default heuristic, transform replay."""

from __future__ import annotations

import random

import pytest

import tessera
from tessera.targets.c.default_schedule import default_schedule
from tessera.targets.c.machine import Machine
from tessera.compiler.pipelines import run_pipeline
from tessera.compiler.registry import make_context
from tessera.compiler.frontend.mlir_reader import parse_mlir
from tessera.compiler.schedule import (
    LoopNest,
    Schedule,
    ScheduleError,
    Workload,
    random_schedule,
    transform_script,
)
from tessera.lowering.schedule import loop_nest, schedule_from_attr, schedule_to_attr

MATMUL = LoopNest("linalg.matmul", (64, 48, 32), frozenset({2}), ((0, 2), (2, 1)), (0, 1),
                  frozenset({0, 1, 2}))
BLIS = Schedule(tiles=((32, 48, 16), (4, 16, 16)), order=(1, 2, 0, 4, 3, 5, 8, 6, 7),
                pack=((1, 2), (0, 3)), vector=8, unroll=((6, 4), (7, 2)), parallel=0, fuse=1)


def test_json_round_trip():
    assert Schedule.from_json(BLIS.to_json()) == BLIS
    assert Schedule.from_json(BLIS.dumps()) == BLIS
    assert Schedule().to_json() == {}


def test_option_text_round_trip():
    text = BLIS.option_text()
    assert text == ("tiles=32,48,16,4,16,16 order=1,2,0,4,3,5,8,6,7 pack=1,2,0,3 vector=8 "
                    "unroll=6,4,7,2 parallel=0 fuse=1")
    from tessera.lowering.schedule import SchedulePass

    (parsed,) = tessera.compiler.pipelines.PassPipeline.parse_spec(
        {"schedule": lambda: SchedulePass}, f"schedule{{{text}}}").passes
    assert Schedule.from_options(3, parsed.tiles, parsed.order, parsed.pack, parsed.vector,
                                 parsed.unroll, parsed.parallel, parsed.fuse) == BLIS


def test_attribute_round_trip():
    assert schedule_from_attr(None, schedule_to_attr(BLIS)) == BLIS


@pytest.mark.parametrize("data, message", [
    ({"tiles": [[1, 2]], "bogus": 1}, "unknown field(s) bogus"),
    ({"vector": "8"}, "vector: expected an integer"),
    ({"pack": [[1, 2, 3]]}, "expected [a, b] pairs"),
    ("[1, 2", "not JSON"),
])
def test_bad_json_is_a_schedule_error(data, message):
    with pytest.raises(ScheduleError, match=message.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)")):
        Schedule.from_json(data)


@pytest.mark.parametrize("schedule, step", [
    (Schedule(tiles=((0, 4, 4),)), "tile"),
    (Schedule(order=(0, 0, 1)), "interchange"),
    (Schedule(tiles=((4, 4, 4),), order=(3, 0, 1, 2, 4, 5)), "interchange"),
    (Schedule(pack=((3, 0),)), "pack"),
    (Schedule(order=(0, 2, 1), vector=8, pack=((0, 3),)), "pack"),
    (Schedule(tiles=((4, 4, 4),), unroll=((0, 2),), pack=((0, 3),)), "pack"),
    (Schedule(vector=8), "vectorize"),
    (Schedule(unroll=((0, 0),)), "unroll"),
    (Schedule(parallel=2), "parallelize"),
    (Schedule(fuse=-1), "fuse"),
])
def test_illegal_schedules_name_op_and_step(schedule, step):
    with pytest.raises(ScheduleError, match=rf"schedule of 'linalg.matmul': {step}:"):
        schedule.validate(MATMUL)


def test_random_schedules_are_legal_and_reproducible():
    for seed in range(200):
        schedule = random_schedule(MATMUL, random.Random(seed))
        schedule.validate(MATMUL)
        assert schedule == random_schedule(MATMUL, random.Random(seed))


def test_default_matmul_schedule_is_blis_shaped():
    avx2 = Machine(vector_bytes=32, vector_registers=16, l1_bytes=32 << 10,
                   l2_bytes=1 << 20, l3_bytes=32 << 20, cores=2)
    nest = LoopNest("linalg.matmul", (1024, 1024, 1024), frozenset({2}), ((0, 2), (2, 1)),
                    (0, 1), frozenset({0, 1, 2}))
    schedule = default_schedule(nest, machine=avx2)
    schedule.validate(nest)
    assert schedule.vector == 8
    assert schedule.tiles[1][:2] == (6, 16)  # a 6 x 16 register tile: 12 accumulators
    assert schedule.pack == ((1, 2), (0, 3))  # B per (j, k) panel, A per (i, k) block
    assert schedule.order == (1, 2, 0, 4, 3, 5, 8, 6, 7)
    assert schedule.parallel is not None
    one_core = default_schedule(nest, machine=Machine(vector_bytes=32, cores=1))
    assert one_core.parallel is None


def test_default_schedule_of_small_or_reducing_ops():
    rows = LoopNest("linalg.generic", (8, 10), frozenset({1}), ((0, 1),), (0,), frozenset())
    assert default_schedule(rows) == Schedule()  # a row reduction: nothing to vectorize
    tiny = LoopNest("linalg.generic", (3,), frozenset(), ((0,),), (0,), frozenset({0}))
    assert default_schedule(tiny, fusable=2).fuse == 2


PAYLOAD = """
func.func @two(%a: memref<9x5xf32>, %b: memref<5x13xf32>, %c: memref<9x13xf32>,
               %d: memref<13x6xf32>, %e: memref<9x6xf32>) {
  linalg.matmul ins(%a, %b : memref<9x5xf32>, memref<5x13xf32>) outs(%c : memref<9x13xf32>)
  linalg.matmul ins(%c, %d : memref<9x13xf32>, memref<13x6xf32>) outs(%e : memref<9x6xf32>)
  func.return
}
"""


def lowered(spec: str, text: str = PAYLOAD) -> str:
    ctx = make_context()
    module = parse_mlir(ctx, text, "payload.mlir")
    run_pipeline(spec, ctx, module)
    return str(module)


@pytest.mark.parametrize("seed", range(12))
def test_transform_script_replays_the_record(seed, tmp_path):
    """The printed script, replayed, gives the IR the schedule pass gives for the record;
    the operand-type filter picks one of two matmuls."""
    ctx = make_context()
    module = parse_mlir(ctx, PAYLOAD, "payload.mlir")
    first = next(op for op in module.walk() if op.name == "linalg.matmul")
    schedule = random_schedule(loop_nest(first), random.Random(seed))
    types = tuple(str(t) for t in first.operand_types)
    script = tmp_path / "schedule.mlir"
    script.write_text(transform_script([(Workload("linalg.matmul", types), schedule)]))
    replayed = lowered(f'transform-interpreter{{script="{script}"}}')
    # The record, applied through the attribute the steps write, to the first matmul only.
    first.attributes["tessera.schedule"] = schedule_to_attr(schedule)
    run_pipeline("schedule", ctx, module)
    assert replayed == str(module)


def test_script_file_errors_are_diagnostics(tmp_path):
    with pytest.raises(tessera.TesseraError, match="cannot read"):
        lowered(f'transform-interpreter{{script="{tmp_path / "missing.mlir"}"}}')
    with pytest.raises(tessera.TesseraError, match="no transform.named_sequence"):
        lowered("transform-interpreter")
