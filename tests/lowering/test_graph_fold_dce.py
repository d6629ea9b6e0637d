"""graph-fold and graph-dce: folding computes exactly what the reference interpreter does,
folded constants run on every target, and no example changes its results."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    IntegerType,
    ModuleOp,
    StringAttr,
    TensorType,
    f32,
    f64,
    i32,
)
from xdsl.ir import Block, Region, SSAValue

import tessera
from tessera.compiler import registry
from tessera.compiler.agreement import compare
from tessera.compiler.api import default_entry
from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.pipelines import run_pipeline
from tessera.dialects import graph
from tessera.dialects.graph_interp import run_graph
from tessera.dialects.interp_arrays import numpy_dtype
from tessera.lowering.graph_fold import EVALUATION_BUDGET, dense, exact_multiple
from tessera.targets import backend

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
I8 = IntegerType(8)
ELEMENT_TYPES = {"f32": f32, "f64": f64, "i32": i32, "i8": I8}


def run_passes(module: ModuleOp, spec: str) -> ModuleOp:
    run_pipeline(spec, registry.make_context(), module)
    module.verify()
    return module


def same_bits(got: np.ndarray, want: np.ndarray) -> bool:
    """Equal shape, dtype and bits (so NaNs must match NaNs, payload and sign included)."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape or got.dtype != want.dtype:
        return False
    unsigned = f"u{got.dtype.itemsize}"
    return bool(np.array_equal(got.view(unsigned), want.view(unsigned)))


def constant(values: np.ndarray, element_type, splat: bool = False) -> graph.ConstantOp:
    """A constant of `values`; a splat one stored as its first element, as folds make them."""
    return graph.ConstantOp(dense(TensorType(element_type, list(values.shape)), values, splat))


def function(name: str, inputs, build) -> func.FuncOp:
    """A function whose body `build(block)` fills, returning the values it returns."""
    block = Block(arg_types=inputs)
    results = build(block)
    block.add_op(func.ReturnOp(*results))
    return func.FuncOp(name, (inputs, [r.type for r in results]), Region(block))


# --------------------------------------------------------------------------------------
# Random graphs of ops over constants: folded bit for bit as the interpreter computes
# --------------------------------------------------------------------------------------

SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, np.nan, -np.nan, np.inf, -np.inf, 3e38, -3e38,
                  1e-40, 1e-300, 88.0, -100.0]
SPECIAL_INTS = {np.dtype(np.int8): [0, 1, -1, 127, -128], np.dtype(np.int32): [0, 1, -1,
                2**31 - 1, -2**31, 65536]}


