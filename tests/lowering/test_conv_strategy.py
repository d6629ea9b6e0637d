"""`conv-strategy`: every strategy and layout agrees with the reference, on every target that
runs its IR, and `auto` decides as the measurements say.

Each case lowers a program to linalg, runs `conv-strategy` with the strategy and layout
forced (checking that the IR shows the decision), then takes it the rest of the way for a
target: the C target under its default schedules, the loop interpreter (small shapes) and
the CUDA emulation. Results are compared with the graph interpreter (exact for integers).
"""

from __future__ import annotations

import zlib

import pytest

import tessera
from tessera.compiler.agreement import compare
from tessera.compiler.pipelines import run_pipeline
from tessera.compiler.registry import make_context
from tessera.lowering.conv_strategy import LAYOUT_ATTR, STRATEGY_ATTR, ConvShape, choose

VARIANTS = [("direct", "nchw"), ("direct", "nhwc"), ("im2col", "nchw"), ("im2col", "nhwc")]
# What each target runs after linalg on tensors (lower-to-c's and lower-to-cuda's tails).
C_TAIL = "bufferize,schedule,linalg-to-loops,lower-affine,canonicalize,cse"
LOOPS_TAIL = "bufferize,linalg-to-loops,canonicalize"
CUDA_TAIL = "bufferize,linalg-to-gpu,gpu-outline-kernels,lower-affine,canonicalize,cse"


def conv_program(x: str, w: str, out: str, args: str = "", bias: str = "",
                 relu: bool = False) -> str:
    """`def f(x, w[, b]) -> out { return [relu](conv2d(x, w[, b], args)) }`; `x`, `w` and
    `out` are DSL types such as f32[1, 3, 9, 9]."""
    params = f"x: {x}, w: {w}" + (f", b: {bias}" if bias else "")
    call = "conv2d(x, w" + (", b" if bias else "") + (f", {args}" if args else "") + ")"
    return f"def f({params}) -> {out} {{\n  return {f'relu({call})' if relu else call}\n}}\n"


# name -> source: strides, padding, dilation, N > 1, 1x1 kernels, non-square shapes, bias and
# ReLU after the conv (fused into the result copy's epilogue), integer convs.
CASES = {
    "plain": conv_program("f32[1, 3, 9, 11]", "f32[4, 3, 3, 3]", "f32[1, 4, 7, 9]"),
    "padded_bias_relu": conv_program("f32[1, 3, 9, 11]", "f32[5, 3, 3, 3]", "f32[1, 5, 9, 11]",
                                     "padding=1", bias="f32[5]", relu=True),
    "strided_batch": conv_program("f32[2, 2, 9, 9]", "f32[3, 2, 3, 3]", "f32[2, 3, 4, 4]",
                                  "stride=2"),
    "mixed_stride_padding_dilation": conv_program(
        "f32[3, 2, 10, 9]", "f32[4, 2, 3, 2]", "f32[3, 4, 4, 10]",
        "stride=[2, 1], padding=[1, 2], dilation=[2, 3]"),
    "one_by_one": conv_program("f32[2, 6, 5, 7]", "f32[9, 6, 1, 1]", "f32[2, 9, 5, 7]"),
    "one_by_one_strided": conv_program("f32[1, 4, 7, 7]", "f32[3, 4, 1, 1]", "f32[1, 3, 4, 4]",
                                       "stride=2"),
    "kernel_as_large_as_input": conv_program("f32[1, 2, 4, 5]", "f32[3, 2, 4, 5]",
                                             "f32[1, 3, 1, 1]"),
    "int32": conv_program("i32[2, 3, 6, 6]", "i32[4, 3, 3, 3]", "i32[2, 4, 6, 6]",
                          "padding=1", bias="i32[4]"),
    "int8_widened": (
        "def f(x: i8[1, 3, 8, 8], w: i8[4, 3, 3, 3], b: i32[4]) -> i32[1, 4, 3, 3] {\n"
        "  return relu(conv2d(widen(x), widen(w), b, stride=2))\n}\n"),
}
# The loop interpreter and the CUDA emulation are slow to reach (interpretation, g++ and
# nvcc builds): a sample of the cases.
SMALL_CASES = ["padded_bias_relu", "strided_batch", "mixed_stride_padding_dilation",
               "one_by_one_strided", "int8_widened"]
