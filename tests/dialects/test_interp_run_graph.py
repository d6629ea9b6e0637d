"""The graph reference interpreter: run_graph: calls between functions, argument checks.

Expected values come from plain Python loops over indices or hand-computed numbers, not
from the NumPy calls the interpreter makes."""

from __future__ import annotations


import numpy as np
import pytest

from tessera.dialects.graph_interp import run_graph

from interp_helpers import close, parse

# --------------------------------------------------------------------------------------
# run_graph
# --------------------------------------------------------------------------------------

CALLS = """
func.func @square(%x: tensor<3xf32>) -> tensor<3xf32> {
  %r = graph.mul %x, %x : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  func.return %r : tensor<3xf32>
}
func.func @main(%x: tensor<3xf32>, %y: tensor<3xi32>) -> (tensor<3xf32>, tensor<3xi32>) {
  %s = func.call @square(%x) : (tensor<3xf32>) -> tensor<3xf32>
  %t = func.call @square(%s) : (tensor<3xf32>) -> tensor<3xf32>
  func.return %t, %y : tensor<3xf32>, tensor<3xi32>
}
"""


def test_run_graph_calls_between_functions_and_converts_arguments():
    module = parse(CALLS)
    x = [1.0, -2.0, 0.5]  # a list of Python floats: converted to f32
    t, y = run_graph(module, "main", [np.array(x), np.array([1, 2, 3])])
    close(t, [v**4 for v in x], "f32")
    close(y, [1, 2, 3], "i32")


@pytest.mark.parametrize(
    "entry,args,message",
    [
        ("nope", [], r"no function @nope in the module \(it has @square, @main\)"),
        ("main", [np.zeros(3, np.float32)], r"@main takes 2 arguments, 1 given"),
        ("square", [np.zeros(4, np.float32)], r"argument 0 has shape \[4\]"),
        ("main", [np.zeros(3), np.zeros(3)], r"argument 1 has dtype float64"),
        ("main", [np.zeros(3), np.array([1, 2, 2**40])], r"argument 1 has values that do not fit"),
    ],
)
def test_run_graph_rejects_bad_arguments(entry, args, message):
    with pytest.raises(ValueError, match=message):
        run_graph(parse(CALLS), entry, args)


# --------------------------------------------------------------------------------------
