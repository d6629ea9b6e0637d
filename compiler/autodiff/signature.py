"""A grad definition checked against the function it differentiates, and its signature.

`dloss = grad(loss, wrt=[w1, b1])` is written before or after `loss`, so the definitions are
resolved once the whole program is parsed. Everything here is decided from the syntax alone
(names, element types, ranks), so the parser can give every grad definition its parameters
and results before any IR is built: `tessera.compile(...).dloss(...)` and `tessera run` see
the grad function as they see any other. Every mistake is a located error at the name that
is wrong.
"""

from __future__ import annotations

import difflib

from tessera.compiler.diagnostics import SourceLoc, TesseraError
from tessera.compiler.frontend import syntax as S

TRANSFORMS = ("grad", "value_and_grad")
FLOAT_DTYPES = ("f32", "f64")


def type_text(t: S.TensorTypeExpr) -> str:
    """A type as written: f32[B, 10], f32 for a rank-0 one."""
    if not t.dims:
        return t.dtype
    return f"{t.dtype}[{', '.join(str(d.value) for d in t.dims)}]"


def _suggest(name: str, candidates) -> str:
    hint = difflib.get_close_matches(name, list(candidates), n=1)
    return f" (did you mean '{hint[0]}'?)" if hint else ""


class _Resolver:
    def __init__(self, program: S.Program, filename: str):
        self.filename = filename
        self.functions: dict[str, S.Function] = {}
        for f in program.functions:  # the first of a name: "defined twice" is reported later
            self.functions.setdefault(f.name, f)
        self.grads = [f for f in program.functions if isinstance(f, S.GradDef)]
        self.done: set[int] = set()
        self.active: list[S.GradDef] = []

    def error(self, pos: S.Pos, message: str) -> TesseraError:
        return TesseraError(message, SourceLoc(self.filename, pos.line, pos.column))

    def check_names(self, program: S.Program) -> None:
        """A grad definition may not take the name of another function (nor one of its
        name the name of a grad definition); two `def`s of one name are the builder's to
        report, with its own message."""
        seen: dict[str, S.Function] = {}
        for f in program.functions:
            first = seen.setdefault(f.name, f)
            if first is not f and (isinstance(f, S.GradDef) or isinstance(first, S.GradDef)):
                raise self.error(f.pos, f"'{f.name}' is already a function (defined at line "
                                        f"{first.pos.line})")

    def resolve(self, g: S.GradDef) -> None:
        if id(g) in self.done:
            return
        chain = [id(d) for d in self.active]
        if id(g) in chain:  # dloss = grad(eloss, ...), eloss = grad(dloss, ...)
            cycle = " -> ".join(d.name for d in self.active[chain.index(id(g)):])
            raise self.error(g.of_pos, f"{g.transform}: '{g.name}' differentiates itself "
                                       f"({cycle} -> {g.name})")
        if g.transform not in TRANSFORMS:
            raise self.error(g.transform_pos, f"unknown function transform '{g.transform}'"
                                              f"{_suggest(g.transform, TRANSFORMS)} "
                                              f"(transforms: {', '.join(TRANSFORMS)})")
        what = g.transform
        if g.of == g.name:
            raise self.error(g.of_pos, f"{what}: '{g.name}' differentiates itself")
        loss = self.functions.get(g.of)
        if loss is None:
            known = [n for n in self.functions if n != g.name]
            raise self.error(g.of_pos, f"{what}: unknown function '{g.of}'"
                                       f"{_suggest(g.of, known)}")
        if isinstance(loss, S.GradDef):
            self.active.append(g)
            try:
                self.resolve(loss)
            finally:
                self.active.pop()
        self.check_loss(g, loss)
        g.wrt = self.wrt_names(g, loss)
        params = {p.name: p for p in loss.params}
        g.params = list(loss.params)
        g.results = ([loss.results[0]] if g.with_value else []) + [
            params[w.name].type for w in g.wrt]
        self.done.add(id(g))

    def check_loss(self, g: S.GradDef, loss: S.Function) -> None:
        results = loss.results
        if len(results) != 1:
            raise self.error(g.of_pos, f"{g.transform}: '{loss.name}' must return one rank-0 "
                                       f"floating-point value (the loss), but returns "
                                       f"{len(results)} values")
        (t,) = results
        if t.dims or t.dtype not in FLOAT_DTYPES:
            raise self.error(g.of_pos, f"{g.transform}: '{loss.name}' must return one rank-0 "
                                       f"floating-point value (the loss), but returns "
                                       f"{type_text(t)}")

    def wrt_names(self, g: S.GradDef, loss: S.Function) -> list[S.WrtName]:
        what = g.transform
        wrt: list[S.WrtName] | None = None
        for keyword, names in g.keywords:  # the parser reports a keyword given twice
            if keyword.name != "wrt":
                raise self.error(keyword.pos, f"{what}: unknown argument '{keyword.name}' "
                                              "(arguments: wrt)")
            wrt = names
        if wrt is None:
            raise self.error(g.pos, f"{what}: missing argument 'wrt' (the parameters of "
                                    f"'{loss.name}' to differentiate with respect to)")
        if not wrt:
            raise self.error(g.pos, f"{what}: 'wrt' names no parameter of '{loss.name}'")
        params = {p.name: p for p in loss.params}
        seen: set[str] = set()
        for w in wrt:
            if w.name not in params:
                raise self.error(w.pos, f"{what}: '{w.name}' is not a parameter of "
                                        f"'{loss.name}'{_suggest(w.name, params)}")
            if w.name in seen:
                raise self.error(w.pos, f"{what}: '{w.name}' is repeated in 'wrt'")
            seen.add(w.name)
            t = params[w.name].type
            if t.dtype not in FLOAT_DTYPES:
                raise self.error(w.pos, f"{what}: cannot differentiate with respect to "
                                        f"'{w.name}': it is {type_text(t)}, an integer "
                                        "parameter")
        return list(wrt)


def resolve_grads(program: S.Program, filename: str) -> None:
    """Check every grad definition of `program` and fill in its `wrt`, `params` and
    `results` (a located TesseraError on the first mistake, in source order)."""
    resolver = _Resolver(program, filename)
    if not resolver.grads:
        return
    resolver.check_names(program)
    for g in resolver.grads:
        resolver.resolve(g)
