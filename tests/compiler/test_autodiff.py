"""`grad` in the DSL: every rule against central finite differences in f64.

Each case is a small loss `sum(f(...) * r)` (r: random weights, so that every element of the
gradient matters and no two are alike), differentiated with `grad` and run in the reference
interpreter; the gradient of every `wrt` parameter must match central differences of the
loss itself, element by element. A representative subset (convolution, pooling, matmul,
softmax) also runs its backward function on the C target, which must agree with the
interpreter.
"""

from __future__ import annotations

import re
import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare

# name: (parameters, body, wrt). The body ends in `return`; inputs are standard normal.
CASES: dict[str, tuple[str, str, list[str]]] = {
    # Elementwise binary ops with NumPy broadcasting (both sides broadcast in some).
    "add-broadcast": ("a: f64[3, 4], b: f64[4], r: f64[3, 4]", "return sum((a + b) * r)",
                      ["a", "b"]),
    "sub-broadcast": ("a: f64[2, 1, 4], b: f64[3, 1], r: f64[2, 3, 4]",
                      "return sum((a - b) * r)", ["a", "b"]),
    "mul-broadcast": ("a: f64[3, 1], b: f64[1, 4], r: f64[3, 4]", "return sum(a * b * r)",
                      ["a", "b"]),
    "div-broadcast": ("a: f64[3, 4], b: f64[4], r: f64[3, 4]",
                      "return sum(a / (b * b + 1.0) * r)", ["a", "b"]),
    "maximum-broadcast": ("a: f64[3, 4], b: f64[4], r: f64[3, 4]",
                          "return sum(maximum(a, b) * r)", ["a", "b"]),
    "minimum-broadcast": ("a: f64[4, 3], b: f64[4, 1], r: f64[4, 3]",
                          "return sum(minimum(a, b) * r)", ["a", "b"]),
    "scalar-operands": ("a: f64[3], s: f64", "return sum(a * s - s / (a * a + 2.0))",
                        ["a", "s"]),
    # Unary ops.
    "neg": ("a: f64[5], r: f64[5]", "return sum(-a * r)", ["a"]),
    "relu": ("a: f64[4, 5], r: f64[4, 5]", "return sum(relu(a) * r)", ["a"]),
    "sigmoid": ("a: f64[4, 5], r: f64[4, 5]", "return sum(sigmoid(a) * r)", ["a"]),
    "tanh": ("a: f64[4, 5], r: f64[4, 5]", "return sum(tanh(a) * r)", ["a"]),
    "exp": ("a: f64[4, 5], r: f64[4, 5]", "return sum(exp(a) * r)", ["a"]),
    "log": ("a: f64[4, 5], r: f64[4, 5]", "return sum(log(a * a + 1.0) * r)", ["a"]),
    "sqrt": ("a: f64[4, 5], r: f64[4, 5]", "return sum(sqrt(a * a + 0.5) * r)", ["a"]),
    # Matmul: plain, batched, broadcast batch dimensions, a rank-2 operand on a batch.
    "matmul": ("a: f64[3, 4], b: f64[4, 5], r: f64[3, 5]", "return sum((a @ b) * r)",
               ["a", "b"]),
    "matmul-batched": ("a: f64[2, 3, 4], b: f64[2, 4, 5], r: f64[2, 3, 5]",
                       "return sum((a @ b) * r)", ["a", "b"]),
    "matmul-broadcast-batch": ("a: f64[2, 1, 3, 4], b: f64[5, 4, 2], r: f64[2, 5, 3, 2]",
                               "return sum((a @ b) * r)", ["a", "b"]),
    "matmul-rank2-on-batch": ("a: f64[3, 4], b: f64[2, 4, 5], r: f64[2, 3, 5]",
                              "return sum(matmul(a, b) * r)", ["a", "b"]),
    # Convolutions: every parameter, ragged floor-mode edges, padding wider than the kernel.
    "conv2d": ("x: f64[2, 3, 6, 5], w: f64[4, 3, 3, 2], r: f64[2, 4, 4, 4]",
               "return sum(conv2d(x, w) * r)", ["x", "w"]),
    "conv2d-stride2-padding1": ("x: f64[1, 2, 7, 7], w: f64[3, 2, 3, 3], r: f64[1, 3, 4, 4]",
                                "return sum(conv2d(x, w, stride=2, padding=1) * r)",
                                ["x", "w"]),
    "conv2d-dilation2": ("x: f64[1, 2, 7, 6], w: f64[2, 2, 3, 2], r: f64[1, 2, 3, 4]",
                         "return sum(conv2d(x, w, dilation=2) * r)", ["x", "w"]),
    "conv2d-ragged": ("x: f64[2, 2, 8, 9], w: f64[3, 2, 3, 2], r: f64[2, 3, 3, 3]",
                      "return sum(conv2d(x, w, stride=[2, 3]) * r)", ["x", "w"]),
    "conv2d-mixed": ("x: f64[1, 2, 9, 8], w: f64[2, 2, 2, 3], r: f64[1, 2, 5, 2]",
                     "return sum(conv2d(x, w, stride=[2, 3], padding=[1, 0], "
                     "dilation=[1, 2]) * r)", ["x", "w"]),
    "conv2d-padding-beyond-kernel": ("x: f64[1, 2, 4, 5], w: f64[3, 2, 1, 2], "
                                     "r: f64[1, 3, 8, 4]",
                                     "return sum(conv2d(x, w, padding=2, stride=[1, 2]) * r)",
                                     ["x", "w"]),
    "conv2d-bias": ("x: f64[1, 2, 5, 5], w: f64[3, 2, 3, 3], b: f64[3], r: f64[1, 3, 3, 3]",
                    "return sum(conv2d(x, w, b) * r)", ["x", "w", "b"]),
    # Pooling: overlapping windows, padding, ragged edges.
    "maxpool2d": ("x: f64[2, 3, 6, 6], r: f64[2, 3, 3, 3]",
                  "return sum(maxpool2d(x, kernel=2) * r)", ["x"]),
    "maxpool2d-overlap-padding": ("x: f64[1, 2, 7, 6], r: f64[1, 2, 4, 3]",
                                  "return sum(maxpool2d(x, kernel=3, stride=2, padding=1) * r)",
                                  ["x"]),
    "maxpool2d-negative-padded": ("x: f64[1, 2, 5, 5], r: f64[1, 2, 3, 3]",
                                  "return sum(maxpool2d(x - 10.0, kernel=3, stride=2, "
                                  "padding=1) * r)", ["x"]),
    "maxpool2d-rect": ("x: f64[1, 1, 7, 8], r: f64[1, 1, 5, 4]",
                       "return sum(maxpool2d(x, kernel=[3, 2], stride=[1, 2]) * r)", ["x"]),
    "avgpool2d": ("x: f64[2, 2, 6, 6], r: f64[2, 2, 3, 3]",
                  "return sum(avgpool2d(x, kernel=2) * r)", ["x"]),
    "avgpool2d-overlap-padding": ("x: f64[1, 2, 7, 6], r: f64[1, 2, 4, 3]",
                                  "return sum(avgpool2d(x, kernel=3, stride=2, padding=1) * r)",
                                  ["x"]),
    # Softmax along each axis.
    "softmax-axis0": ("x: f64[3, 4, 2], r: f64[3, 4, 2]", "return sum(softmax(x, axis=0) * r)",
                      ["x"]),
    "softmax-axis1": ("x: f64[3, 4, 2], r: f64[3, 4, 2]", "return sum(softmax(x, axis=1) * r)",
                      ["x"]),
    "softmax-last": ("x: f64[3, 4, 5], r: f64[3, 4, 5]", "return sum(softmax(x) * r)", ["x"]),
    # Reductions with and without keepdims.
    "sum-axes": ("x: f64[3, 4, 5], r: f64[3, 5]", "return sum(sum(x, axis=1) * r)", ["x"]),
    "sum-keepdims": ("x: f64[3, 4, 5], r: f64[1, 4, 1]",
                     "return sum(sum(x, axes=[0, 2], keepdims=true) * r)", ["x"]),
    "mean-axes": ("x: f64[3, 4, 5], r: f64[4]", "return sum(mean(x, axes=[0, 2]) * r)", ["x"]),
    "mean-keepdims": ("x: f64[3, 4, 5], r: f64[3, 1, 5]",
                      "return sum(mean(x, axis=1, keepdims=true) * r)", ["x"]),
    "mean-all": ("x: f64[3, 4]", "return mean(x * x)", ["x"]),
    "max-axes": ("x: f64[3, 4, 5], r: f64[3, 5]", "return sum(max(x, axis=1) * r)", ["x"]),
    "max-keepdims": ("x: f64[3, 4, 5], r: f64[1, 4, 1]",
                     "return sum(max(x, axes=[0, 2], keepdims=true) * r)", ["x"]),
    "max-all": ("x: f64[3, 4]", "return max(x)", ["x"]),
    # Movement.
    "transpose": ("x: f64[2, 3, 4], r: f64[4, 2, 3]",
                  "return sum(transpose(x, perm=[2, 0, 1]) * r)", ["x"]),
    "reshape-flatten": ("x: f64[2, 3, 4], r: f64[4, 6], s: f64[2, 12]",
                        "return sum(reshape(x, [4, 6]) * r) + sum(flatten(x) * s)", ["x"]),
    "broadcast-to": ("x: f64[3, 1], r: f64[2, 3, 4]",
                     "return sum(broadcast_to(x, [2, 3, 4]) * r)", ["x"]),
    "concat": ("a: f64[2, 3], b: f64[2, 1], c: f64[2, 2], r: f64[2, 6]",
               "return sum(concat(a, b, c, axis=1) * r)", ["a", "b", "c"]),
    "slice": ("x: f64[4, 6], r: f64[2, 3]",
              "return sum(slice(x, starts=[3, 1], sizes=[2, 3], strides=[-2, 2]) * r)", ["x"]),
    "pad": ("x: f64[2, 3], r: f64[5, 9]",
            "return sum(pad(x, low=[1, 0], high=[1, 2], interior=[1, 2]) * r)", ["x"]),
    "step": ("x: f64[4], r: f64[4]", "return sum((step(x) + x) * r)", ["x"]),
    # The sweep: values used several times, a chain of layers, a call inlined.
    "several-uses": ("a: f64[4], b: f64[4]", "h = a * b + a\n  return sum(h * h * a)",
                     ["a", "b"]),
    "two-layers": ("x: f64[5, 4], w1: f64[4, 6], b1: f64[6], w2: f64[6, 3], y: f64[5, 3]",
                   "p = softmax(tanh(x @ w1 + b1) @ w2, axis=1)\n"
                   "  return -mean(sum(y * log(p), axis=1))", ["w1", "b1", "w2"]),
}