class ConstantGraph:
    """A seeded chain of graph ops over constants: each step applies an op to the latest
    value and, where it takes a second operand, a fresh constant (splat or not, sometimes
    with special values) of a shape that fits."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.ops: list = []
        self.element_type = ELEMENT_TYPES[str(self.rng.choice(list(ELEMENT_TYPES)))]

    # -- constants --

    def values(self, shape, element_type) -> np.ndarray:
        dtype = numpy_dtype(element_type)
        if np.issubdtype(dtype, np.floating):
            data = self.rng.standard_normal(shape) * self.rng.choice([1.0, 4.0, 100.0])
            special = self.rng.random(shape) < 0.15
            picks = self.rng.choice(SPECIAL_FLOATS, size=shape)
            return np.where(special, picks, data).astype(dtype)
        data = self.rng.integers(-9, 10, size=shape)
        special = self.rng.random(shape) < 0.15
        picks = self.rng.choice(SPECIAL_INTS[dtype], size=shape)
        return np.where(special, picks, data).astype(dtype)

    def constant(self, shape, element_type=None) -> SSAValue:
        element_type = element_type or self.element_type
        splat = self.rng.random() < 0.6
        values = self.values(tuple(shape), element_type)
        if splat:
            values = np.full(values.shape, values.reshape(-1)[0], dtype=values.dtype)
        op = constant(values, element_type, splat=splat)
        self.ops.append(op)
        return op.result

    def extent(self, high: int = 5) -> int:
        """Mostly small; now and then long enough that a reduction's summation order
        matters (a sum of 33 equal f64 values is not 33 times the value)."""
        return int(self.rng.choice([7, 33, 64])) if self.rng.random() < 0.1 else int(
            self.rng.integers(1, high))

    def shape(self) -> tuple[int, ...]:
        return tuple(self.extent() for _ in range(int(self.rng.integers(0, 5))))

    def add(self, op) -> SSAValue:
        self.ops.append(op)
        return op.results[0]

    # -- steps --

    def broadcastable(self, shape) -> tuple[int, ...]:
        """A shape that broadcasts with `shape`: a suffix of it, some extents set to 1."""
        keep = int(self.rng.integers(0, len(shape) + 1))
        suffix = shape[len(shape) - keep:]
        return tuple(1 if self.rng.random() < 0.3 else d for d in suffix)

    def step(self, x: SSAValue) -> SSAValue:
        shape, t = graph.shape_of(x.type), x.type.element_type
        is_float = graph.is_float(t)
        rank = len(shape)
        kinds = ["binary", "binary", "binary", "unary", "sum", "max", "transpose", "reshape",
                 "broadcast"]
        if is_float:
            kinds += ["float_unary", "float_unary", "mean", "softmax"]
        else:
            kinds += ["widen", "requantize"]
        if rank >= 1:
            kinds += ["concat", "matmul_rhs"]
        if rank >= 2:
            kinds += ["matmul"]
        if rank == 4:
            kinds += ["conv2d", "pool", "pool"]
        kind = str(self.rng.choice(kinds))
        pick = lambda options: options[int(self.rng.integers(len(options)))]  # noqa: E731
        if kind == "binary":
            other = self.constant(self.broadcastable(shape), t)
            cls = pick([graph.AddOp, graph.SubOp, graph.MulOp, graph.DivOp, graph.MaximumOp,
                        graph.MinimumOp])
            lhs, rhs = (x, other) if self.rng.random() < 0.5 else (other, x)
            return self.add(cls(lhs, rhs))
        if kind == "unary":
            return self.add(pick([graph.NegOp, graph.ReluOp])(x))
        if kind == "float_unary":
            return self.add(pick([graph.SigmoidOp, graph.TanhOp, graph.ExpOp, graph.LogOp,
                                  graph.SqrtOp])(x))
        if kind in ("sum", "max", "mean"):
            axes = [a for a in range(rank) if self.rng.random() < 0.6]
            cls = {"sum": graph.SumOp, "max": graph.MaxOp, "mean": graph.MeanOp}[kind]
            return self.add(cls(x, axes, bool(self.rng.random() < 0.5)))
        if kind == "softmax":
            if rank == 0:
                x = self.add(graph.ReshapeOp(x, [1]))
            return self.add(graph.SoftmaxOp(x, int(self.rng.integers(0, max(rank, 1)))))
        if kind == "widen":
            return self.add(graph.WidenOp(x))
        if kind == "requantize":
            return self.add(graph.RequantizeOp(x, float(self.rng.choice([0.01, 0.5, 3.0]))))
        if kind == "transpose":
            return self.add(graph.TransposeOp(x, [int(p) for p in self.rng.permutation(rank)]))
        if kind == "reshape":
            count = int(np.prod(shape, dtype=np.int64))
            target = [count] if self.rng.random() < 0.5 or count == 1 else [1, count, 1]
            return self.add(graph.ReshapeOp(x, target))
        if kind == "broadcast":
            lead = tuple(self.extent(4) for _ in range(int(self.rng.integers(1, 3))))
            return self.add(graph.BroadcastToOp(x, (*lead, *shape)))
        if kind == "concat":
            axis = int(self.rng.integers(0, rank))
            other_shape = list(shape)
            other_shape[axis] = self.extent(4)
            return self.add(graph.ConcatOp([x, self.constant(other_shape, t)], axis))
        if kind == "matmul":
            rhs = self.constant((shape[-1], self.extent()), t)
            return self.add(graph.MatmulOp(x, rhs))
        if kind == "matmul_rhs":
            lhs = self.constant((self.extent(), shape[0]), t)
            return self.add(graph.MatmulOp(lhs, x if rank >= 2 else
                                           self.add(graph.ReshapeOp(x, [shape[0], 1]))))
        if kind == "conv2d":
            kh, kw = (int(self.rng.integers(1, d + 1)) for d in shape[2:])
            weight = self.constant((int(self.rng.integers(1, 4)), shape[1], kh, kw), t)
            return self.add(graph.Conv2dOp(x, weight, [1, 1], [0, 0], [1, 1]))
        k = min(shape[2], shape[3], 2)
        cls = graph.MaxPool2dOp if self.rng.random() < 0.5 else graph.AvgPool2dOp
        return self.add(cls(x, [k, k], [1, 1], [k // 2, k // 2]))

    def module(self, steps: int) -> ModuleOp:
        x = self.constant(self.shape())
        results = [x]
        for _ in range(steps):
            before = len(self.ops)
            try:
                y = self.step(x)
            except graph.ShapeError:
                y = None
            # Results stay within max_elements, so that every op that can fold does.
            if y is None or graph.shape_of(y.type) and np.prod(graph.shape_of(y.type)) > 4096:
                del self.ops[before:]
                continue
            x = y
            if self.rng.random() < 0.3:
                results.append(x)
        if results[-1] is not x:
            results.append(x)
        block = Block()
        block.add_ops([*self.ops, func.ReturnOp(*results)])
        fn = func.FuncOp("f", ([], [r.type for r in results]), Region(block))
        module = ModuleOp([fn])
        module.verify()
        return module


def run_reference(module: ModuleOp):
    """(results, outcome): outcome is "clean", "warns" or "traps" (results then None)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return run_graph(module, "f", []), "clean"
    except RuntimeWarning:
        pass
    except TesseraError:
        return None, "traps"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run_graph(module, "f", []), "warns"


