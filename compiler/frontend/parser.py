"""Text -> syntax tree, with lark (LALR(1)). Syntax errors become located TesseraErrors."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken, VisitError

from tessera.compiler.autodiff.signature import resolve_grads
from tessera.compiler.diagnostics import SourceLoc, TesseraError, register_source, split_lines
from tessera.compiler.frontend import syntax as S

# What the user should read instead of lark's terminal names.
_TERMINAL_NAMES = {
    "NAME": "a name",
    "INT": "an integer",
    "NUMBER": "a number",
    "DTYPE": "an element type (f32, f64, i32, i8)",
    "COMBINE": "'=' or a reduction ('+=!', '*=!', 'max=!', 'min=!')",
    "ADDOP": "'+' or '-'",
    "MULOP": "'*', '/' or '@'",
    "NEG": "'-'",
    "RETURN": "'return'",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "COLON": "':'",
    "EQUAL": "'='",
    "DEF": "'def'",
    "DIM": "'dim'",
    "__ANON_0": "'->'",
    "$END": "the end of the file",
}


@cache
def _lark() -> Lark:
    grammar = files("tessera.compiler.frontend").joinpath("grammar.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def _pos(x) -> S.Pos:
    if isinstance(x, Token):
        return S.Pos(x.line, x.column)
    meta = getattr(x, "meta", x)
    return S.Pos(meta.line, meta.column)


@v_args(meta=True)
class _ToSyntax(Transformer):
    def __init__(self, filename: str):
        super().__init__()
        self.filename = filename

    def loc(self, pos: S.Pos) -> SourceLoc:
        return SourceLoc(self.filename, pos.line, pos.column)

    def start(self, meta, items):
        functions = [i for i in items if isinstance(i, S.Function)]  # GradDefs among them
        dims = [i for i in items if isinstance(i, S.DimDecl)]
        return S.Program(functions, dims, pos=S.Pos(1, 1))

    def dim_decl(self, meta, items):
        name, value = items
        return S.DimDecl(str(name), int(value), pos=_pos(name))

    def grad_def(self, meta, items):
        name, transform, *args = items
        value = self.call(meta, [transform, *args])
        what = value.name
        if len(value.args) != 1 or not isinstance(value.args[0], S.Var):
            raise TesseraError(f"{what}: expects the function to differentiate and 'wrt', "
                               f"as in {name} = {what}(loss, wrt=[w1, b1])",
                               self.loc(value.pos))
        keywords = []
        for keyword, names in value.kwargs.items():
            if not (isinstance(names, S.ListExpr)
                    and all(isinstance(n, S.Var) for n in names.items)):
                raise TesseraError(f"{what}: '{keyword}' must be a list of parameter names, "
                                   f"as in {keyword}=[w1, b1]", self.loc(names.pos))
            keywords.append((S.WrtName(keyword, pos=value.kwarg_pos[keyword]),
                             [S.WrtName(n.name, pos=n.pos) for n in names.items]))
        (of,) = value.args
        return S.GradDef(str(name), [], [], [], transform=what, transform_pos=value.pos,
                         of=of.name, of_pos=of.pos, keywords=keywords, pos=_pos(name))

    def function(self, meta, items):
        name, *rest = items
        params = [p for p in rest if isinstance(p, S.Param)]
        results = next(r for r in rest if isinstance(r, list) and all(
            isinstance(t, S.TensorTypeExpr) for t in r))
        body = [s for s in rest if isinstance(s, S.Let | S.IndexStmt | S.Return)]
        return S.Function(str(name), params, results, body, pos=_pos(name))

    def param(self, meta, items):
        name, ty = items
        return S.Param(str(name), ty, pos=_pos(name))

    def results(self, meta, items):
        return list(items)

    def tensor_type(self, meta, items):
        dtype, *dims = items
        return S.TensorTypeExpr(str(dtype), [d for d in dims if d is not None], pos=_pos(dtype))

    def dim_const(self, meta, items):
        return S.Dim(int(items[0]), pos=_pos(items[0]))

    def dim_name(self, meta, items):
        return S.Dim(str(items[0]), pos=_pos(items[0]))

    def let_stmt(self, meta, items):
        *names, value = items
        return S.Let([str(n) for n in names], value, pos=_pos(names[0]))

    def index_stmt(self, meta, items):
        name, *indices, combine, value = items
        indices = [i for i in indices if i is not None]
        return S.IndexStmt(
            str(name),
            [str(i) for i in indices],
            [_pos(i) for i in indices],
            str(combine),
            value,
            pos=_pos(name),
        )

    def return_stmt(self, meta, items):
        ret, *values = items
        return S.Return(list(values), pos=_pos(ret))

    def binop(self, meta, items):
        lhs, op, rhs = items
        return S.BinOp(str(op), lhs, rhs, pos=_pos(op))

    def neg(self, meta, items):
        op, operand = items
        if isinstance(operand, S.Number):
            return S.Number(-operand.value, "-" + operand.text, pos=_pos(op))
        return S.Neg(operand, pos=_pos(op))

    def number(self, meta, items):
        text = str(items[0])
        is_int = text.isdigit()
        return S.Number(int(text) if is_int else float(text), text, pos=_pos(items[0]))

    def var(self, meta, items):
        return S.Var(str(items[0]), pos=_pos(items[0]))

    def access(self, meta, items):
        name, *indices = items
        indices = [i for i in indices if i is not None]
        return S.Access(str(name), [str(i) for i in indices], [_pos(i) for i in indices],
                        pos=_pos(name))

    def call(self, meta, items):
        name, *args = items
        positional = [a for a in args if a is not None and not isinstance(a, tuple)]
        kwargs: dict[str, S.Expr] = {}
        kwarg_pos: dict[str, S.Pos] = {}
        for key, value in (a for a in args if isinstance(a, tuple)):
            if str(key) in kwargs:
                raise TesseraError(f"{name}: '{key}' is given twice", self.loc(_pos(key)))
            kwargs[str(key)], kwarg_pos[str(key)] = value, _pos(key)
        return S.Call(str(name), positional, kwargs, kwarg_pos, pos=_pos(name))

    def kwarg(self, meta, items):
        return (items[0], items[1])

    def list(self, meta, items):
        return S.ListExpr([i for i in items if i is not None], pos=_pos(meta))


def parse_program(text: str, filename: str) -> S.Program:
    """Parse DSL text; a syntax error raises a TesseraError at its line and column."""
    register_source(filename, text)
    try:
        tree = _lark().parse(text)
    except UnexpectedToken as e:
        if (bound := _top_level_statement(text, e)) is not None:
            name, column = bound
            raise TesseraError(
                f"a statement outside a function: only 'dim', 'def' and function transforms "
                f"({name} = grad(f, wrt=[...])) are written at the top level",
                SourceLoc(filename, e.line, column),
            ) from None
        found = "end of file" if e.token.type == "$END" else f"'{e.token}'"
        raise TesseraError(
            f"syntax error: unexpected {found}; expected {_expected(e.expected)}",
            SourceLoc(filename, e.line, e.column) if e.line > 0 else _end(text, filename),
        ) from None
    except UnexpectedCharacters as e:
        raise TesseraError(
            f"syntax error: unexpected character {text[e.pos_in_stream]!r}",
            SourceLoc(filename, e.line, e.column),
        ) from None
    except UnexpectedEOF as e:
        raise TesseraError(
            f"syntax error: unexpected end of file; expected {_expected(e.expected)}",
            _end(text, filename),
        ) from None
    try:
        program = _ToSyntax(filename).transform(tree)
    except VisitError as e:  # lark wraps what a callback raises
        if isinstance(e.orig_exc, TesseraError):
            raise e.orig_exc from None
        raise
    resolve_grads(program, filename)
    return program


def _top_level_statement(text: str, e: UnexpectedToken) -> tuple[str, int] | None:
    """(name, column) when `e` is `name = <not a transform>` outside a function: the only
    place where, after `name =`, the grammar expects nothing but a name (the transform's)."""
    if e.line <= 0 or set(e.expected) != {"NAME"}:
        return None
    before = split_lines(text)[e.line - 1][: e.column - 1]
    match = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*", before)
    return (match.group(1), match.start(1) + 1) if match else None


def _expected(terminals) -> str:
    names = sorted({_TERMINAL_NAMES.get(t, f"'{t.lower()}'") for t in terminals})
    if len(names) > 6:
        names = names[:6] + ["..."]
    return " or ".join(names) if len(names) <= 2 else ", ".join(names)


def _end(text: str, filename: str) -> SourceLoc:
    """Just after the last character of the last line (the line a final newline ends)."""
    lines = split_lines(text)
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return SourceLoc(filename, len(lines), len(lines[-1]) + 1)
