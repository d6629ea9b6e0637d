"""slice, pad and step compiled for the C target, the CUDA emulation and the loop interpreter
agree with the graph reference: alone, in chains the gradient builders will make (a
convolution's input gradient as a convolution of the dilated, padded gradient with the
flipped kernel; relu's derivative; comparison masks), at odd and prime shapes, and on the
values where a step is easy to get wrong (NaN, -0.0, infinities, subnormals)."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

import tessera
from tessera.compiler.agreement import compare

# (name, DSL body, parameter types, result type) with {placeholders} for the shapes.
CASES = {
    "slice_strided": ("return slice(x, starts=[1, {n1}], sizes=[{ms}, {n2}], strides=[2, -2])",
                      "x: f32[{m}, {n}]", "f32[{ms}, {n2}]"),
    "slice_prefix": ("return slice(x, starts=0, sizes=[{mh}, {n}])", "x: i32[{m}, {n}]",
                     "i32[{mh}, {n}]"),
    "slice_prefix_and_flip": ("return slice(x, [0, {n1}, 0], [{mh}, {n}, 2], [1, -1, 1]) * 2.0",
                              "x: f64[{m}, {n}, 3]", "f64[{mh}, {n}, 2]"),
    "flip_kernel": ("return slice(w, starts=[0, 0, 2, 2], sizes=[{c}, 2, 3, 3], "
                    "strides=[1, 1, -1, -1])", "w: f32[{c}, 2, 3, 3]", "f32[{c}, 2, 3, 3]"),
    "pad_all_sides": ("return pad(x, low=[1, 0], high=[0, 2], interior=[2, 1]) + 1.0",
                      "x: f32[{m}, {n}]", "f32[{pm}, {pn}]"),
    "pad_high_only_i8": ("return pad(x, high=[2, 3])", "x: i8[{m}, {n}]", "i8[{m2}, {n3}]"),
    "slice_of_pad": ("return slice(pad(x, low=2, high=2), starts=[1, 1], sizes=[{m}, {n}], "
                     "strides=[1, 1])", "x: f32[{m}, {n}]", "f32[{m}, {n}]"),
    "relu_grad": ("return g * step(x)", "x: f32[{m}, {n}], g: f32[{m}, {n}]", "f32[{m}, {n}]"),
    "ge_mask": ("return 1.0 - step(y - x)", "x: f32[{m}, {n}], y: f32[{n}]", "f32[{m}, {n}]"),
    "step_int": ("return step(x) + step(-x) * 2", "x: i32[{m}, {n}]", "i32[{m}, {n}]"),
    "step_of_matmul": ("return step(a @ b)", "a: f32[{m}, 3], b: f32[3, {n}]", "f32[{m}, {n}]"),
    # conv2d's input gradient for stride 2, padding 1, a 3x3 kernel: the output gradient
    # dilated (interior 1) and padded by kernel - 1 - padding, convolved with the kernel
    # flipped in H and W, its channels swapped.
    "conv_input_grad": ("return conv2d(pad(dy, low=[0, 0, 1, 1], high=[0, 0, {rh}, {rh}], "
                        "interior=[0, 0, 1, 1]), transpose(slice(w, starts=[0, 0, 2, 2], "
                        "sizes=[{c}, 2, 3, 3], strides=[1, 1, -1, -1]), perm=[1, 0, 2, 3]))",
                        "dy: f32[1, {c}, {oh}, {oh}], w: f32[{c}, 2, 3, 3]",
                        "f32[1, 2, {h}, {h}]"),
}

SHAPES = [
    dict(m=2, n=3, c=1, h=5),
    dict(m=7, n=13, c=3, h=8),
    dict(m=17, n=5, c=4, h=11),
]
# The loop interpreter runs ~100k ops a second: small shapes only.
LOOP_SHAPES = [dict(m=2, n=3, c=1, h=5), dict(m=3, n=5, c=2, h=6)]


def _source(name: str, shape: dict) -> str:
    body, params, result = CASES[name]
    m, n, h = shape["m"], shape["n"], shape["h"]
    oh = (h + 2 - 3) // 2 + 1  # the forward convolution's output extent
    derived = dict(
        shape, mh=(m + 1) // 2, ms=m // 2, n1=n - 1, n2=(n + 1) // 2, pm=1 + m + 2 * (m - 1),
        pn=n + 2 + (n - 1), m2=m + 2, n3=n + 3, oh=oh,
        # high padding: 1 + (2 * oh - 1) + rh = h + 2 rows for a 3x3 window to give h
        rh=h + 2 - 2 * oh,
    )
    return (f"def k_{name}({params.format(**derived)}) -> {result.format(**derived)} {{\n"
            f"  {body.format(**derived)}\n}}\n")


def _agree(name: str, shape: dict, target: str, inputs=None, **options) -> None:
    source = _source(name, shape)
    compiled = tessera.compile(source, target=target, **options)
    reference = tessera.compile(source, target="interp")
    entry = f"k_{name}"
    if inputs is None:
        inputs = compiled.example_inputs(entry, seed=zlib.crc32(entry.encode()) % 1000)
    got = getattr(compiled, entry)(*inputs)
    want = getattr(reference, entry)(*inputs)
    agreement = compare(got, want)
    assert agreement.ok, f"{name} at {shape} on {target}: {agreement}"


def _id(shape: dict) -> str:
    return "m{m}n{n}c{c}h{h}".format(**shape)


@pytest.mark.parametrize("shape", SHAPES, ids=_id)
@pytest.mark.parametrize("name", list(CASES))
def test_c_agrees_with_reference(name, shape):
    _agree(name, shape, "c")


@pytest.mark.parametrize("name", ["slice_strided", "slice_prefix_and_flip", "pad_all_sides",
                                  "conv_input_grad"])
def test_c_without_schedules_agrees_with_reference(name):
    _agree(name, SHAPES[1], "c", schedules="naive")


@pytest.mark.parametrize("shape", SHAPES[:2], ids=_id)
@pytest.mark.parametrize("name", list(CASES))
def test_cuda_emulation_agrees_with_reference(name, shape):
    _agree(name, shape, "cuda-emu")


@pytest.mark.parametrize("shape", LOOP_SHAPES, ids=_id)
@pytest.mark.parametrize("name", list(CASES))
def test_loops_agree_with_reference(name, shape):
    _agree(name, shape, "loops")


STEP_INPUTS = np.array([[np.nan, -0.0, 0.0, -np.inf, np.inf, 1e-45, -1e-45, 0.5],
                        [1.0, -1.0, 3e38, -3e38, 2.0, -2.0, 1e-30, np.nan]], dtype=np.float32)


@pytest.mark.parametrize("target", ["c", "cuda-emu", "loops"])
def test_step_of_special_values_is_exact(target):
    """step(NaN) = 0, step(-0.0) = +0.0, step(subnormal > 0) = 1, on every target, bit for
    bit (the reference's +0.0 included)."""
    source = ("def k(x: f32[2, 8], g: f32[2, 8]) -> f32[2, 8] {\n"
              "  return step(x) + g * 0.0\n}\n")
    g = np.ones((2, 8), dtype=np.float32)
    got = tessera.compile(source, target=target).k(STEP_INPUTS, g)
    want = tessera.compile(source, target="interp").k(STEP_INPUTS, g)
    assert want.tolist() == [[0, 0, 0, 0, 1, 1, 0, 1], [1, 0, 1, 0, 1, 0, 1, 0]]
    assert got.tobytes() == want.tobytes(), f"{target}: {got} vs {want}"


def test_conv_input_grad_is_the_adjoint_of_the_convolution():
    """<dy, conv2d(x, w)> = <dx, x> on the reference: the pad/slice formulation above is
    the convolution's input gradient, so the targets are checked on the real thing."""
    shape = SHAPES[1]
    source = _source("conv_input_grad", shape) + (
        "def forward(x: f32[1, 2, {h}, {h}], w: f32[{c}, 2, 3, 3]) -> f32[1, {c}, {oh}, {oh}] "
        "{{\n  return conv2d(x, w, stride=2, padding=1)\n}}\n"
    ).format(h=shape["h"], c=shape["c"], oh=(shape["h"] - 1) // 2 + 1)
    reference = tessera.compile(source, target="interp")
    dy, w = reference.example_inputs("k_conv_input_grad", seed=3)
    (x,) = reference.example_inputs("forward", seed=4)[:1]
    lhs = np.sum(dy.astype(np.float64) * reference.forward(x, w))
    rhs = np.sum(reference.k_conv_input_grad(dy, w).astype(np.float64) * x)
    assert abs(lhs - rhs) <= 1e-4 * max(1.0, abs(lhs)), (lhs, rhs)
