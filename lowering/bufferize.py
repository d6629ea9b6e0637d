"""`bufferize`: linalg on tensors → linalg on memrefs.

A deliberately simple one-shot bufferization for statically shaped, single-block functions in
destination-passing style:

- Tensor arguments become memref arguments; tensor results become trailing output arguments
  marked `{tessera.out}`, which the function writes and the caller allocates.
- `tensor.empty` becomes `memref.alloc`; a dense tensor constant becomes a private constant
  `memref.global` read with `memref.get_global`; a linalg op writes into the buffer of its
  `outs` operand and has no results.
- A linalg op writes its `outs` buffer in place only when that is invisible: the tensor it
  overwrites is not read afterwards, is not also an input of the op, and is not a function
  argument or a constant. Otherwise the op writes a fresh buffer (a copy of the old contents,
  unless they came from `tensor.empty` and are undefined anyway).
- A returned value lands in its output argument: when it lives in a local allocation, that
  allocation *is* the output argument; otherwise it is copied there (`memref.copy`).
- Every allocation left is freed (`memref.dealloc`) just before the return.

Every new op takes the location of the op it replaces, so later errors still point at the
user's source.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref, tensor
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseIntOrFPElementsAttr,
    DictionaryAttr,
    FunctionType,
    MemRefType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    TensorType,
    UnitAttr,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Attribute, Block, BlockArgument, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tessera.compiler.diagnostics import TesseraError

OUT_ATTR = "tessera.out"
"""The argument attribute that marks an output buffer (a former tensor result)."""


def memref_type_for(op: Operation, tensor_type: TensorType) -> MemRefType:
    """The identity-layout memref type with `tensor_type`'s shape and element type."""
    shape = tensor_type.get_shape()
    if any(dim < 0 for dim in shape):
        raise TesseraError.at_op(
            op, f"bufferize: dynamic shapes are not supported ({tensor_type})"
        )
    return MemRefType(tensor_type.get_element_type(), shape)


def is_out_param(fn: func.FuncOp, index: int) -> bool:
    """Whether argument `index` of `fn` is an output buffer written by the function."""
    if fn.arg_attrs is None or index >= len(fn.arg_attrs.data):
        return False
    return OUT_ATTR in fn.arg_attrs.data[index].data


def _is_linalg(op: Operation) -> bool:
    return isinstance(op, LinalgStructuredOperation | linalg.BroadcastOp | linalg.ReduceOp)


def _linalg_inputs_outputs(
    op: Operation,
) -> tuple[tuple[SSAValue, ...], tuple[SSAValue, ...]]:
    if isinstance(op, linalg.BroadcastOp | linalg.ReduceOp):
        return (op.input,), (op.init,)
    assert isinstance(op, LinalgStructuredOperation)
    return tuple(op.inputs), tuple(op.outputs)


def _has_tensors(op: Operation) -> bool:
    return any(isinstance(t, TensorType) for t in (*op.operand_types, *op.result_types))


class _Globals:
    """Private constant `memref.global`s for dense tensor constants, one per distinct value."""

    def __init__(self, module: ModuleOp):
        self.module = module
        self.taken = {
            op.sym_name.data
            for op in module.body.block.ops
            if isinstance(getattr(op, "sym_name", None), StringAttr)
        }
        self.by_value: dict[tuple[MemRefType, DenseIntOrFPElementsAttr], str] = {}
        self.last: Operation | None = None

    def get(
        self, value: DenseIntOrFPElementsAttr, buffer_type: MemRefType, loc: Attribute
    ) -> str:
        """The name of the global holding `value`, created on first use."""
        key = (buffer_type, value)
        if key in self.by_value:
            return self.by_value[key]
        shape = "x".join(str(d) for d in buffer_type.get_shape())
        element = buffer_type.get_element_type()
        base = f"__constant_{shape}x{element}" if shape else f"__constant_{element}"
        name, suffix = base, 0
        while name in self.taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        self.taken.add(name)
        glob = memref.GlobalOp.get(
            StringAttr(name),
            buffer_type,
            value,
            sym_visibility=StringAttr("private"),
            constant=UnitAttr(),
        )
        glob.location = loc
        # Globals go first in the module, in the order they are met.
        block = self.module.body.block
        if self.last is not None:
            Rewriter.insert_op(glob, InsertPoint.after(self.last))
        else:
            Rewriter.insert_op(glob, InsertPoint.at_start(block))
        self.last = glob
        self.by_value[key] = name
        return name