@pytest.mark.parametrize("first_seed", range(0, 400, 50))
def test_random_constant_graphs_fold_bit_for_bit(first_seed):
    outcomes = {"clean": 0, "warns": 0, "traps": 0}
    for seed in range(first_seed, first_seed + 50):
        original = ConstantGraph(seed).module(steps=8)
        folded = run_passes(original.clone(), "graph-fold")
        want, outcome = run_reference(original)
        outcomes[outcome] += 1
        body = list(folded.ops)[0].body.block.ops
        left = [op for op in body if not isinstance(op, (graph.ConstantOp, func.ReturnOp))]
        if outcome == "clean":
            # Nothing traps or warns and every result is small: everything folds.
            assert not left, f"seed {seed}: left unfolded: {[op.name for op in left]}"
        if outcome == "traps":
            # The op that traps stays, so the folded program traps too.
            assert left, f"seed {seed}: the trapping op was folded"
            with pytest.raises(TesseraError), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run_graph(folded, "f", [])
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = run_graph(folded, "f", [])
        for index, (g, w) in enumerate(zip(got, want)):
            assert same_bits(g, w), f"seed {seed}, result {index}:\n{g!r}\n!=\n{w!r}"
    # Mostly programs that fold completely (over the 400 seeds, about 2% trap on an integer
    # division by zero and 1% warn, which the branches above check).
    assert outcomes["clean"] >= 40, outcomes


def test_exact_multiple_refuses_inexact_partial_sums():
    assert exact_multiple(0.75, 1 << 32, 53) == 0.75 * 2**32
    assert exact_multiple(1 / 3, 3, 53) is None  # 1/3 has a 53-bit significand
    assert exact_multiple(-0.0, 4, 53) is None  # the sign depends on the summation
    assert exact_multiple(0.0, 4, 53) == 0.0
    assert exact_multiple(float("nan"), 2, 53) is None
    assert exact_multiple(1.5, (1 << 23) - 1, 24) is None  # 3 * (2^23 - 1) needs 25 bits
    assert exact_multiple(1.5, (1 << 22), 24) == 1.5 * 2**22


