"""Reading `.mlir` text so that every op knows where it was written.

xDSL's parser leaves ops without an explicit `loc(...)` at `loc(unknown)`. This reader gives
each such op the file, line and column of its first token, as MLIR does, so a verifier error
in hand-written IR is reported at its line.
"""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr, UnknownLoc
from xdsl.ir import Operation
from xdsl.parser import Parser

from tessera.compiler.diagnostics import register_source


class LocatingParser(Parser):
    def __init__(self, ctx: Context, text: str, name: str):
        super().__init__(ctx, text, name)
        self._text = text
        self._name = name

    def parse_operation(self) -> Operation:
        start = self._current_token.span.start
        op = super().parse_operation()
        if isinstance(op.location, UnknownLoc):
            line = self._text.count("\n", 0, start) + 1
            column = start - (self._text.rfind("\n", 0, start) + 1) + 1
            op.location = FileLineColLoc(StringAttr(self._name), IntAttr(line), IntAttr(column))
        return op


def parse_mlir(ctx: Context, text: str, name: str) -> ModuleOp:
    """Parse a module whose ops get their line and column in `name` as locations.

    A `--split-input-file` chunk is passed with blank lines standing in for the chunks
    before it, so both the locations and the quoted source lines are those of the file.
    """
    register_source(name, text)
    return LocatingParser(ctx, text, name).parse_module()