class _FunctionBufferizer:
    def __init__(self, fn: func.FuncOp, globals_: _Globals):
        self.fn = fn
        self.globals = globals_
        self.buffer: dict[SSAValue, SSAValue] = {}
        # Buffers that must never be written: function inputs and constants.
        self.read_only: set[SSAValue] = set()
        self.position: dict[Operation, int] = {}
        self.block: Block | None = None
        # The allocations made here, in order; each is freed before the return unless it
        # became an output argument.
        self.allocs: list[memref.AllocOp] = []

    # -- helpers -------------------------------------------------------------------------

    def _top_level(self, op: Operation) -> Operation | None:
        while op is not None and op.parent_block() is not self.block:
            op = op.parent_op()
        return op

    def _read_after(self, value: SSAValue, op: Operation) -> bool:
        """Whether `value` is used by an op after `op` in the function body."""
        here = self.position[op]
        for use in value.uses:
            user = self._top_level(use.operation)
            if user is not None and user in self.position and self.position[user] > here:
                return True
        return False

    def _alloc(
        self, tensor_type: TensorType, before: Operation, name: str | None = None
    ) -> SSAValue:
        alloc = memref.AllocOp([], [], memref_type_for(before, tensor_type))
        alloc.memref.name_hint = name
        alloc.location = before.location
        Rewriter.insert_op(alloc, InsertPoint.before(before))
        self.allocs.append(alloc)
        return alloc.memref

    def _buffer_of(self, value: SSAValue, user: Operation) -> SSAValue:
        if value not in self.buffer:
            raise TesseraError.at_op(
                user, f"bufferize: no buffer for a tensor operand of '{user.name}'"
            )
        return self.buffer[value]

    def _map(self, value: SSAValue, user: Operation) -> SSAValue:
        return self._buffer_of(value, user) if isinstance(value.type, TensorType) else value

    def _destination(
        self, init: SSAValue, op: Operation, inputs: tuple[SSAValue, ...], claimed: set
    ) -> SSAValue:
        """The buffer `op` may overwrite to produce the value that replaces `init`."""
        current = self._buffer_of(init, op)
        overwrite_visible = (
            current in self.read_only
            or init in inputs
            or init in claimed
            or self._read_after(init, op)
        )
        claimed.add(init)
        if not overwrite_visible:
            return current
        assert isinstance(init.type, TensorType)
        fresh = self._alloc(init.type, op)
        if not isinstance(init.owner, tensor.EmptyOp):
            copy = memref.CopyOp(current, fresh)
            copy.location = op.location
            Rewriter.insert_op(copy, InsertPoint.before(op))
        return fresh

    # -- ops -----------------------------------------------------------------------------

    def _empty(self, op: tensor.EmptyOp) -> None:
        if op.dynamic_sizes:
            raise TesseraError.at_op(op, "bufferize: dynamic shapes are not supported")
        self.buffer[op.tensor] = self._alloc(op.tensor.type, op, op.tensor.name_hint)

    def _constant(self, op: arith.ConstantOp) -> None:
        value = op.value
        assert isinstance(op.result.type, TensorType)
        if not isinstance(value, DenseIntOrFPElementsAttr):
            raise TesseraError.at_op(
                op, f"bufferize: unsupported tensor constant {value}"
            )
        if len(value) == 1 and (count := value.type.element_count()) != 1:
            # A splat stored as its one element (graph-fold makes them so, free whatever the
            # shape): a global's initializer lists every element.
            value = DenseIntOrFPElementsAttr(value.type, type(value.data)(value.data.data * count))
        buffer_type = memref_type_for(op, op.result.type)
        name = self.globals.get(value, buffer_type, op.location)
        get = memref.GetGlobalOp(SymbolRefAttr(name), buffer_type)
        get.location = op.location
        Rewriter.insert_op(get, InsertPoint.before(op))
        self.buffer[op.result] = get.memref
        self.read_only.add(get.memref)

    def _extract(self, op: tensor.ExtractOp) -> None:
        load = memref.LoadOp.get(self._buffer_of(op.tensor, op), op.indices)
        load.location = op.location
        Rewriter.insert_op(load, InsertPoint.before(op))
        op.result.replace_all_uses_with(load.res)

    def _insert_slice(self, op: tensor.InsertSliceOp) -> None:
        """The source copied into a static subview of the destination's buffer."""
        if op.offsets or op.sizes or op.strides:
            raise TesseraError.at_op(op, "bufferize: dynamic slices are not supported")
        dest = self._destination(op.dest, op, (op.source,), set())
        dest_type = dest.type
        assert isinstance(dest_type, MemRefType)
        subview = memref.SubviewOp.from_static_parameters(
            dest,
            dest_type,
            list(op.static_offsets.get_values()),
            list(op.static_sizes.get_values()),
            list(op.static_strides.get_values()),
        )
        copy = memref.CopyOp(self._buffer_of(op.source, op), subview.result)
        for new in (subview, copy):
            new.location = op.location
            Rewriter.insert_op(new, InsertPoint.before(op))
        self.buffer[op.result] = dest

    def _extract_slice(self, op: tensor.ExtractSliceOp) -> None:
        """A static subview of the source's buffer copied into a fresh buffer (so that the
        value has an identity layout, as every other buffer does)."""
        if op.offsets or op.sizes or op.strides:
            raise TesseraError.at_op(op, "bufferize: dynamic slices are not supported")
        source = self._buffer_of(op.source, op)
        source_type = source.type
        assert isinstance(source_type, MemRefType) and isinstance(op.result.type, TensorType)
        subview = memref.SubviewOp.from_static_parameters(
            source,
            source_type,
            list(op.static_offsets.get_values()),
            list(op.static_sizes.get_values()),
            list(op.static_strides.get_values()),
        )
        subview.location = op.location
        Rewriter.insert_op(subview, InsertPoint.before(op))
        fresh = self._alloc(op.result.type, op, op.result.name_hint)
        copy = memref.CopyOp(subview.result, fresh)
        copy.location = op.location
        Rewriter.insert_op(copy, InsertPoint.before(op))
        self.buffer[op.result] = fresh

    def _linalg(self, op: Operation) -> None:
        inputs, outputs = _linalg_inputs_outputs(op)
        new_inputs = [self._map(v, op) for v in inputs]
        claimed: set[SSAValue] = set()
        new_outputs = [
            self._destination(v, op, inputs, claimed)
            if isinstance(v.type, TensorType)
            else v
            for v in outputs
        ]
        assert tuple(op.operands) == (*inputs, *outputs)
        new_op = type(op).create(
            operands=[*new_inputs, *new_outputs],
            result_types=[],
            properties=dict(op.properties),
            attributes=dict(op.attributes),
            regions=[op.detach_region(r) for r in list(op.regions)],
        )
        new_op.location = op.location
        Rewriter.insert_op(new_op, InsertPoint.before(op))
        # Destination-passing style: result i is the value written into output i.
        for result, out in zip(op.results, new_outputs, strict=True):
            self.buffer[result] = out

    def _call(self, op: func.CallOp) -> None:
        args = [self._map(v, op) for v in op.arguments]
        outs: list[SSAValue] = []
        for result in op.res:
            if isinstance(result.type, TensorType):
                buf = self._alloc(result.type, op, result.name_hint)
                self.buffer[result] = buf
                outs.append(buf)
        scalar_results = [r for r in op.res if not isinstance(r.type, TensorType)]
        call = func.CallOp(op.callee, [*args, *outs], [r.type for r in scalar_results])
        call.attributes.update(op.attributes)
        call.location = op.location
        Rewriter.insert_op(call, InsertPoint.before(op))
        for old, new in zip(scalar_results, call.res, strict=True):
            old.replace_all_uses_with(new)

    # -- the function --------------------------------------------------------------------

    def run(self, new_type: FunctionType, num_outs: int) -> None:
        fn = self.fn
        if len(fn.body.blocks) != 1:
            raise TesseraError.at_op(
                fn, "bufferize: only functions with a single block are supported"
            )
        block = fn.body.block
        self.block = block
        ops = list(block.ops)
        self.position = {op: i for i, op in enumerate(ops)}

        # Arguments: tensors become memrefs (inputs, never written); outputs are appended.
        old_args = list(block.args)
        for arg in old_args:
            if isinstance(arg.type, TensorType):
                new_arg = block.insert_arg(memref_type_for(fn, arg.type), arg.index)
                new_arg.name_hint = arg.name_hint
                self.buffer[arg] = new_arg
                self.read_only.add(new_arg)
        out_params: list[BlockArgument] = []
        for i in range(num_outs):
            out_type = new_type.inputs.data[len(old_args) + i]
            out = block.insert_arg(out_type, len(block.args))
            out.name_hint = "out" if num_outs == 1 else f"out{i}"
            out_params.append(out)

        replaced: list[Operation] = []
        ret: func.ReturnOp | None = None
        for op in ops:
            if isinstance(op, func.ReturnOp):
                ret = op
                continue
            if not _has_tensors(op):
                continue
            if isinstance(op, tensor.EmptyOp):
                self._empty(op)
            elif isinstance(op, arith.ConstantOp):
                self._constant(op)
            elif isinstance(op, tensor.ExtractOp):
                self._extract(op)
            elif isinstance(op, tensor.InsertSliceOp):
                self._insert_slice(op)
            elif isinstance(op, tensor.ExtractSliceOp):
                self._extract_slice(op)
            elif _is_linalg(op):
                self._linalg(op)
            elif isinstance(op, func.CallOp):
                self._call(op)
            else:
                raise TesseraError.at_op(
                    op, f"bufferize: cannot bufferize '{op.name}' on tensors"
                )
            replaced.append(op)

        if ret is None:
            raise TesseraError.at_op(fn, "bufferize: function has no func.return")
        self._return(ret, out_params)

        for op in reversed(replaced):
            Rewriter.erase_op(op)
        for arg in old_args:
            if isinstance(arg.type, TensorType):
                block.erase_arg(arg)
        self._deallocate(block)
        for op in fn.body.walk():  # e.g. tensor ops nested in the regions of other ops
            if _has_tensors(op):
                raise TesseraError.at_op(
                    op, f"bufferize: cannot bufferize '{op.name}' on tensors"
                )

    def _return(self, ret: func.ReturnOp, out_params: list[BlockArgument]) -> None:
        tensors = [v for v in ret.arguments if isinstance(v.type, TensorType)]
        scalars = [v for v in ret.arguments if not isinstance(v.type, TensorType)]
        for value, out in zip(tensors, out_params, strict=True):
            buf = self._buffer_of(value, ret)
            alloc = buf.owner
            if isinstance(alloc, memref.AllocOp) and alloc in self.allocs:
                # The value is built in a buffer of our own: build it in the output instead.
                # (Nothing reads that buffer after the return, and the value returned is
                # the last one written there, or it would have been copied elsewhere.)
                alloc.memref.replace_all_uses_with(out)
                self._retarget(buf, out)
                self.allocs.remove(alloc)
                Rewriter.erase_op(alloc)
            else:
                copy = memref.CopyOp(buf, out)
                copy.location = ret.location
                Rewriter.insert_op(copy, InsertPoint.before(ret))
        new_ret = func.ReturnOp(*scalars)
        new_ret.location = ret.location
        Rewriter.replace_op(ret, new_ret)

    def _retarget(self, old: SSAValue, new: SSAValue) -> None:
        for key, value in self.buffer.items():
            if value is old:
                self.buffer[key] = new

    def _deallocate(self, block: Block) -> None:
        ret = block.last_op
        assert isinstance(ret, func.ReturnOp)
        for alloc in self.allocs:
            dealloc = memref.DeallocOp.get(alloc.memref)
            dealloc.location = ret.location
            Rewriter.insert_op(dealloc, InsertPoint.before(ret))