CUDA_CASES = ["padded_bias_relu", "mixed_stride_padding_dilation", "int8_widened"]


def decided(source: str, strategy: str, layout: str):
    """The program at linalg on tensors after `conv-strategy{strategy layout}`, checked to
    show the decision: no NCHW conv left unless direct/nchw, and the ops marked."""
    module = tessera.compile(source, target="c").graph("f")
    run_pipeline(f"lower-to-linalg,conv-strategy{{strategy={strategy} layout={layout}}}",
                 make_context(), module)
    names = [op.name for op in module.walk()]
    marks = {(op.attributes[STRATEGY_ATTR].data, op.attributes[LAYOUT_ATTR].data)
             for op in module.walk() if STRATEGY_ATTR in op.attributes}
    assert marks == {(strategy, layout)}, marks
    expected = {("direct", "nchw"): "linalg.conv_2d_nchw_fchw",
                ("direct", "nhwc"): "linalg.conv_2d_nhwc_hwcf",
                ("im2col", "nchw"): "linalg.matmul", ("im2col", "nhwc"): "linalg.matmul"}
    assert expected[strategy, layout] in names
    if (strategy, layout) != ("direct", "nchw"):
        assert "linalg.conv_2d_nchw_fchw" not in names
    return module


def inputs_and_reference(source: str, name: str):
    reference = tessera.compile(source, target="interp")
    inputs = reference.example_inputs("f", seed=zlib.crc32(name.encode()) % 1000)
    return inputs, reference.f(*inputs)


@pytest.mark.parametrize("variant", VARIANTS, ids="/".join)
@pytest.mark.parametrize("name", list(CASES))
def test_c_target_agrees(name, variant):
    from tessera.targets.c.runner import compile_module

    source = CASES[name]
    module = decided(source, *variant)
    run_pipeline(C_TAIL, make_context(), module)
    inputs, want = inputs_and_reference(source, name)
    got = compile_module(module)["f"](*inputs)
    agreement = compare(got, want)
    assert agreement.ok, f"{name} {variant}: {agreement}"


@pytest.mark.parametrize("variant", VARIANTS, ids="/".join)
@pytest.mark.parametrize("name", SMALL_CASES)
def test_loop_interpreter_agrees(name, variant):
    from tessera.targets.loop_interp import run_loops

    source = CASES[name]
    module = decided(source, *variant)
    run_pipeline(LOOPS_TAIL, make_context(), module)
    inputs, want = inputs_and_reference(source, name)
    (got,) = run_loops(module, "f", inputs)
    agreement = compare(got, want)
    assert agreement.ok, f"{name} {variant}: {agreement}"


@pytest.mark.parametrize("variant", VARIANTS, ids="/".join)
@pytest.mark.parametrize("name", CUDA_CASES)
def test_cuda_emulation_agrees(name, variant):
    from tessera.targets.cuda.backend import EmulatedCudaBackend, bind
    from tessera.targets.cuda.emitter import cuda_signatures, emit_cuda

    source = CASES[name]
    module = decided(source, *variant)
    run_pipeline(CUDA_TAIL, make_context(), module)
    emulation = EmulatedCudaBackend()
    library = emulation.build(emit_cuda(module))
    signature = cuda_signatures(module)["f"]
    inputs, want = inputs_and_reference(source, name)
    arguments, (got,) = bind(signature, tuple(inputs))
    emulation.call(library, signature.c_name, arguments)
    agreement = compare(got, want)
    assert agreement.ok, f"{name} {variant}: {agreement}"


I8_INTO_I32 = """
func.func @f(%x: tensor<2x3x7x6xi8>, %w: tensor<4x3x3x2xi8>) -> tensor<2x4x3x5xi32> {
  %zero = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x4x3x5xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<2x4x3x5xi32>) -> tensor<2x4x3x5xi32>
  %y = linalg.conv_2d_nchw_fchw {strides = dense<[2, 1]> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<2x3x7x6xi8>, tensor<4x3x3x2xi8>) outs(%init : tensor<2x4x3x5xi32>) -> tensor<2x4x3x5xi32>
  func.return %y : tensor<2x4x3x5xi32>
}
"""


