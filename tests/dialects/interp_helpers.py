"""Shared by the graph interpreter tests: parsing, random data, comparisons."""

from __future__ import annotations

import itertools

import numpy as np
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser

from tessera.compiler.registry import make_context
from tessera.dialects.graph_interp import run_graph

CTX = make_context()
RNG = np.random.default_rng(20240607)

DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i8": np.int8}


def parse(text: str) -> ModuleOp:
    module = Parser(CTX, text).parse_module()
    module.verify()
    return module


def ttype(shape, el: str) -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + el + ">"


def run1(text: str, *args: np.ndarray, entry: str = "f") -> np.ndarray:
    (result,) = run_graph(parse(text), entry, list(args))
    return result


def data(shape, el: str, low: int = -100, high: int = 100) -> np.ndarray:
    if el.startswith("f"):
        return RNG.standard_normal(shape).astype(DTYPES[el])
    return RNG.integers(low, high, size=shape).astype(DTYPES[el])


def wrap(value: int, el: str) -> int:
    """Two's-complement wraparound of a Python int to the width of `el`."""
    bits = {"i8": 8, "i32": 32}[el]
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def close(actual: np.ndarray, expected, el: str) -> None:
    expected = np.asarray(expected)
    assert actual.dtype == DTYPES[el]
    assert actual.shape == expected.shape
    if el.startswith("f"):
        tol = 2e-5 if el == "f32" else 1e-12
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol)
    else:
        np.testing.assert_array_equal(actual, expected)


def broadcast_index(index, shape):
    """The element of a tensor of `shape` that broadcasting reads at output `index`."""
    tail = index[len(index) - len(shape) :] if shape else ()
    return tuple(0 if d == 1 else i for i, d in zip(tail, shape))


def broadcast_shape(a, b):
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    return tuple(y if x == 1 else x for x, y in zip(a, b))


def loop_matmul(a: np.ndarray, b: np.ndarray, el: str) -> np.ndarray:
    batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    out = np.zeros((*batch, m, n), dtype=np.float64 if el.startswith("f") else np.int64)
    for index in np.ndindex(*batch):
        ia, ib = broadcast_index(index, a.shape[:-2]), broadcast_index(index, b.shape[:-2])
        for i, j in itertools.product(range(m), range(n)):
            total = sum(a[(*ia, i, p)].item() * b[(*ib, p, j)].item() for p in range(k))
            out[(*index, i, j)] = total if el.startswith("f") else wrap(total, el)
    return out