def test_splats_fold_without_evaluation():
    """Splat folds cost the same whatever the shape: a 2^40-element broadcast and its sum
    would not fit the evaluation budget (nor memory)."""
    side = 1 << 20

    def build(block):
        half = constant(np.array(0.5, np.float32), f32)
        big = graph.BroadcastToOp(half.result, [side, side])
        total = graph.SumOp(big.result, None, False)
        doubled = graph.AddOp(big.result, big.result)
        block.add_ops([half, big, total, doubled])
        return [total.result, doubled.result]

    module = run_passes(ModuleOp([function("f", [], build)]), "graph-fold")
    assert side * side > EVALUATION_BUDGET
    ops = list(list(module.ops)[0].body.block.ops)
    assert [op.name for op in ops] == ["graph.constant", "graph.constant", "func.return"]
    total, doubled = (op.value for op in ops[:2])
    assert total.get_values() == (float(2**39),)
    assert len(doubled.data.data) == 4 and doubled.get_values() == (1.0,)


def _reduce(cls, axes, keepdims=False):
    return lambda x: cls(x, axes, keepdims)


def _matmul_by(value, shape, element_type):
    def build(x):
        rhs = constant(np.full(shape, value, numpy_dtype(element_type)), element_type, True)
        return [rhs, graph.MatmulOp(x, rhs.result)]
    return build


# (name, splat value, its shape and element type, the op(s) applied to it): where the
# summation order, the rounding of a product or wrap-around decides the bits.
SPLAT_CASES = [
    ("matmul-inexact-product", 0.1, (4, 33), f32, _matmul_by(0.3, (33, 5), f32)),
    ("matmul-exact", 0.5, (3, 1000), f32, _matmul_by(3.0, (1000, 2), f32)),
    # An exact product whose multiples need more than f32's 24 bits: the accumulation rounds.
    ("matmul-f32-accumulation", 1 + 2**-20, (2, 1000), f32, _matmul_by(1.0, (1000, 2), f32)),
    ("matmul-f64-inexact", 0.1, (2, 64), f64, _matmul_by(0.3, (64, 2), f64)),
    ("matmul-i8-wraps", 127, (2, 1000), I8, _matmul_by(-127, (1000, 3), I8)),
    ("matmul-i32-wraps", 2**20 + 3, (2, 300), i32, _matmul_by(2**12 + 1, (300, 2), i32)),
    ("sum-f64-inexact", 0.1, (1000,), f64, _reduce(graph.SumOp, [0])),
    ("sum-f64-exact", 0.5, (1000, 3), f64, _reduce(graph.SumOp, [0])),
    ("sum-f32", 0.1, (33, 64), f32, _reduce(graph.SumOp, [0, 1], True)),
    ("sum-negative-zero", -0.0, (1000,), f32, _reduce(graph.SumOp, [0])),
    ("sum-i8-wraps", 100, (1000,), I8, _reduce(graph.SumOp, [0])),
    ("mean-f64-inexact", 0.1, (7, 1000), f64, _reduce(graph.MeanOp, [1])),
    ("mean-f32-huge", 3e38, (33,), f32, _reduce(graph.MeanOp, [0])),
    ("max-nan", np.nan, (5, 6), f32, _reduce(graph.MaxOp, [1])),
    ("softmax-f32", 0.3, (3, 7), f32, lambda x: graph.SoftmaxOp(x, 1)),
    ("softmax-f64", -2.0, (1000, 3), f64, lambda x: graph.SoftmaxOp(x, 0)),
    ("maxpool-padded", -5.0, (1, 2, 5, 5), f32,
     lambda x: graph.MaxPool2dOp(x, [3, 3], [2, 2], [1, 1])),
]


