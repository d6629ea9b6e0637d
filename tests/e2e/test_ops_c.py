"""Every DSL op, compiled to C, agrees with the graph reference at odd and prime shapes."""

from __future__ import annotations

import zlib

import pytest

import tessera
from tessera.compiler.agreement import compare

# (name, DSL body, parameter types, result type) with {placeholders} for the shapes.
CASES = {
    "add_broadcast": ("return x + b", "x: f32[{m}, {n}], b: f32[{n}]", "f32[{m}, {n}]"),
    "sub_div_neg": ("return -(x - y) / (y * y + 1.0)", "x: f32[{m}, {n}], y: f32[{m}, 1]",
                    "f32[{m}, {n}]"),
    "int_arith": ("return (x * y + 3) / (y * y + 1) - x", "x: i32[{m}, {n}], y: i32[{n}]",
                  "i32[{m}, {n}]"),
    "i8_wrap": ("return x * y + x", "x: i8[{m}], y: i8[{m}]", "i8[{m}]"),
    "unary": ("return sqrt(exp(tanh(sigmoid(relu(x))))) + log(x * x + 1.0)",
              "x: f32[{m}, {n}]", "f32[{m}, {n}]"),
    "maxmin": ("return maximum(x, 0.5) + minimum(x, y)", "x: f64[{m}, {n}], y: f64[{n}]",
               "f64[{m}, {n}]"),
    "matmul": ("return a @ b", "a: f32[{m}, {k}], b: f32[{k}, {n}]", "f32[{m}, {n}]"),
    "batched_matmul": ("return a @ b", "a: f32[2, {m}, {k}], b: f32[{k}, {n}]",
                       "f32[2, {m}, {n}]"),
    "conv2d": ("return conv2d(x, w, b, stride=2, padding=1, dilation=2)",
               "x: f32[2, 3, {h}, {h}], w: f32[4, 3, 3, 3], b: f32[4]",
               "f32[2, 4, {ch}, {ch}]"),
    "maxpool2d": ("return maxpool2d(x, kernel=3, stride=2, padding=1)",
                  "x: f32[1, 2, {h}, {h}]", "f32[1, 2, {ph}, {ph}]"),
    "avgpool2d": ("return avgpool2d(x, kernel=3, stride=2, padding=1)",
                  "x: f32[1, 2, {h}, {h}]", "f32[1, 2, {ph}, {ph}]"),
    "softmax": ("return softmax(x, axis=0) + softmax(x)", "x: f32[{m}, {n}]", "f32[{m}, {n}]"),
    "reductions": ("return sum(x, axis=1, keepdims=true) + max(x, axes=[1], keepdims=true)"
                   " * mean(x, axes=[0, 1])", "x: f32[{m}, {n}]", "f32[{m}, 1]"),
    "transpose_reshape": ("return reshape(transpose(x, perm=[2, 0, 1]), [-1, {m}])",
                          "x: f32[{m}, 2, {n}]", "f32[{n2}, {m}]"),
    "flatten_broadcast": ("return flatten(broadcast_to(v, [{m}, 2, {n}]))", "v: f32[{n}]",
                          "f32[{m}, {n2}]"),
    "concat": ("return concat([x, y, x], axis=1)", "x: f32[{m}, {n}], y: f32[{m}, 1]",
               "f32[{m}, {n3}]"),
    "contract": ("c[i, j] +=! a[i, k] * b[j, k] + 1.0\n  return c",
                 "a: f32[{m}, {k}], b: f32[{n}, {k}]", "f32[{m}, {n}]"),
    "contract_max_assign": ("r[i] max=! a[i, k]\n  t[k, i] = a[i, k] * r[i]\n  return t",
                            "a: f32[{m}, {k}]", "f32[{k}, {m}]"),
}

SHAPES = [
    dict(m=1, n=1, k=1, h=5),
    dict(m=7, n=13, k=5, h=11),
    dict(m=17, n=3, k=19, h=8),
]


def _source(name: str, body: str, params: str, result: str, s: dict) -> str:
    derived = dict(
        s,
        ch=(s["h"] + 2 - 4 - 1) // 2 + 1,
        ph=(s["h"] + 2 - 3) // 2 + 1,
        n2=2 * s["n"],
        n3=s["n"] + 1 + s["n"],
    )
    return (
        f"def k_{name}({params.format(**derived)}) -> {result.format(**derived)} {{\n"
        f"  {body.format(**derived)}\n}}\n"
    )


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "m{m}n{n}k{k}h{h}".format(**s))
@pytest.mark.parametrize("name", list(CASES))
def test_op_agrees_with_reference(name, shape):
    body, params, result = CASES[name]
    source = _source(name, body, params, result, shape)
    compiled = tessera.compile(source, target="c")
    reference = tessera.compile(source, target="interp")
    name = f"k_{name}"
    inputs = compiled.example_inputs(name, seed=zlib.crc32(name.encode()) % 1000)
    got = getattr(compiled, name)(*inputs)
    want = getattr(reference, name)(*inputs)
    agreement = compare(got, want)
    assert agreement.ok, f"{name} at {shape}: {agreement}"