# Cases whose backward function also runs on the C target.
ON_C = ["conv2d-stride2-padding1", "conv2d-mixed", "maxpool2d-overlap-padding", "avgpool2d",
        "matmul-broadcast-batch", "softmax-axis1", "two-layers"]


def source(params: str, body: str, wrt: list[str], transform: str = "grad") -> str:
    return (f"def loss({params}) -> f64 {{\n  {body}\n}}\n\n"
            f"dloss = {transform}(loss, wrt=[{', '.join(wrt)}])\n")


def inputs_for(program, seed: int = 0) -> list[np.ndarray]:
    return program.example_inputs("loss", seed=seed)


def central_differences(f, args: list[np.ndarray], index: int, eps: float = 1e-6):
    grad = np.zeros_like(args[index])
    for position in np.ndindex(args[index].shape):
        plus = [a.copy() for a in args]
        minus = [a.copy() for a in args]
        plus[index][position] += eps
        minus[index][position] -= eps
        grad[position] = (float(f(*plus)) - float(f(*minus))) / (2 * eps)
    return grad


def gradients(program, args) -> list[np.ndarray]:
    out = program.dloss(*args)
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("name", list(CASES))
def test_gradient_matches_finite_differences(name):
    params, body, wrt = CASES[name]
    program = tessera.compile(source(params, body, wrt), target="interp")
    args = inputs_for(program)
    names = re.findall(r"(\w+):", params)
    got = gradients(program, args)
    assert len(got) == len(wrt)
    for w, g in zip(wrt, got):
        index = names.index(w)
        assert g.shape == args[index].shape and g.dtype == np.float64
        expected = central_differences(program.loss, args, index)
        np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-7, err_msg=f"d/d{w}")
        assert np.abs(g).max() > 0  # the weights make every case's gradient non-trivial