@pytest.mark.parametrize("case", SPLAT_CASES, ids=[c[0] for c in SPLAT_CASES])
def test_splat_rules_agree_with_evaluation(case):
    """The splat rules give the interpreter's bits where the order of a summation, the
    rounding of a product or wrap-around could make a shortcut wrong (or leave the op to
    evaluation, which computes the same)."""
    _, value, shape, element_type, apply = case
    dtype = numpy_dtype(element_type)

    def build(block):
        x = constant(np.full(shape, value, dtype), element_type, splat=True)
        ops = apply(x.result)
        ops = ops if isinstance(ops, list) else [ops]
        block.add_ops([x, *ops])
        return [ops[-1].results[0]]

    original = ModuleOp([function("f", [], build)])
    folded = run_passes(original.clone(), "graph-fold")
    ops = list(list(folded.ops)[0].body.block.ops)
    assert [op.name for op in ops] == ["graph.constant", "func.return"]
    (want,) = run_graph(original, "f", [])
    assert same_bits(run_graph(folded, "f", [])[0], want), (run_graph(folded, "f", []), want)


@pytest.mark.parametrize("element_type", [f32, f64], ids=["f32", "f64"])
@pytest.mark.parametrize("size", [64, 1000])
def test_two_nans_fold_as_the_interpreter_computes_them(element_type, size):
    """Which NaN `nan + (-nan)` returns depends on NumPy's loop (SIMD or scalar, so on the
    size and on broadcasting): such a sum is evaluated on the real operands, never on
    one-element representatives, and may not even be a splat."""
    dtype = numpy_dtype(element_type)
    nan, negative_nan = np.asarray(np.nan, dtype), np.asarray(-np.nan, dtype)

    def build(block):
        a = constant(np.full(size, nan), element_type, splat=True)
        b = constant(negative_nan, element_type)
        c = constant(np.full(size, negative_nan), element_type, splat=True)
        ops = [a, b, c, graph.AddOp(a.result, b.result), graph.AddOp(a.result, c.result)]
        block.add_ops(ops)
        return [ops[3].result, ops[4].result]

    original = ModuleOp([function("f", [], build)])
    folded = run_passes(original.clone(), "graph-fold")
    assert {op.name for op in folded.walk()} == {"builtin.module", "func.func",
                                                 "graph.constant", "func.return"}
    for got, want in zip(run_graph(folded, "f", []), run_graph(original, "f", [])):
        assert same_bits(got, want)


# --------------------------------------------------------------------------------------
# Folded constants of every element type, splat or not, rank 0 to 4, on every target
# --------------------------------------------------------------------------------------

SHAPES = [(), (3,), (2, 3), (2, 1, 3), (2, 3, 1, 2)]


def folded_constants_module() -> ModuleOp:
    """One function per element type, shape and splat-ness: it returns a constant that
    folds (a + b, then negated for floats) and that constant added to its argument."""
    rng = np.random.default_rng(7)
    functions = []
    for name, element_type in ELEMENT_TYPES.items():
        dtype = numpy_dtype(element_type)
        for rank, shape in enumerate(SHAPES):
            for splat in (True, False):
                if splat and not shape:
                    continue
                t = TensorType(element_type, list(shape))
                if np.issubdtype(dtype, np.floating):
                    a = rng.standard_normal(shape).astype(dtype)
                else:
                    a = rng.integers(-100, 100, size=shape).astype(dtype)
                if splat:
                    a = np.full(shape, a.reshape(-1)[0], dtype=dtype)
                b = np.asarray(3, dtype=dtype)

                def build(block, a=a, b=b, element_type=element_type, splat=splat):
                    ca, cb = constant(a, element_type, splat), constant(b, element_type)
                    total = graph.AddOp(ca.result, cb.result)
                    ops = [ca, cb, total]
                    if graph.is_float(element_type):
                        ops.append(graph.NegOp(total.result))
                    folded = ops[-1].results[0]
                    used = graph.AddOp(block.args[0], folded)
                    block.add_ops([*ops, used])
                    return [folded, used.result]

                kind = "splat" if splat else "dense"
                functions.append(function(f"k_{name}_r{rank}_{kind}", [t], build))
    module = ModuleOp(functions)
    module.verify()
    return module


