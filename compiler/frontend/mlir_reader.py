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
    def __init__(self, ctx: Context, text: str, name: str, line_offset: int = 0):
        super().__init__(ctx, text, name)
        self._text = text
        self._name = name
        self._line_offset = line_offset

    def parse_operation(self) -> Operation:
        start = self._current_token.span.start
        op = super().parse_operation()
        if isinstance(op.location, UnknownLoc):
            line = self._text.count("\n", 0, start) + 1
            column = start - (self._text.rfind("\n", 0, start) + 1) + 1
            op.location = FileLineColLoc(StringAttr(self._name), IntAttr(line + self._line_offset), IntAttr(column))
        return op


def parse_mlir(ctx: Context, text: str, name: str, line_offset: int = 0) -> ModuleOp:
    """Parse a module; `line_offset` places a `--split-input-file` chunk in its file."""
    if line_offset == 0:
        register_source(name, text)
    return LocatingParser(ctx, text, name, line_offset).parse_module()
