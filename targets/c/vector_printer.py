"""Printing the xDSL `vector` ops (load, store, broadcast, fma, insert, extract) as C.

Mixed into the C emitter's function printer (see emitter.py for the vector model: GCC/Clang
vector types, memcpy moves, lanes indexed modulo N); it supplies `line`, `ref`,
`declare_name`, `lanes`, `vector_type`, `lanes_address` and `writable`.
"""

from __future__ import annotations

from xdsl.dialects import vector
from xdsl.dialects.builtin import VectorType

from tessera.compiler.diagnostics import TesseraError
from tessera.targets.c.signatures import C_TYPES, vector_layout


class VectorPrinter:
    """The vector half of the C function printer."""

    def print_vector_load(self, op: vector.LoadOp) -> None:
        key, lanes = vector_layout(op.result.type, op)
        t = self.vector_type(key, lanes)
        address = self.lanes_address(op.base, op.indices, lanes, op)
        name = self.declare_name(op.result)
        self.line(f"{t} {name};")
        self.line(f"memcpy(&{name}, {address}, sizeof({t}));")

    def print_vector_store(self, op: vector.StoreOp) -> None:
        self.writable(op.base, op)
        key, lanes = vector_layout(op.vector.type, op)
        t = self.vector_type(key, lanes)
        address = self.lanes_address(op.base, op.indices, lanes, op)
        self.line(f"memcpy({address}, &{self.ref(op.vector)}, sizeof({t}));")

    def print_vector_broadcast(self, op: vector.BroadcastOp) -> None:
        key, lanes = vector_layout(op.vector.type, op)
        t = self.vector_type(key, lanes)
        source_lanes = self.lanes(op.source, op)
        if source_lanes == lanes:
            value = self.ref(op.source)  # vector to the same vector: a copy
        elif source_lanes is None:
            value = "{" + ", ".join([self.ref(op.source)] * lanes) + "}"
        elif source_lanes == 1:
            value = "{" + ", ".join([f"{self.ref(op.source)}[0]"] * lanes) + "}"
        else:
            raise TesseraError.at_op(
                op, f"c target: cannot broadcast {op.source.type} to {op.vector.type}")
        self.line(f"const {t} {self.declare_name(op.vector)} = {value};")

    def print_vector_fma(self, op: vector.FMAOp) -> None:
        key, lanes = vector_layout(op.res.type, op)
        t = self.vector_type(key, lanes)
        a, b, c = self.ref(op.lhs), self.ref(op.rhs), self.ref(op.acc)
        self.line(f"const {t} {self.declare_name(op.res)} = {a} * {b} + {c};")

    def lane(self, op: vector.InsertOp | vector.ExtractOp, lanes: int) -> str | None:
        """The one lane a 1-D insert/extract names, as C; None for an empty position."""
        positions = op.get_mixed_position()
        if not positions:
            return None
        position = positions[0]
        if isinstance(position, int):
            if not 0 <= position < lanes:
                t = op.vector.type if isinstance(op, vector.ExtractOp) else op.dest.type
                raise TesseraError.at_op(op, f"c target: lane {position} is not in {t}")
            return str(position)
        # MLIR calls an out-of-range position poison; a masked index keeps C defined.
        return f"(uint64_t){self.ref(position)} & {lanes - 1}u"

    def print_vector_insert(self, op: vector.InsertOp) -> None:
        key, lanes = vector_layout(op.result.type, op)
        t = self.vector_type(key, lanes)
        position = self.lane(op, lanes)
        if position is None:  # the whole vector
            self.line(f"const {t} {self.declare_name(op.result)} = {self.ref(op.source)};")
            return
        if self.lanes(op.source, op) is not None:
            raise TesseraError.at_op(op, "c target: 'vector.insert' of a vector into a "
                                     "1-D vector")
        dest = self.ref(op.dest)
        name = self.declare_name(op.result)
        self.line(f"{t} {name} = {dest};")
        self.line(f"{name}[{position}] = {self.ref(op.source)};")

    def print_vector_extract(self, op: vector.ExtractOp) -> None:
        key, lanes = vector_layout(op.vector.type, op)
        position = self.lane(op, lanes)
        if position is None:
            t = self.vector_type(key, lanes)
            self.line(f"const {t} {self.declare_name(op.result)} = {self.ref(op.vector)};")
            return
        if isinstance(op.result.type, VectorType):
            raise TesseraError.at_op(op, "c target: 'vector.extract' of a vector from a "
                                     "1-D vector")
        t = C_TYPES[key]
        self.line(f"const {t} {self.declare_name(op.result)} = "
                  f"{self.ref(op.vector)}[{position}];")
