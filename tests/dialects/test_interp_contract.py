"""The graph reference interpreter: graph.contract (index notation).

Expected values come from plain Python loops over indices or hand-computed numbers, not
from the NumPy calls the interpreter makes."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest

from tessera.dialects import contract_interp

from interp_helpers import (
    close,
    data,
    loop_matmul,
    run1,
    ttype,
    wrap,
)

# --------------------------------------------------------------------------------------
# graph.contract
# --------------------------------------------------------------------------------------


def contract_text(inputs, out, dims, maps, kind, body, el_out):
    params = ", ".join(f"%a{i}: {t}" for i, (t, _) in enumerate(inputs))
    names = ", ".join(f"%a{i}" for i in range(len(inputs)))
    types = ", ".join(t for t, _ in inputs)
    args = ", ".join(f"%x{i}: {el}" for i, (_, el) in enumerate(inputs))
    maps = ", ".join(f"affine_map<{m}>" for m in maps)
    dims = ", ".join(map(str, dims))
    body = "\n".join("        " + line for line in body.strip().splitlines())
    return f"""
    func.func @f({params}) -> {ttype(out, el_out)} {{
      %r = graph.contract {names} {{dims = array<i64: {dims}>, indexing_maps = [{maps}], kind = "{kind}"}} : ({types}) -> {ttype(out, el_out)} {{
      ^bb0({args}):
{body}
      }}
      func.return %r : {ttype(out, el_out)}
    }}
    """


MATMUL_BODY = """
%p = arith.mulf %x0, %x1 : f32
graph.yield %p : f32
"""


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (4, 3, 5), (7, 13, 2)])
def test_contract_matmul(m, k, n):
    a, b = data((m, k), "f32"), data((k, n), "f32")
    text = contract_text(
        [(ttype((m, k), "f32"), "f32"), (ttype((k, n), "f32"), "f32")],
        (m, n),
        (m, n, k),
        ["(i, j, k) -> (i, k)", "(i, j, k) -> (k, j)"],
        "add",
        MATMUL_BODY,
        "f32",
    )
    close(run1(text, a, b), loop_matmul(a, b, "f32"), "f32")


def test_contract_assign_broadcast_and_constant():
    # c[i, j] = max(a[i, j] + b[j], 0.5)
    a, b = data((3, 5), "f64"), data((5,), "f64")
    text = contract_text(
        [(ttype((3, 5), "f64"), "f64"), (ttype((5,), "f64"), "f64")],
        (3, 5),
        (3, 5),
        ["(i, j) -> (i, j)", "(i, j) -> (j)"],
        "assign",
        """
        %h = arith.constant 0.5 : f64
        %s = arith.addf %x0, %x1 : f64
        %r = arith.maximumf %s, %h : f64
        graph.yield %r : f64
        """,
        "f64",
    )
    expected = [[max(a[i, j] + b[j], 0.5) for j in range(5)] for i in range(3)]
    close(run1(text, a, b), expected, "f64")


def test_contract_scalar_input_and_constant_body():
    scaled = contract_text(
        [(ttype((3,), "f32"), "f32"), (ttype((), "f32"), "f32")],
        (3,),
        (3,),
        ["(i) -> (i)", "(i) -> ()"],
        "assign",
        """
        %p = arith.mulf %x0, %x1 : f32
        graph.yield %p : f32
        """,
        "f32",
    )
    close(run1(scaled, np.array([1, 2, -3], np.float32), np.float32(2.5)), [2.5, 5, -7.5], "f32")
    # A body that reads no argument still fills (and here reduces over) the whole space.
    counted = contract_text(
        [(ttype((3, 4), "i32"), "i32")], (2,), (2, 3, 4), ["(i, j, k) -> (j, k)"], "add",
        """
        %one = arith.constant 1 : i32
        graph.yield %one : i32
        """,
        "i32",
    )
    close(run1(counted, data((3, 4), "i32")), [12, 12], "i32")


def test_contract_trace_and_diagonal():
    a = data((5, 5), "i32")
    trace = contract_text(
        [(ttype((5, 5), "i32"), "i32")], (), (5,), ["(i) -> (i, i)"], "add",
        "graph.yield %x0 : i32", "i32",
    )
    close(run1(trace, a), sum(int(a[i, i]) for i in range(5)), "i32")
    diagonal = contract_text(
        [(ttype((5, 5), "i32"), "i32")], (5,), (5,), ["(i) -> (i, i)"], "assign",
        "graph.yield %x0 : i32", "i32",
    )
    close(run1(diagonal, a), [a[i, i] for i in range(5)], "i32")


@pytest.mark.parametrize("kind", ["max", "min", "mul", "add"])
def test_contract_kinds(kind):
    a = data((3, 4), "f32")
    text = contract_text(
        [(ttype((3, 4), "f32"), "f32")], (3,), (3, 4), ["(i, k) -> (i, k)"], kind,
        "graph.yield %x0 : f32", "f32",
    )
    combine = {"max": max, "min": min, "mul": math.prod, "add": sum}[kind]
    close(run1(text, a), [combine(float(v) for v in row) for row in a], "f32")


@pytest.mark.parametrize("kind", ["add", "max"])
def test_contract_several_reduction_dims(kind):
    # c[j] over i and k of a[i, j, k]: the output dimension sits between two reductions of
    # the input, and both trailing dimensions of the space reduce.
    a = data((3, 2, 5), "f64")
    text = contract_text(
        [(ttype((3, 2, 5), "f64"), "f64")], (2,), (2, 3, 5), ["(j, i, k) -> (i, j, k)"], kind,
        "graph.yield %x0 : f64", "f64",
    )
    combine = {"max": max, "add": sum}[kind]
    expected = [combine(float(a[i, j, k]) for i in range(3) for k in range(5)) for j in range(2)]
    close(run1(text, a), expected, "f64")


CMPF = {
    "false": lambda x, y: False,
    "oeq": lambda x, y: x == y,
    "ogt": lambda x, y: x > y,
    "oge": lambda x, y: x >= y,
    "olt": lambda x, y: x < y,
    "ole": lambda x, y: x <= y,
    "one": lambda x, y: not math.isnan(x) and not math.isnan(y) and x != y,
    "ord": lambda x, y: not math.isnan(x) and not math.isnan(y),
    "ueq": lambda x, y: math.isnan(x) or math.isnan(y) or x == y,
    "ugt": lambda x, y: math.isnan(x) or math.isnan(y) or x > y,
    "uge": lambda x, y: math.isnan(x) or math.isnan(y) or x >= y,
    "ult": lambda x, y: math.isnan(x) or math.isnan(y) or x < y,
    "ule": lambda x, y: math.isnan(x) or math.isnan(y) or x <= y,
    "une": lambda x, y: math.isnan(x) or math.isnan(y) or x != y,
    "uno": lambda x, y: math.isnan(x) or math.isnan(y),
    "true": lambda x, y: True,
}


@pytest.mark.parametrize("predicate", sorted(CMPF))
def test_contract_cmpf_predicates_with_nan(predicate):
    values = [float("nan"), -1.0, 0.0, 2.5]
    a = np.array([x for x in values for _ in values], dtype=np.float32)
    b = np.array([y for _ in values for y in values], dtype=np.float32)
    text = contract_text(
        [(ttype((16,), "f32"), "f32"), (ttype((16,), "f32"), "f32")],
        (16,),
        (16,),
        ["(i) -> (i)", "(i) -> (i)"],
        "assign",
        f"""
        %c = arith.cmpf {predicate}, %x0, %x1 : f32
        %one = arith.constant 1 : i32
        %zero = arith.constant 0 : i32
        %r = arith.select %c, %one, %zero : i32
        graph.yield %r : i32
        """,
        "i32",
    )
    expected = [int(CMPF[predicate](float(x), float(y))) for x, y in zip(a, b)]
    close(run1(text, a, b), expected, "i32")


@pytest.mark.parametrize(
    "predicate", ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
)
def test_contract_cmpi_predicates(predicate):
    values = [-128, -1, 0, 1, 127]
    a = np.array([x for x in values for _ in values], dtype=np.int8)
    b = np.array([y for _ in values for y in values], dtype=np.int8)
    text = contract_text(
        [(ttype((25,), "i8"), "i8"), (ttype((25,), "i8"), "i8")],
        (25,),
        (25,),
        ["(i) -> (i)", "(i) -> (i)"],
        "assign",
        f"""
        %c = arith.cmpi {predicate}, %x0, %x1 : i8
        %r = arith.extui %c : i1 to i8
        graph.yield %r : i8
        """,
        "i8",
    )
    unsigned = predicate.startswith("u")
    ops = {
        "eq": operator.eq, "ne": operator.ne, "lt": operator.lt,
        "le": operator.le, "gt": operator.gt, "ge": operator.ge,
    }
    compare = ops[predicate[1:] if predicate[0] in "su" else predicate]
    expected = []
    for x, y in zip(a.tolist(), b.tolist()):
        if unsigned:
            x, y = x % 256, y % 256
        expected.append(int(compare(x, y)))
    close(run1(text, a, b), expected, "i8")


def test_contract_empty_reduction_leaves_the_identity():
    # c[i] = kind over k of a[i] * e[k], with e empty: each kind's identity.
    a, e = np.array([1.5, -2.0, 3.0], dtype=np.float32), np.zeros((0,), dtype=np.float32)
    expected = {"add": 0.0, "mul": 1.0, "max": -np.inf, "min": np.inf}
    for kind, identity in expected.items():
        text = contract_text(
            [(ttype((3,), "f32"), "f32"), (ttype((0,), "f32"), "f32")],
            (3,),
            (3, 0),
            ["(i, k) -> (i)", "(i, k) -> (k)"],
            kind,
            MATMUL_BODY,
            "f32",
        )
        close(run1(text, a, e), [identity] * 3, "f32")


def test_contract_integer_body_wraps_and_truncates():
    # c[i] +=! a[i, k] * 3 / b[k] in i8: each product wraps, each quotient truncates.
    a = np.array([[100, -7], [50, 9]], dtype=np.int8)
    b = np.array([2, -2], dtype=np.int8)
    text = contract_text(
        [(ttype((2, 2), "i8"), "i8"), (ttype((2,), "i8"), "i8")],
        (2,),
        (2, 2),
        ["(i, k) -> (i, k)", "(i, k) -> (k)"],
        "add",
        """
        %three = arith.constant 3 : i8
        %p = arith.muli %x0, %three : i8
        %q = arith.divsi %p, %x1 : i8
        graph.yield %q : i8
        """,
        "i8",
    )
    expected = []
    for i in range(2):
        total = 0
        for k in range(2):
            p = wrap(int(a[i, k]) * 3, "i8")
            total += int(p / int(b[k]))
        expected.append(wrap(total, "i8"))
    close(run1(text, a, b), expected, "i8")


def test_contract_compare_select_and_math():
    # c[i] = min over k of (a[i,k] < b[k] ? exp(a[i,k]) : sqrt(|b[k]|))
    a, b = data((4, 3), "f32"), data((3,), "f32")
    text = contract_text(
        [(ttype((4, 3), "f32"), "f32"), (ttype((3,), "f32"), "f32")],
        (4,),
        (4, 3),
        ["(i, k) -> (i, k)", "(i, k) -> (k)"],
        "min",
        """
        %lt = arith.cmpf olt, %x0, %x1 : f32
        %e = math.exp %x0 : f32
        %m = math.absf %x1 : f32
        %s = math.sqrt %m : f32
        %v = arith.select %lt, %e, %s : f32
        graph.yield %v : f32
        """,
        "f32",
    )
    expected = [
        min(
            math.exp(a[i, k]) if a[i, k] < b[k] else math.sqrt(abs(float(b[k])))
            for k in range(3)
        )
        for i in range(4)
    ]
    close(run1(text, a, b), expected, "f32")


@pytest.mark.parametrize("limit", [1, 7, 40, 10**9])
def test_contract_chunking_gives_the_same_result(monkeypatch, limit):
    monkeypatch.setattr(contract_interp, "CONTRACT_CHUNK_ELEMENTS", limit)
    a, b = data((5, 6), "f32"), data((6, 3), "f32")
    matmul = contract_text(
        [(ttype((5, 6), "f32"), "f32"), (ttype((6, 3), "f32"), "f32")],
        (5, 3),
        (5, 3, 6),
        ["(i, j, k) -> (i, k)", "(i, j, k) -> (k, j)"],
        "add",
        MATMUL_BODY,
        "f32",
    )
    close(run1(matmul, a, b), loop_matmul(a, b, "f32"), "f32")
    # A rank-0 output: the leading dimension is a reduction and partial results fold.
    total_max = contract_text(
        [(ttype((5, 6), "f32"), "f32")], (), (5, 6), ["(i, j) -> (i, j)"], "max",
        "graph.yield %x0 : f32", "f32",
    )
    close(run1(total_max, a), max(float(v) for v in a.flat), "f32")
