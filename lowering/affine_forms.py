"""Affine index maps as linear forms: the indexing analysis the schedule pass relies on.

A linalg op can be scheduled when every index of every operand is a linear function of the
loop dimensions (`d0 * 2 + d4`, `d1 + 3`); reshapes, indexed with floordiv/mod, cannot.
"""

from __future__ import annotations

from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineMap,
)



def linear_coefficients(expr: AffineExpr, ndims: int) -> tuple[list[int], int] | None:
    """(coefficient per dimension, constant) of an affine expression, None if not linear."""
    if isinstance(expr, AffineDimExpr):
        coeffs = [0] * ndims
        coeffs[expr.position] = 1
        return coeffs, 0
    if isinstance(expr, AffineConstantExpr):
        return [0] * ndims, expr.value
    if isinstance(expr, AffineBinaryOpExpr):
        lhs = linear_coefficients(expr.lhs, ndims)
        rhs = linear_coefficients(expr.rhs, ndims)
        if lhs is None or rhs is None:
            return None
        if expr.kind == AffineBinaryOpKind.Add:
            return [a + b for a, b in zip(lhs[0], rhs[0])], lhs[1] + rhs[1]
        if expr.kind == AffineBinaryOpKind.Mul:
            if not any(rhs[0]):
                return [a * rhs[1] for a in lhs[0]], lhs[1] * rhs[1]
            if not any(lhs[0]):
                return [b * lhs[1] for b in rhs[0]], lhs[1] * rhs[1]
    return None


def linear_map(amap: AffineMap) -> list[tuple[list[int], int]] | None:
    forms = [linear_coefficients(e, amap.num_dims) for e in amap.results]
    return None if any(f is None for f in forms) else forms  # type: ignore[return-value]


def plain_dims(amap: AffineMap) -> tuple[int, ...] | None:
    """The dimension of each result when every result is one plain dimension, else None."""
    if all(isinstance(e, AffineDimExpr) for e in amap.results):
        return tuple(e.position for e in amap.results)  # type: ignore[union-attr]
    return None