@pytest.mark.parametrize("target", ["c", "cuda-emu", "loops"])
def test_folded_constants_run_on_every_target(target):
    reference = folded_constants_module()
    module = run_passes(folded_constants_module(), "graph-fold")
    for fn in module.ops:  # every function's constant computation folded
        names = [op.name for op in fn.body.block.ops]
        assert names == ["graph.constant", "graph.add", "func.return"], names
    assert len(module.ops) == len(ELEMENT_TYPES) * (2 * len(SHAPES) - 1)
    compiled = backend(target).load(module)
    rng = np.random.default_rng(1)
    for fn in reference.ops:
        name = fn.sym_name.data
        t = fn.function_type.inputs.data[0]
        x = (rng.integers(-5, 5, size=t.get_shape()) * 0.25).astype(numpy_dtype(t.element_type))
        want = run_graph(reference, name, [x])
        got = compiled[name](x)
        assert same_bits(got[0], want[0]), f"{target} {name}: {got[0]!r} != {want[0]!r}"
        assert compare(got[1], want[1]).ok, f"{target} {name}: {got[1]!r} != {want[1]!r}"


# --------------------------------------------------------------------------------------
# graph-dce on whole programs, and the examples with and without both passes
# --------------------------------------------------------------------------------------


def test_dead_calls_and_their_private_callees_go_results_stay():
    """A DSL program with helpers made private: the call whose result is unused goes, and
    so does the helper only it called; the results do not change."""
    source = (
        "def square(x: f32[4]) -> f32[4] {\n  return x * x\n}\n"
        "def cube(x: f32[4]) -> f32[4] {\n  return square(x) * x\n}\n"
        "def main(x: f32[4]) -> f32[4] {\n  unused = cube(x)\n  y = square(x + 1.0)\n"
        "  return y\n}\n"
    )
    module = tessera.compile(source, target="interp").graph("main")
    for op in module.ops:
        if op.sym_name.data != "main":
            op.sym_visibility = StringAttr("private")
    x = np.arange(4, dtype=np.float32)
    want = run_graph(module, "main", [x])
    run_passes(module, "graph-dce")
    assert [op.sym_name.data for op in module.ops] == ["square", "main"]
    calls = [op.callee.root_reference.data for op in module.walk() if isinstance(op, func.CallOp)]
    assert calls == ["square"]
    assert same_bits(run_graph(module, "main", [x])[0], want[0])


EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.tsr"))
# The C target also runs these, with and without the passes.
ON_C = {"matmul.tsr", "mlp.tsr", "attention.tsr", "train_mlp.tsr"}


def test_examples_are_found():
    assert ON_C <= set(EXAMPLE_FILES)


@pytest.mark.parametrize("file", EXAMPLE_FILES)
def test_examples_agree_with_and_without_fold_and_dce(file):
    """Every example's entry function (at its default sizes) gives the same bits on the
    reference interpreter with and without graph-fold,graph-dce, and on the C target too."""
    program = tessera.compile(EXAMPLES / file, target="interp")
    entry = default_entry(program._syntax, file)
    inputs = program.example_inputs(entry, seed=3)
    plain = program.graph(entry)
    optimized = run_passes(program.graph(entry), "graph-fold,graph-dce")
    want = run_graph(plain, entry, inputs)
    got = run_graph(optimized, entry, inputs)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert same_bits(g, w)
    if file in ON_C:
        c_plain = backend("c").load(program.graph(entry))[entry](*inputs)
        c_optimized = backend("c").load(optimized)[entry](*inputs)
        for g, p, w in zip(c_optimized, c_plain, want):
            assert compare(g, w).ok, compare(g, w)
            assert same_bits(g, p)