@pytest.mark.parametrize("name", ON_C)
def test_backward_function_runs_on_c(name):
    params, body, wrt = CASES[name]
    text = source(params, body, wrt)
    on_c = tessera.compile(text, target="c")
    reference = tessera.compile(text, target="interp")
    args = inputs_for(reference, seed=3)
    for got, want in zip(gradients(on_c, args), gradients(reference, args)):
        agreement = compare(got, want)
        assert agreement.ok, f"{name}: {agreement}"


def test_value_and_grad_returns_the_loss_first():
    params, body, wrt = CASES["two-layers"]
    program = tessera.compile(source(params, body, wrt, "value_and_grad"), target="interp")
    args = inputs_for(program)
    value, *grads = program.dloss(*args)
    assert value.shape == () and value == program.loss(*args)
    plain = tessera.compile(source(params, body, wrt), target="interp")
    for g, h in zip(grads, plain.dloss(*args)):
        np.testing.assert_array_equal(g, h)


def test_a_parameter_the_loss_does_not_use_gets_zeros():
    program = tessera.compile(source("a: f64[3], unused: f64[2, 2]", "return sum(a * a)",
                                     ["unused", "a"]), target="interp")
    a, unused = np.array([1.0, -2.0, 3.0]), np.ones((2, 2))
    d_unused, d_a = program.dloss(a, unused)
    np.testing.assert_array_equal(d_unused, np.zeros((2, 2)))
    np.testing.assert_array_equal(d_a, 2 * a)


