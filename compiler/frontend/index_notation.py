"""Index notation (Tensor Comprehensions style) -> `graph.contract`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap

from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.frontend import syntax as S
from tessera.compiler.frontend.values import (
    BINOPS,
    COMBINE_KINDS,
    Literal,
    loc_attr,
    name_hint,
    type_text,
)
from tessera.dialects import graph as G
from tessera.dialects import scalar

if TYPE_CHECKING:
    from tessera.compiler.frontend.builder import FunctionBuilder


# Scalar functions allowed on the right of index notation.
SCALAR_CALLS = {"exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "max", "min"}


class IndexNotation:
    """`c[i, j] +=! a[i, k] * b[k, j]` -> graph.contract."""

    def __init__(self, fb: FunctionBuilder, stmt: S.IndexStmt):
        self.fb = fb
        self.stmt = stmt
        self.extent: dict[str, tuple[int, str, S.Pos]] = {}
        self.inputs: list[tuple[str, tuple[str, ...]]] = []
        self.values: list[SSAValue] = []
        self.element_type: Attribute | None = None

    def error(self, pos: S.Pos, message: str) -> TesseraError:
        return self.fb.error(pos, message)

    def build(self) -> SSAValue:
        st = self.stmt
        if len(set(st.indices)) != len(st.indices):
            dup = next(i for i in st.indices if st.indices.count(i) > 1)
            raise self.error(st.pos, f"index '{dup}' appears twice on the left of '{st.combine}'")
        self.collect(st.value)
        if self.element_type is None:
            raise self.error(st.value.pos, "index notation needs at least one tensor on the right")
        for idx, pos in zip(st.indices, st.index_pos):
            if idx not in self.extent:
                raise self.error(
                    pos, f"index '{idx}' of '{st.name}' does not appear on the right-hand side"
                )
        reduced = [i for i in self.extent if i not in st.indices]
        kind = COMBINE_KINDS[st.combine]
        if kind == "assign" and reduced:
            raise self.error(
                st.pos,
                f"index '{reduced[0]}' appears only on the right; reduce it with '+=!', "
                "'*=!', 'max=!' or 'min=!'",
            )
        order = [*st.indices, *reduced]
        position = {name: i for i, name in enumerate(order)}
        maps = [
            AffineMap(len(order), 0, tuple(AffineExpr.dimension(position[i]) for i in idx))
            for _, idx in self.inputs
        ]
        region, block = G.contract_body([self.element_type] * len(self.inputs))
        self.block = block
        for arg, (name, _) in zip(block.args, self.inputs):
            arg.name_hint = name_hint(name)
        result = self.scalar(st.value)
        self.body_op(G.YieldOp(result), st.pos)
        dims = [self.extent[i][0] for i in order]
        out_type = TensorType(self.element_type, dims[: len(st.indices)])
        # The module is verified as a whole once built (tsr_to_module).
        op = G.ContractOp(self.values, maps, dims, kind, out_type, region)
        return self.fb.emit(op, st.pos, st.name)

    def collect(self, e: S.Expr) -> None:
        if isinstance(e, S.Access):
            self.access(e.name, e.indices, e.index_pos, e.pos)
        elif isinstance(e, S.Var):
            v = self.fb.lookup(e.name, e.pos)
            if isinstance(v, SSAValue):
                if G.shape_of(v.type):
                    raise self.error(
                        e.pos, f"tensor '{e.name}' needs indices in index notation, e.g. "
                        f"{e.name}[{', '.join('ijklmn'[: len(G.shape_of(v.type))])}]"
                    )
                self.access(e.name, [], [], e.pos)
        elif isinstance(e, S.BinOp):
            if e.op == "@":
                raise self.error(e.pos, "'@' is not allowed in index notation; write the sum")
            self.collect(e.lhs)
            self.collect(e.rhs)
        elif isinstance(e, S.Neg):
            self.collect(e.operand)
        elif isinstance(e, S.Call):
            if e.name not in SCALAR_CALLS:
                raise self.error(
                    e.pos,
                    f"'{e.name}' is not allowed in index notation "
                    f"(allowed: {', '.join(sorted(SCALAR_CALLS))})",
                )
            if e.kwargs:
                raise self.error(e.pos, f"'{e.name}' takes no keyword arguments here")
            want = 2 if e.name in ("max", "min") else 1
            if len(e.args) != want:
                raise self.error(e.pos, f"'{e.name}' takes {want} argument(s) here")
            for a in e.args:
                self.collect(a)
        elif isinstance(e, S.ListExpr):
            raise self.error(e.pos, "a list is not allowed in index notation")

    def access(self, name: str, indices: Sequence[str], index_pos, pos: S.Pos) -> None:
        v = self.fb.lookup(name, pos)
        if isinstance(v, Literal):
            raise self.error(pos, f"'{name}' is a number and cannot be indexed")
        shape = G.shape_of(v.type)
        if len(indices) != len(shape):
            raise self.error(
                pos,
                f"'{name}' has rank {len(shape)} ({type_text(v.type)}) but is indexed "
                f"with {len(indices)} index(es)",
            )
        if self.element_type is None:
            self.element_type = v.type.element_type
        elif v.type.element_type != self.element_type:
            raise self.error(
                pos,
                f"'{name}' has element type {G.type_name(v.type.element_type)} but the "
                f"expression uses {G.type_name(self.element_type)}",
            )
        for idx, size, ipos in zip(indices, shape, index_pos):
            if idx in self.extent and self.extent[idx][0] != size:
                prev_size, prev_name, _ = self.extent[idx]
                raise self.error(
                    ipos,
                    f"index '{idx}' ranges over {size} in '{name}' but over {prev_size} "
                    f"in '{prev_name}'",
                )
            self.extent.setdefault(idx, (size, name, ipos))
        key = (name, tuple(indices))
        if key not in self.inputs:
            self.inputs.append(key)
            self.values.append(v)

    def number(self, lit: Literal) -> SSAValue:
        """A number in the body, of the expression's element type (located errors unless
        it fits)."""
        et = self.element_type
        if isinstance(lit.value, float) and not G.is_float(et):
            raise self.error(lit.pos, f"the number {lit.value} is not an integer but the "
                             f"expression is {G.type_name(et)}")
        self.fb.check_range(lit, et)
        return self.body_op(scalar.constant(lit.value, et), lit.pos)

    def body_op(self, op: Operation, pos: S.Pos) -> SSAValue | None:
        op.location = loc_attr(self.fb.m.loc(pos))
        self.block.add_op(op)
        return op.results[0] if op.results else None

    def body_ops(self, ops: list[Operation], pos: S.Pos) -> SSAValue:
        for op in ops:
            self.body_op(op, pos)
        return ops[-1].results[0]

    def scalar(self, e: S.Expr) -> SSAValue:
        et = self.element_type
        if isinstance(e, S.Var) and isinstance(number := self.fb.lookup(e.name, e.pos), Literal):
            return self.number(Literal(number.value, e.pos))  # a name bound to a number
        if isinstance(e, S.Number):
            return self.number(Literal(e.value, e.pos))
        if isinstance(e, S.Access | S.Var):
            indices = tuple(e.indices) if isinstance(e, S.Access) else ()
            return self.block.args[self.inputs.index((e.name, indices))]
        if isinstance(e, S.BinOp):
            lhs, rhs = self.scalar(e.lhs), self.scalar(e.rhs)
            return self.body_ops(scalar.binary(BINOPS[e.op], lhs, rhs), e.pos)
        if isinstance(e, S.Neg):
            return self.body_ops(scalar.unary("neg", self.scalar(e.operand)), e.pos)
        if isinstance(e, S.Call):
            args = [self.scalar(a) for a in e.args]
            if e.name in ("max", "min"):
                return self.body_ops(scalar.binary(e.name, *args), e.pos)
            if e.name in scalar.FLOAT_ONLY_UNARY and not G.is_float(et):
                raise self.error(e.pos, f"'{e.name}' needs floating-point values, got "
                                 f"{G.type_name(et)}")
            return self.body_ops(scalar.unary(e.name, args[0]), e.pos)
        raise AssertionError(f"unexpected expression {e!r}")