@pytest.mark.parametrize("variant", VARIANTS, ids="/".join)
def test_i8_conv_accumulating_in_i32(variant):
    """A conv of i8 operands into i32 (which graph.conv2d never writes, but linalg allows):
    exact on the C target and the loop interpreter, the extremes of i8 included."""
    import numpy as np

    from tessera.compiler.frontend.mlir_reader import parse_mlir
    from tessera.targets.c.runner import compile_module
    from tessera.targets.loop_interp import run_loops

    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, size=(2, 3, 7, 6)).astype(np.int8)
    w = rng.integers(-128, 128, size=(4, 3, 3, 2)).astype(np.int8)
    x[0, 0, 0, 0], w[0, 0, 0, 0] = -128, -128
    want = np.zeros((2, 4, 3, 5), dtype=np.int64)
    for i in range(3):
        for j in range(2):
            window = x[:, :, i:i + 5:2, j:j + 5].astype(np.int64)
            want += np.einsum("nchw,fc->nfhw", window, w[:, :, i, j].astype(np.int64))
    strategy, layout = variant
    for tail, run in ((C_TAIL, lambda m: compile_module(m)["f"](x, w)),
                      (LOOPS_TAIL, lambda m: run_loops(m, "f", [x, w])[0])):
        ctx = make_context()
        module = parse_mlir(ctx, I8_INTO_I32, "i8.mlir")
        run_pipeline(f"conv-strategy{{strategy={strategy} layout={layout}}},{tail}", ctx,
                     module)
        got = run(module)
        assert got.dtype == np.int32 and np.array_equal(got, want.astype(np.int32)), variant


def test_im2col_ops_get_the_gemm_schedule():
    """Every op im2col writes is affine-linear (schedulable), and the matmul gets the
    default schedule's blocked GEMM nest (packed operands), not the conv's plain tiles."""
    from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation

    from tessera.lowering.schedule import loop_nest, schedulable
    from tessera.targets.c.default_schedule import default_schedule

    module = decided(CASES["padded_bias_relu"], "im2col", "nchw")
    run_pipeline("bufferize", make_context(), module)
    ops = [op for op in module.walk() if isinstance(op, LinalgStructuredOperation)]
    assert ops and all(schedulable(op) for op in ops)
    (matmul,) = [op for op in ops if op.name == "linalg.matmul"]
    assert default_schedule(loop_nest(matmul)).pack


# `auto` on the examples: LeNet-5's two convs differ (direct NCHW for 3->6 at 28x28 wide,
# direct NHWC for 6->16), the ResNet block's are direct NHWC; every program still agrees.
@pytest.mark.parametrize("example,entry,picks", [
    ("lenet5", "lenet5", [("direct", "nchw"), ("direct", "nhwc")]),
    ("lenet5_int8", "lenet5_int8", [("direct", "nchw"), ("direct", "nhwc")]),
    ("resnet_block", "resnet_block", [("direct", "nhwc"), ("direct", "nhwc")]),
])
def test_auto_on_the_examples(example, entry, picks):
    from tessera.targets.c.runner import compile_module

    path = f"examples/{example}.tsr"
    program = tessera.compile(path, target="interp")
    module = program.graph(entry)
    run_pipeline("lower-to-linalg,conv-strategy", make_context(), module)
    convs = [op for op in module.walk()
             if op.name in ("linalg.conv_2d_nchw_fchw", "linalg.conv_2d_nhwc_hwcf")]
    assert [(op.attributes[STRATEGY_ATTR].data, op.attributes[LAYOUT_ATTR].data)
            for op in convs] == picks
    run_pipeline(C_TAIL, make_context(), module)
    inputs = program.example_inputs(entry, seed=3)
    got = compile_module(module)[entry](*inputs)
    agreement = compare(got, getattr(program, entry)(*inputs))
    assert agreement.ok, f"{example}: {agreement}"


