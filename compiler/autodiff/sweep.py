"""The reverse sweep: a grad definition's `func.func`, built from the loss function's IR.

1. The loss function's body is cloned into the new function, calls inlined (LeNet-5's loss
   calls `features`), every op keeping its location.
2. Activity analysis: an op is differentiated when it lies on a path from a `wrt` parameter
   to the loss (it depends on one, and the loss depends on it). Such an op must have a rule
   and compute floats; otherwise the definition is a located error at that op.
3. The active ops are visited in reverse order; each rule turns its result's adjoint into
   its operands' shares, and a value used several times sums its shares (`graph.add`). The
   seed, the adjoint of the loss itself, is 1.
4. The function returns (the loss, when `value_and_grad`) and each `wrt` parameter's
   adjoint; a parameter the loss does not depend on gets zeros (a broadcast constant). The
   forward ops the gradient does not use are then dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, TensorType
from xdsl.ir import Block, Operation, Region, SSAValue

from tessera.compiler.autodiff.emit import Emit, shape
from tessera.compiler.autodiff.rules import RULES
from tessera.compiler.autodiff.rules_nn import NN_RULES
from tessera.compiler.diagnostics import SourceLoc, TesseraError
from tessera.compiler.frontend import syntax as S
from tessera.dialects import graph as G

ALL_RULES = {**RULES, **NN_RULES}

# Why an op without a rule has none, for the message.
_WHY_NOT = {
    G.ContractOp: " (index notation)",
    G.WidenOp: " (an integer conversion)",
    G.RequantizeOp: " (an integer conversion)",
}


def _inline(callee: func.FuncOp, args: Sequence[SSAValue], block: Block,
            function_of: Callable[[str], func.FuncOp]) -> list[SSAValue]:
    """Clone `callee`'s body into `block` with its parameters bound to `args`, calls
    inlined; the values it returns."""
    mapping: dict[SSAValue, SSAValue] = dict(zip(callee.body.block.args, args))
    for op in callee.body.block.ops:
        if isinstance(op, func.ReturnOp):
            return [mapping.get(v, v) for v in op.operands]
        if isinstance(op, func.CallOp):
            inner = function_of(op.callee.root_reference.data)
            results = _inline(inner, [mapping.get(v, v) for v in op.operands], block,
                              function_of)
            mapping.update(zip(op.results, results))
            continue
        block.add_op(op.clone(value_mapper=mapping))
    raise AssertionError(f"function @{callee.sym_name.data} has no return")


def _reaching(ops: Sequence[Operation], sources: Sequence[SSAValue]) -> set[SSAValue]:
    """The values that depend on any of `sources` (themselves included)."""
    varying = set(sources)
    for op in ops:
        if any(v in varying for v in op.operands):
            varying.update(op.results)
    return varying


def _needed_by(ops: Sequence[Operation], target: SSAValue) -> set[SSAValue]:
    """The values `target` depends on (itself included)."""
    useful = {target}
    for op in reversed(ops):
        if any(r in useful for r in op.results):
            useful.update(op.operands)
    return useful


def _check_differentiable(op: Operation, ops, wrt: Sequence[tuple[str, SSAValue]]) -> None:
    integer = any(isinstance(r.type, TensorType) and not G.is_float(r.type.element_type)
                  for r in op.results)
    if type(op) in ALL_RULES and not integer:
        return
    origin = next(name for name, arg in wrt if op.results[0] in _reaching(ops, [arg]))
    if type(op) in ALL_RULES:
        element = G.type_name(op.results[0].type.element_type)
        why = f" on {element} values (integer arithmetic)"
    else:
        why = _WHY_NOT.get(type(op), "")
    raise TesseraError.at_op(op, f"grad: '{op.name}'{why} is not differentiable (on the "
                                 f"path from '{origin}' to the loss)")


def _remove_dead_ops(block: Block) -> None:
    """Drop the forward ops nothing uses (the gradient needs only some of them)."""
    for op in reversed(list(block.ops)):
        if isinstance(op, func.ReturnOp) or any(r.uses for r in op.results):
            continue
        op.detach()
        op.erase()


def build_grad_function(definition: S.GradDef,
                        function_of: Callable[[str], func.FuncOp]) -> func.FuncOp:
    loss_fn = function_of(definition.of)
    where = SourceLoc.of(loss_fn)
    location = SourceLoc(where.filename if where else "<source>", definition.pos.line,
                         definition.pos.column).attr()
    block = Block(arg_types=loss_fn.function_type.inputs.data)
    for arg, loss_arg in zip(block.args, loss_fn.body.block.args):
        arg.name_hint = loss_arg.name_hint
    (loss,) = _inline(loss_fn, block.args, block, function_of)
    index = {p.name: i for i, p in enumerate(definition.params)}
    wrt = [(w.name, block.args[index[w.name]]) for w in definition.wrt]

    ops = list(block.ops)
    active = _reaching(ops, [arg for _, arg in wrt]) & _needed_by(ops, loss)
    for op in ops:  # the first offending op in program order is the one reported
        if any(r in active for r in op.results):
            _check_differentiable(op, ops, wrt)
    adjoint: dict[SSAValue, SSAValue] = {}
    if loss in active:
        adjoint[loss] = Emit(block, location).scalar(1.0, loss)
    for op in reversed(ops):
        if not any(r in active for r in op.results):
            continue
        g = adjoint.get(op.results[0])
        if g is None:  # only zero gradients reach it (through a step)
            continue
        emit = Emit(block, op.location)
        wanted = [v in active for v in op.operands]
        for operand, share in zip(op.operands, ALL_RULES[type(op)](emit, op, g, wanted)):
            if share is None or operand not in active:
                continue
            assert share.type == operand.type, f"{op.name}: {share.type} != {operand.type}"
            seen = adjoint.get(operand)
            adjoint[operand] = share if seen is None else emit.add(seen, share)

    results = [loss] if definition.with_value else []
    for _, arg in wrt:
        if arg in adjoint:
            results.append(adjoint[arg])
        else:  # the loss does not depend on it
            results.append(Emit(block, location).splat(0.0, arg, shape(arg)))
    ret = func.ReturnOp(*results)
    ret.location = location
    block.add_op(ret)
    _remove_dead_ops(block)
    signature = FunctionType.from_lists(list(block.arg_types), [r.type for r in results])
    op = func.FuncOp(definition.name, signature, Region(block))
    op.location = location
    return op