def test_ties_split_the_gradient_evenly():
    """maximum/minimum of equal values give each side half, as PyTorch; a max reduction
    shares the gradient between equal maxima (torch.amax); relu'(0) = 0."""
    text = ("def loss(a: f64[4], b: f64[4], r: f64[4]) -> f64 {\n"
            "  return sum((maximum(a, b) + 2.0 * minimum(a, b) + relu(a)) * r) + max(a)\n}\n"
            "dloss = grad(loss, wrt=[a, b])\n")
    program = tessera.compile(text, target="interp")
    a = np.array([1.0, 0.0, 3.0, 3.0])
    b = np.array([1.0, 0.0, -1.0, 5.0])
    r = np.array([1.0, 10.0, 100.0, 1000.0])
    da, db = program.dloss(a, b, r)
    # ties at 0 and 1: half of max's and of 2·min's gradient each; max(a) = 3 twice.
    np.testing.assert_array_equal(da, [1.5 + 1, 15, 100 + 100 + 0.5, 2000 + 1000 + 0.5])
    np.testing.assert_array_equal(db, [1.5, 15, 200, 1000])


def test_maxpool_routes_to_the_first_maximum_of_each_window():
    text = ("def loss(x: f64[1, 1, 3, 4], r: f64[1, 1, 2, 3]) -> f64 {\n"
            "  return sum(maxpool2d(x, kernel=2, stride=1) * r)\n}\n"
            "dloss = grad(loss, wrt=[x])\n")
    program = tessera.compile(text, target="interp")
    x = np.array([[[[1.0, 1.0, 0.0, 2.0], [1.0, 1.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]]]])
    r = np.array([[[[1.0, 10.0, 100.0], [1000.0, 10000.0, 100000.0]]]])
    dx = program.dloss(x, r)
    expected = np.zeros_like(x)
    expected[0, 0, 0, 0] = 1.0  # window (0, 0): four ones, the first
    expected[0, 0, 1, 2] = 10.0 + 10000.0 + 100000.0  # (0, 1), (1, 1), and (1, 2)'s first 2
    expected[0, 0, 0, 3] = 100.0  # window (0, 2): three 2s, the first in row-major order
    expected[0, 0, 1, 0] = 1000.0  # window (1, 0): two ones, the first
    np.testing.assert_array_equal(dx, expected)