def bufferized_signature(
    fn: func.FuncOp,
) -> tuple[FunctionType, ArrayAttr, ArrayAttr | None, int]:
    """The memref signature of `fn`: its type, arg_attrs, res_attrs and number of outputs."""
    inputs = fn.function_type.inputs.data
    outputs = fn.function_type.outputs.data
    new_inputs: list[Attribute] = [
        memref_type_for(fn, t) if isinstance(t, TensorType) else t for t in inputs
    ]
    out_types = [memref_type_for(fn, t) for t in outputs if isinstance(t, TensorType)]
    new_outputs = [t for t in outputs if not isinstance(t, TensorType)]

    arg_attrs = list(fn.arg_attrs.data) if fn.arg_attrs else [DictionaryAttr({})] * len(inputs)
    arg_attrs += [DictionaryAttr({OUT_ATTR: UnitAttr()})] * len(out_types)
    res_attrs = None
    if fn.res_attrs is not None:
        res_attrs = ArrayAttr(
            [a for a, t in zip(fn.res_attrs.data, outputs) if not isinstance(t, TensorType)]
        )
    new_type = FunctionType.from_lists([*new_inputs, *out_types], new_outputs)
    return new_type, ArrayAttr(arg_attrs), res_attrs, len(out_types)


@dataclass(frozen=True)
class BufferizePass(ModulePass):
    """Turn tensors into memrefs: tensor results become `{tessera.out}` output arguments."""

    name = "bufferize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        globals_by_module: dict[ModuleOp, _Globals] = {}
        for fn in [f for f in op.walk() if isinstance(f, func.FuncOp)]:
            if not any(_has_tensors(o) for o in fn.walk()) and not any(
                isinstance(t, TensorType)
                for t in (*fn.function_type.inputs.data, *fn.function_type.outputs.data)
            ):
                continue
            module = fn.parent_op()
            if not isinstance(module, ModuleOp):
                raise TesseraError.at_op(fn, "bufferize: expected func.func in a module")
            if module not in globals_by_module:
                globals_by_module[module] = _Globals(module)
            new_type, arg_attrs, res_attrs, num_outs = bufferized_signature(fn)
            if fn.body.blocks:
                _FunctionBufferizer(fn, globals_by_module[module]).run(new_type, num_outs)
            fn.function_type = new_type
            fn.arg_attrs = arg_attrs if any(a.data for a in arg_attrs.data) else None
            if res_attrs is not None and not any(a.data for a in res_attrs.data):
                res_attrs = None
            fn.res_attrs = res_attrs
