"""Random schedules, each applied to every op of a program, agree with the reference.

Each case lowers a program to linalg on memrefs, gives every schedulable op its own seeded
random schedule (`random_schedule`: non-dividing tile sizes, any legal order, packs,
vectors, unroll-and-jam, a parallel loop, epilogue fusion), compiles the C and compares it
with the graph interpreter. A few seeds per case also build with -Wall -Wextra -Werror and
run under AddressSanitizer and UBSan.
"""

from __future__ import annotations

import random
import zlib

import pytest

import tessera
from tessera.compiler.agreement import compare
from tessera.compiler.pipelines import run_pipeline
from tessera.compiler.registry import make_context
from tessera.compiler.schedule import random_schedule
from tessera.lowering.schedule import (
    SCHEDULE_ATTR,
    epilogue_chain,
    loop_nest,
    schedulable,
    schedule_to_attr,
)
from tessera.targets.c.runner import compile_module

PROGRAMS = {
    "matmul_ragged": "def f(a: f32[13, 7], b: f32[7, 29]) -> f32[13, 29] { return a @ b }",
    "matmul_bias_relu": "def f(x: f32[10, 23], w: f32[23, 19], b: f32[19]) -> f32[10, 19] {\n"
                        "  return relu(x @ w + b)\n}",
    "conv2d": "def f(x: f32[1, 3, 9, 11], w: f32[4, 3, 3, 3], b: f32[4]) -> f32[1, 4, 9, 11] {\n"
              "  return relu(conv2d(x, w, b, padding=1))\n}",
    "conv2d_strided": "def f(x: f32[2, 2, 9, 9], w: f32[3, 2, 3, 3]) -> f32[2, 3, 4, 4] {\n"
                      "  return conv2d(x, w, stride=2)\n}",
    "elementwise": "def f(x: f32[5, 37], y: f32[37]) -> f32[5, 37] {\n"
                   "  return exp(x * y) - maximum(x, 0.25) / (y + 2.0)\n}",
    "softmax_rows": "def f(x: f32[6, 17]) -> f32[6, 17] { return softmax(x, axis=1) }",
    "reduce_transpose": "def f(x: f32[4, 9, 6]) -> f32[6, 4] {\n"
                        "  return transpose(sum(x, axis=1), perm=[1, 0])\n}",
    "bmm_int": "def f(a: i32[2, 5, 3], b: i32[2, 3, 11]) -> i32[2, 5, 11] { return a @ b }",
}
SEEDS = range(8)
SANITIZED_SEEDS = range(3)


def scheduled_module(source: str, seed: int):
    """The program at the C level, every op with its own random schedule."""
    program = tessera.compile(source, target="c")
    module = program.lower("f", "buffers")
    rng = random.Random(seed)
    from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation

    fused = set()
    for op in list(module.walk()):
        if not isinstance(op, LinalgStructuredOperation) or op in fused or not schedulable(op):
            continue
        chain = epilogue_chain(op, 4, fused)
        schedule = random_schedule(loop_nest(op), rng, fusable=len(chain))
        fused.update(chain[:schedule.fuse])
        op.attributes[SCHEDULE_ATTR] = schedule_to_attr(schedule)
    run_pipeline("schedule{heuristic=false},linalg-to-loops,lower-affine,canonicalize,cse",
                 make_context(), module)
    return program, module


def reference(source: str, inputs):
    return tessera.compile(source, target="interp").f(*inputs)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_random_schedule_agrees(name, seed):
    source = PROGRAMS[name]
    program, module = scheduled_module(source, zlib.crc32(name.encode()) + seed)
    inputs = program.example_inputs("f", seed=seed)
    got = compile_module(module)["f"](*inputs)
    agreement = compare(got, reference(source, inputs))
    assert agreement.ok, f"{name} seed {seed}: {agreement}\n{module}"


@pytest.mark.parametrize("seed", SANITIZED_SEEDS)
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_random_schedule_is_clean_under_sanitizers(name, seed):
    from tessera.targets.c import sanitize

    if not sanitize.sanitizers_available():
        pytest.skip("the C compiler has no AddressSanitizer runtime")
    source = PROGRAMS[name]
    program, module = scheduled_module(source, zlib.crc32(name.encode()) + seed)
    inputs = program.example_inputs("f", seed=seed)
    got = sanitize.run_sanitized(module, "f", inputs)
    agreement = compare(got if len(got) > 1 else got[0], reference(source, inputs))
    assert agreement.ok, f"{name} seed {seed}: {agreement}"
