"""`graph-dce`: dead-code elimination that sees through calls and private functions.

Three rules, applied until none changes anything:

- ops whose results are unused and that have no side effects go (xDSL's `region_dce`,
  which every `Pure` graph op, constant and contract satisfies, in nested regions too);
- a `func.call` whose results are all unused goes when its callee has no side effects:
  a function with a body made only of side-effect-free ops, calls of such functions and
  `func.return`. xDSL's `dce` keeps every call, since `func.call` declares no effects. A
  declaration (no body: its effects are unknown) has side effects; so has a function on
  a cycle of calls, which at the graph level (no control flow) never returns;
- a `private` function (`sym_visibility = "private"`) that nothing reachable from the
  module's other symbols refers to goes; public functions always stay (they are entry
  points).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, DictionaryAttr, ModuleOp, SymbolRefAttr
from xdsl.ir import Attribute, Operation, ParametrizedAttribute
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.traits import SymbolOpInterface
from xdsl.transforms.dead_code_elimination import region_dce, result_only_effects


def _callee(call: func.CallOp) -> str | None:
    """The name of a call's callee in the module's symbol table (None: a nested one)."""
    ref = call.callee
    return None if ref.nested_references.data else ref.root_reference.data


def _functions(module: ModuleOp) -> dict[str, func.FuncOp]:
    return {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}


def _has_no_side_effects(op: Operation, effect_free: set[str]) -> bool:
    if isinstance(op, func.ReturnOp):
        return True
    if isinstance(op, func.CallOp):
        return _callee(op) in effect_free
    if op.has_trait(SymbolOpInterface, value_if_unregistered=False):
        return False  # a symbol nested in a body is more than a value
    return result_only_effects(op)


def effect_free_functions(module: ModuleOp) -> set[str]:
    """The functions of `module` without side effects (the least fixpoint: a function is
    added once every function it calls is in, so functions on call cycles never are)."""
    functions = _functions(module)
    effect_free: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, function in functions.items():
            if name in effect_free or function.is_declaration:
                continue
            body_ops = (op for op in function.walk() if op is not function)
            if all(_has_no_side_effects(op, effect_free) for op in body_ops):
                effect_free.add(name)
                changed = True
    return effect_free


def erase_dead_calls(module: ModuleOp) -> bool:
    """Erases the calls of effect-free functions whose results are all unused (last
    first, so a call whose only user was a dead call goes in the same sweep)."""
    effect_free = effect_free_functions(module)
    calls = [op for op in module.walk() if isinstance(op, func.CallOp)]
    erased = False
    for call in reversed(calls):
        if _callee(call) in effect_free and all(not r.uses for r in call.results):
            Rewriter.erase_op(call)
            erased = True
    return erased


def _symbol_names(attr: Attribute) -> Iterator[str]:
    """The root names of the symbol references anywhere inside `attr`."""
    if isinstance(attr, SymbolRefAttr):
        yield attr.root_reference.data
    elif isinstance(attr, ArrayAttr):
        for element in attr.data:
            yield from _symbol_names(element)
    elif isinstance(attr, DictionaryAttr):
        for element in attr.data.values():
            yield from _symbol_names(element)
    elif isinstance(attr, ParametrizedAttribute):
        for parameter in attr.parameters:
            yield from _symbol_names(parameter)


def _referenced(op: Operation) -> set[str]:
    """The symbols that `op` or any op nested in it refers to."""
    names: set[str] = set()
    for nested in op.walk():
        for attr in (*nested.attributes.values(), *nested.properties.values()):
            names.update(_symbol_names(attr))
    return names


def erase_unused_private_functions(module: ModuleOp) -> bool:
    """Erases the private functions that no op reachable from the module's other
    top-level ops refers to (unreachable cycles of private functions go too)."""
    private = {
        op.sym_name.data: op
        for op in module.ops
        if isinstance(op, func.FuncOp)
        and op.sym_visibility is not None
        and op.sym_visibility.data == "private"
    }
    if not private:
        return False
    references = {name: _referenced(op) for name, op in private.items()}
    reachable: set[str] = set()
    work = [name for op in module.ops if not (isinstance(op, func.FuncOp)
                                              and op.sym_name.data in private)
            for name in _referenced(op)]
    while work:
        name = work.pop()
        if name in private and name not in reachable:
            reachable.add(name)
            work.extend(references[name])
    dead = [op for name, op in private.items() if name not in reachable]
    for op in dead:
        Rewriter.erase_op(op, safe_erase=False)
    return bool(dead)


@dataclass(frozen=True)
class GraphDcePass(ModulePass):
    """Dead-code elimination of ops, calls of effect-free functions and unused private
    functions (see the module docstring)."""

    name = "graph-dce"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        changed = True
        while changed:
            region_dce(op.body)
            changed = erase_dead_calls(op)
            changed = erase_unused_private_functions(op) or changed