def shape(c, f, hw, k, stride=1, n=1, element_bytes=4):
    """A conv's ConvShape from its unpadded sizes (`hw`: the padded input's side)."""
    out = (hw - k) // stride + 1
    return ConvShape(n, c, hw, hw, f, k, k, out, out, (stride, stride), (1, 1), element_bytes)


# The fastest variant `python -m bench.conv_strategy` measured for each conv (1 thread,
# AMD EPYC Zen 5, 16 f32 lanes), named by the bench's case; sizes are the padded input's.
MEASURED_BEST = [
    (shape(3, 6, 32, 5), ("direct", "nchw")),               # lenet5-conv1
    (shape(6, 16, 14, 5), ("direct", "nhwc")),              # lenet5-conv2
    (shape(16, 16, 16, 3), ("direct", "nhwc")),             # resnet_block-conv1
    (shape(64, 64, 58, 3), ("direct", "nhwc")),             # resnet-3x3-56
    (shape(128, 128, 30, 3), ("im2col", "nchw")),           # resnet-3x3-28
    (shape(256, 256, 16, 3), ("im2col", "nchw")),           # resnet-3x3-14
    (shape(512, 512, 9, 3), ("im2col", "nchw")),            # resnet-3x3-7
    (shape(3, 64, 230, 7, stride=2), ("direct", "nhwc")),   # stem-7x7-s2
    (shape(64, 256, 56, 1), ("im2col", "nchw")),            # 1x1-expand-56
    (shape(256, 64, 56, 1), ("im2col", "nchw")),            # 1x1-reduce-56
    (shape(256, 512, 56, 1, stride=2), ("im2col", "nchw")), # 1x1-down-s2
    (shape(32, 32, 30, 3, n=4), ("direct", "nhwc")),        # batch4-3x3-28
    (shape(3, 32, 34, 3), ("direct", "nchw")),              # cifar-first-3x3
    (shape(80, 80, 30, 3), ("direct", "nhwc")),             # weights-230k
    (shape(96, 96, 30, 3), ("direct", "nhwc")),             # weights-330k
    (shape(8, 8, 14, 1), ("direct", "nchw")),               # 1x1-small
    (shape(3, 6, 32, 5, stride=2), ("im2col", "nchw")),     # small-5x5-s2
    (shape(8, 32, 34, 3), ("direct", "nchw")),              # short-reduction-72
    (shape(3, 32, 34, 3, stride=2), ("direct", "nhwc")),    # short-reduction-s2
]


@pytest.mark.parametrize("conv,best", MEASURED_BEST)
def test_auto_picks_what_was_measured_fastest(conv, best):
    assert choose(conv, lanes=16) == best


def test_a_fixed_strategy_gets_its_measured_layout():
    # Forced direct on the 7x7 ResNet conv: NHWC measured 1.28x, NCHW 1x. Forced im2col on
    # the strided stem: NCHW (the GEMM orientation measured fastest in most shapes).
    assert choose(shape(512, 512, 9, 3), strategy="direct", lanes=16) == ("direct", "nhwc")
    assert choose(shape(3, 64, 230, 7, stride=2), strategy="im2col", lanes=16) == \
        ("im2col", "nchw")
    assert choose(shape(3, 6, 32, 5), layout="nhwc", lanes=16) == ("direct", "nhwc")


@pytest.mark.parametrize("lanes", [4, 8, 16])
def test_filecheck_auto_shapes_do_not_depend_on_the_vector_width(lanes):
    """tests/filecheck/lowering/conv-strategy/auto.mlir runs on any host: its shapes decide
    alike for SSE, AVX2 and AVX-512 widths."""
    assert choose(shape(3, 6, 32, 5), lanes=lanes) == ("direct", "nchw")
    assert choose(shape(3, 64, 18, 3, stride=2), lanes=lanes) == ("direct", "nhwc")
    assert choose(shape(32, 32, 16, 1), lanes=lanes) == ("im2col", "nchw")
    assert choose(shape(256, 256, 6, 3), lanes=lanes) == ("im2col", "nchw")