def test_second_order_through_a_gradient():
    """A grad function called by a loss is differentiated again (its pad, slice and step
    ops included): the Hessian-vector product of a strided convolution's loss."""
    text = ("def loss(x: f64[1, 2, 7, 7], w: f64[3, 2, 3, 3]) -> f64 {\n"
            "  return sum(tanh(conv2d(x, w, stride=2, padding=1)))\n}\n"
            "dloss = grad(loss, wrt=[x])\n"
            "def hvp_loss(x: f64[1, 2, 7, 7], w: f64[3, 2, 3, 3], v: f64[1, 2, 7, 7]) -> f64 {\n"
            "  return sum(dloss(x, w) * v)\n}\n"
            "hvp = grad(hvp_loss, wrt=[x, w])\n")
    program = tessera.compile(text, target="interp")
    args = program.example_inputs("hvp_loss", seed=5)
    dx, dw = program.hvp(*args)
    np.testing.assert_allclose(dx, central_differences(program.hvp_loss, args, 0),
                               rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dw, central_differences(program.hvp_loss, args, 1),
                               rtol=1e-6, atol=1e-7)


def test_a_loss_calling_a_function_is_inlined():
    text = ("def layer(x: f64[4, 3], w: f64[3, 2]) -> f64[4, 2] {\n  return tanh(x @ w)\n}\n"
            "def loss(x: f64[4, 3], w: f64[3, 2], v: f64[2, 2]) -> f64 {\n"
            "  return sum(layer(x, w) @ v)\n}\n"
            "dloss = grad(loss, wrt=[w, v])\n")
    program = tessera.compile(text, target="interp")
    module = program.graph("dloss")
    names = [op.name for op in next(f for f in module.ops
                                    if f.sym_name.data == "dloss").body.block.ops]
    assert "func.call" not in names
    args = program.example_inputs("loss", seed=2)
    dw, dv = program.dloss(*args)
    np.testing.assert_allclose(dw, central_differences(program.loss, args, 1), rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(dv, central_differences(program.loss, args, 2), rtol=1e-6,
                               atol=1e-7)


def test_every_backward_op_points_at_the_forward_line():
    text = ("def loss(x: f64[2, 3], w: f64[3, 4]) -> f64 {\n"
            "  h = relu(x @ w)\n"
            "  return mean(h)\n"
            "}\n"
            "dloss = grad(loss, wrt=[w])\n")
    module = tessera.compile(text, target="interp").graph("dloss")
    fn = next(f for f in module.ops if f.sym_name.data == "dloss")
    lines = {op.name: set() for op in fn.body.block.ops}
    for op in fn.body.block.ops:
        lines[op.name].add(op.location.line.data)
    assert lines["graph.step"] == {2}  # relu's derivative, at relu's line
    assert lines["graph.transpose"] == {2}  # matmul's, at the matmul's
    assert lines["graph.broadcast_to"] == {3}  # mean's, at the mean's
    assert fn.location.line.data == 5 and lines["func.return"] == {5}


def test_a_zero_gradient_beside_a_matmul_on_c():
    text = source("a: f64[3, 4], b: f64[4, 2], unused: f64[3]", "return sum(a @ b)",
                  ["b", "unused"])
    db, d_unused = tessera.compile(text, target="c").dloss(*inputs_for(
        tessera.compile(text, target="interp")))
    np.testing.assert_array_equal(d_unused, np.zeros(3))
