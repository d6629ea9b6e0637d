"""`linalg-fuse-elementwise`: every example agrees with the reference on every target with
and without the pass; the hand-written cases of its FileCheck tests compute the same values
fused and unfused on the C target; and the passes over memory, the temporaries and the GPU
kernels it saves are counted.

The pass is inserted (or removed) at the end of `lower-to-linalg` for the duration of a test,
so these tests hold whether or not the named pipeline runs it by default.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import func, gpu, memref
from xdsl.dialects.builtin import IntegerType, ModuleOp
from xdsl.passes import PassPipeline

import tessera
from tessera.compiler import pipelines
from tessera.compiler.agreement import compare
from tessera.compiler.frontend.mlir_reader import parse_mlir
from tessera.compiler.registry import all_passes, make_context
from tessera.targets.c.runner import compile_module

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FILECHECK = ROOT / "tests" / "filecheck" / "lowering" / "linalg-fuse-elementwise"
FUSE = "linalg-fuse-elementwise"


def lower_to_linalg(fused: bool) -> str:
    """`lower-to-linalg` as it is, with the pass removed, then appended when `fused`."""
    steps = [s for s in pipelines.PIPELINES["lower-to-linalg"].split(",")
             if s.split("{")[0].strip() != FUSE]
    return ",".join([*steps, FUSE] if fused else steps)


@pytest.fixture
def with_fusion(monkeypatch):
    """Call with True or False to lower with or without the pass from then on."""

    def use(fused: bool) -> None:
        monkeypatch.setitem(pipelines.PIPELINES, "lower-to-linalg", lower_to_linalg(fused))

    return use


# -- every example, every target ------------------------------------------------------------

# (file, entry, bindings, target, backend options); loops only at tiny sizes.
RUNS = [
    ("mlp.tsr", "mlp", {}, "c", {}),
    ("lenet5.tsr", "lenet5", {}, "c", {}),
    ("resnet_block.tsr", "resnet_block", {"C": 5, "H": 7, "W": 11}, "c", {}),
    ("attention.tsr", "attention", {"T": 13, "D": 29}, "c", {}),
    ("lenet5_int8.tsr", "lenet5_int8", {}, "c", {}),
    ("mlp.tsr", "mlp", {"B": 3}, "cuda-emu", {}),
    ("lenet5.tsr", "lenet5", {}, "cuda-emu", {}),
    ("attention.tsr", "attention", {}, "cuda-emu", {}),
    ("lenet5_int8.tsr", "lenet5_int8", {}, "cuda-emu", {}),
    ("resnet_block.tsr", "resnet_block", {"C": 2, "H": 4, "W": 5}, "loops", {}),
    ("attention.tsr", "attention", {"T": 3, "D": 5}, "loops", {}),
    ("mlp.tsr", "mlp", {"B": 4}, "npu", {}),
    ("lenet5.tsr", "lenet5", {}, "npu", {"config": "gemmini,dataflow=ws"}),
    ("resnet_block.tsr", "resnet_block", {}, "npu", {}),
    ("attention.tsr", "attention", {}, "npu", {}),
    ("lenet5_int8.tsr", "lenet5_int8", {}, "npu", {"config": "gemmini,dtype=i8"}),
]


def _id(run) -> str:
    file, entry, bindings, target, options = run
    sizes = "-".join(f"{k}{v}" for k, v in bindings.items())
    return "-".join(p for p in (target, entry, sizes, options.get("config", "")) if p)


@pytest.mark.parametrize("fused", [False, True], ids=["plain", "fused"])
@pytest.mark.parametrize("run", RUNS, ids=[_id(r) for r in RUNS])
def test_examples_agree_with_the_reference(run, fused, with_fusion):
    file, entry, bindings, target, options = run
    with_fusion(fused)
    program = tessera.compile(EXAMPLES / file, target=target, bindings=bindings, **options)
    reference = tessera.compile(EXAMPLES / file, target="interp", bindings=bindings)
    fused_ops = str(program.lower(entry, "linalg", **bindings)).count("tessera.fused")
    assert (fused_ops > 0) == fused  # every one of these examples has something to fuse
    args = reference.example_inputs(entry, seed=4)
    got, want = program.function(entry)(*args), reference.function(entry)(*args)
    got, want = (got, want) if isinstance(got, tuple) else ((got,), (want,))
    for g, w in zip(got, want, strict=True):
        agreement = compare(g, w)
        assert agreement.ok, f"{_id(run)} fused={fused}: {agreement}"


# -- the FileCheck cases, run -----------------------------------------------------------------

# Unscheduled: the default schedule would vectorize the loop whose index `@index_window`'s
# producer reads, which `schedule` rejects (with or without fusion).
REST_OF_C = "bufferize,linalg-to-loops,lower-affine,canonicalize,cse"


def _random_arguments(function: func.FuncOp, rng: np.random.Generator) -> list[np.ndarray]:
    arrays = []
    for t in function.function_type.inputs.data:
        shape, element = tuple(t.get_shape()), t.get_element_type()
        if isinstance(element, IntegerType):
            dtype = {8: np.int8, 32: np.int32}[element.width.data]
            arrays.append(rng.integers(-50, 50, shape).astype(dtype))
        else:
            arrays.append(rng.standard_normal(shape).astype(np.float32))
    return arrays


def _compiled(text: str, name: str, fused: bool, tmp_path: Path):
    """The functions of an `.mlir` file on tensors, and their C build after `REST_OF_C`
    (with the pass first when `fused`)."""
    ctx = make_context()
    module = parse_mlir(ctx, text, name)
    functions = {f.sym_name.data: f.clone() for f in module.ops if isinstance(f, func.FuncOp)}
    spec = f"{FUSE},{REST_OF_C}" if fused else REST_OF_C
    PassPipeline.parse_spec(all_passes(), spec).apply(ctx, module)
    return functions, compile_module(module, cache_dir=tmp_path)


@pytest.mark.parametrize("case", ["chain.mlir", "softmax.mlir", "recompute.mlir",
                                  "epilogues.mlir", "legality.mlir"])
def test_filecheck_cases_compute_the_same_fused_and_unfused(case, tmp_path):
    """The before/after pairs of the FileCheck tests are pinned as text there; here both
    sides run on the C target (transposed, broadcast and `linalg.index` reads included)."""
    text = (FILECHECK / case).read_text()
    functions, plain = _compiled(text, case, False, tmp_path)
    _, fused = _compiled(text, case, True, tmp_path)
    rng = np.random.default_rng(0)
    for name, function in functions.items():
        args = _random_arguments(function, rng)
        want, got = plain[name](*args), fused[name](*args)
        want, got = (want, got) if isinstance(want, tuple) else ((want,), (got,))
        for g, w in zip(got, want, strict=True):
            assert compare(g, w).ok, f"{case} @{name}: {compare(g, w)}"


def test_index_producer_fused_through_a_transposed_map_counts_along_the_right_loop(tmp_path):
    text = (FILECHECK / "legality.mlir").read_text()
    _, fused = _compiled(text, "legality.mlir", True, tmp_path)
    y = np.zeros((4, 8), np.int32)
    # The producer writes element (d1, d0) of its loops (d0, d1) with d1: element [i, j] is
    # i, the row, which is the fused op's loop 0.
    np.testing.assert_array_equal(fused["index_transposed"](y),
                                  np.repeat(np.arange(4, dtype=np.int32)[:, None], 8, axis=1))


# -- what fusion saves ------------------------------------------------------------------------

SOFTMAX = "def softmax_rows(x: f32[8, 64]) -> f32[8, 64] {\n  return softmax(x, axis=1)\n}\n"


def passes(module: ModuleOp) -> int:
    """Loop nests over data at the linalg level: every linalg op but the fills (which the
    contractions and reductions after them absorb on the GPU and the NPU)."""
    return sum(1 for o in module.walk()
               if o.name.startswith("linalg.") and o.name not in ("linalg.fill", "linalg.yield",
                                                                  "linalg.index"))


def temporaries(module: ModuleOp) -> list[tuple[int, ...]]:
    """The shapes of the buffers a bufferized function allocates for itself."""
    return [tuple(o.memref.type.get_shape()) for o in module.walk()
            if isinstance(o, memref.AllocOp)]


def kernels(module: ModuleOp) -> tuple[int, int]:
    """(GPU kernels launched, block reductions among them: those with barriers)."""
    launches = [o for o in module.walk() if isinstance(o, gpu.LaunchOp)]
    return len(launches), sum(any(isinstance(i, gpu.BarrierOp) for i in o.walk())
                              for o in launches)


def counts(source, entry: str) -> tuple[int, list, tuple[int, int]]:
    program = tessera.compile(source)
    return (passes(program.lower(entry, "linalg")),
            temporaries(program.lower(entry, "buffers")),
            kernels(program.lower(entry, "lower-to-buffers,linalg-to-gpu")))


def test_softmax_is_three_passes_without_a_temporary(with_fusion):
    with_fusion(False)
    plain_passes, plain_buffers, plain_kernels = counts(SOFTMAX, "softmax_rows")
    with_fusion(True)
    fused_passes, fused_buffers, fused_kernels = counts(SOFTMAX, "softmax_rows")
    assert (plain_passes, fused_passes) == (4, 3)
    # The exponentials' 8x64 buffer is gone; the row maxima and sums (8 each) remain.
    assert sorted(plain_buffers) == [(8,), (8,), (8, 64)]
    assert sorted(fused_buffers) == [(8,), (8,)]
    # On the GPU the max and the fused exp-sum are still block reductions (64 elements a
    # row), and the division one elementwise kernel.
    assert plain_kernels == (4, 2)
    assert fused_kernels == (3, 2)


# Per program: (passes, temporaries, GPU kernels) saved by fusion.
SAVED = {
    # bias+ReLU become one op (the matmul's epilogue); exp(x - max) is inlined into the sum
    # and the division.
    "mlp": (2, 2, 1),
    # per convolution: the bias broadcast and the bias add into the ReLU (2 x 2 ops and
    # buffers: the ReLU stays the convolution's epilogue, not fused into the pooling); per
    # dense layer: the bias add into its ReLU. The GPU fused the dense layers' epilogues
    # already; the convolutions' bias add and ReLU become theirs.
    "lenet5": (6, 6, 4),
    # exp(s - max) into the sum and the division; the scale by 1/sqrt(d) stays the first
    # matmul's epilogue.
    "attention": (1, 1, 1),
}


@pytest.mark.parametrize("name", sorted(SAVED))
def test_what_fusion_saves(name, with_fusion):
    source = EXAMPLES / f"{name}.tsr"
    with_fusion(False)
    plain_passes, plain_buffers, (plain_kernels, _) = counts(source, name)
    with_fusion(True)
    fused_passes, fused_buffers, (fused_kernels, _) = counts(source, name)
    saved = (plain_passes - fused_passes, len(plain_buffers) - len(fused_buffers),
             plain_kernels - fused_kernels)
    assert saved == SAVED[name]
    # What is left is smaller, element for element, than what was there.
    assert sum(map(math.prod, fused_buffers)) < sum(map(math.prod, plain_buffers))
