"""Reading `.mlir` text so that every op knows where it was written.

xDSL's parser leaves ops without an explicit `loc(...)` at `loc(unknown)`. This reader gives
each such op the file, line and column of its first token, as MLIR does, so a verifier error
in hand-written IR is reported at its line.

xDSL's parser reports malformed text as a `ParseError` at the offending token, but some
texts make it (or the op constructors it calls) fail otherwise: an `IndexError`, an
`AssertionError`, an `OverflowError` from deep inside. The reader checks the inputs it knows
to do that where a plain message can be given (a number written with other digits than 0-9,
an integer type wider than MLIR allows, a literal that does not fit its type), and reports
any other failure as a user error at the construct being parsed: the text is what is wrong,
and it is the user's. The same holds for xDSL's verifiers on IR read from text
(`verify_located(module, read=True)`).
"""

from __future__ import annotations

import re

from xdsl.context import Context
from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, StringAttr, UnknownLoc
from xdsl.ir import Attribute, Operation
from xdsl.parser import Parser
from xdsl.parser.core import ForwardDeclaredValue, ParserState
from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException
from xdsl.utils.lexer import Input
from xdsl.utils.mlir_lexer import MLIRLexer, MLIRToken, MLIRTokenKind

from tessera.compiler.diagnostics import SourceLoc, TesseraError, register_source

# MLIR's IntegerType::kMaxWidth. xDSL has no limit and computes the bounds of an integer
# type as 1 << width: a width of billions of bits takes all the memory there is.
MAX_INTEGER_WIDTH = (1 << 24) - 1


class _Lexer(MLIRLexer):
    # xDSL's pattern repeats a repetition ("(?:[^"\\]+|...)*"): when the closing quote is
    # missing, `re` tries every way of splitting the rest of the line, which takes time
    # exponential in its length (hours for 40 characters). One character at a time, the
    # same strings match in linear time.
    _unescaped_characters_regex = re.compile(
        r'"(?:[^"\\\n\v\f]|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*"'
    )

    def lex(self) -> MLIRToken:
        token = super().lex()
        # xDSL starts a number at any character str.isnumeric() accepts (², ¼, ٣), then
        # fails to convert it with int() or float(), or converts it.
        if (token.kind in (MLIRTokenKind.INTEGER_LIT, MLIRTokenKind.FLOAT_LIT)
                and token.text[0] not in "0123456789"):
            raise ParseError(token.span, f"unexpected character '{token.text[0]}': numbers "
                                         f"are written with the digits 0-9")
        return token


class LocatingParser(Parser):
    def __init__(self, ctx: Context, text: str, name: str):
        super().__init__(ctx, "", name)  # not xDSL's lexer, not even for the first token
        self._parser_state = ParserState(_Lexer(Input(text, name)))
        self._text = text
        self._name = name
        # Where xDSL failed otherwise than with a ParseError: (the exception, the start of
        # the innermost op, attribute or type being parsed when it was raised).
        self.failure: tuple[BaseException, int] | None = None

    def location(self, offset: int) -> SourceLoc:
        line = self._text.count("\n", 0, offset) + 1
        column = offset - (self._text.rfind("\n", 0, offset) + 1) + 1
        return SourceLoc(self._name, line, column)

    def _noting_failures(self, parse, *args):
        start = self._current_token.span.start
        try:
            return parse(*args)
        except (ParseError, DiagnosticException):
            raise
        except Exception as e:
            if self.failure is None or self.failure[0] is not e:
                self.failure = (e, start)  # the innermost construct: the first to see it
            raise

    def parse_operation(self) -> Operation:
        start = self._current_token.span.start
        op = self._noting_failures(super().parse_operation)
        if isinstance(op.location, UnknownLoc):
            loc = self.location(start)
            op.location = FileLineColLoc(StringAttr(self._name), IntAttr(loc.line),
                                         IntAttr(loc.column))
        return op

    def parse_optional_attribute(self) -> Attribute | None:
        return self._noting_failures(super().parse_optional_attribute)

    def parse_optional_type(self):
        return self._noting_failures(super().parse_optional_type)

    def _parse_optional_integer_or_float_type(self):
        token = self._current_token
        if token.kind == MLIRTokenKind.BARE_IDENT:
            match = self._builtin_integer_type_regex.match(token.text)
            if match is not None and (len(match.group(1)) > 8
                                      or int(match.group(1)) > MAX_INTEGER_WIDTH):
                self.raise_error(f"integer type {token.text} is too wide (at most "
                                 f"{MAX_INTEGER_WIDTH} bits)", token.span)
        return super()._parse_optional_integer_or_float_type()

    def parse_optional_builtin_int_or_float_attr(self):
        token = self._current_token
        try:
            return self._reporting_literal_errors(
                super().parse_optional_builtin_int_or_float_attr, token.span.start)
        except OverflowError:  # from int.to_bytes: more hexadecimal digits than the type
            if token.text[:2] not in ("0x", "0X"):
                raise
            self.raise_error(f"hexadecimal literal {token.text} is wider than its "
                             f"floating-point type", token.span)

    def parse_dense_int_or_fp_elements_attr(self, type):
        return self._reporting_literal_errors(
            lambda: super(LocatingParser, self).parse_dense_int_or_fp_elements_attr(type),
            self._keyword_start("dense"))

    def _parse_builtin_densearray_attr(self):
        return self._reporting_literal_errors(super()._parse_builtin_densearray_attr,
                                              self._keyword_start("array"))

    def _keyword_start(self, keyword: str) -> int:
        """Where `keyword`, consumed before the method that parses the rest is called,
        starts (else the current token)."""
        start = self._current_token.span.start
        before = self._text[:start].rstrip()
        return len(before) - len(keyword) if before.endswith(keyword) else start

    def _reporting_literal_errors(self, parse, start: int):
        """`parse()`, with the literals xDSL's attribute constructors reject reported as
        a ParseError under the literal and its type, as xDSL's own check of a typed
        integer (`_parse_typed_integer`) reports them."""
        try:
            return parse()
        except (ValueError, VerifyException) as e:  # from IntegerAttr, from_list
            if "out of range" not in str(e):
                raise
            message = str(e)
        except OverflowError as e:  # from struct.pack: a float beyond the type's range
            if "too large to pack" not in str(e):
                raise
            message = "the value is too large for its floating-point type"
        except NotImplementedError as e:  # from the packing of a dense literal or array
            wide = re.fullmatch(r"Format not implemented for (\S+)", str(e))
            if wide is None:
                raise
            message = (f"xDSL cannot hold {wide[1]} elements in a dense literal or array "
                       f"(integers of at most 64 bits)")
        end = len(self._text[: self._current_token.span.start].rstrip())  # the last token's
        self.raise_error(message, start, max(end, start + 1))


def parse_mlir(ctx: Context, text: str, name: str) -> ModuleOp:
    """Parse a module whose ops get their line and column in `name` as locations.

    A `--split-input-file` chunk is passed with blank lines standing in for the chunks
    before it, so both the locations and the quoted source lines are those of the file.
    A failure of xDSL's parser other than a ParseError is a located TesseraError.
    """
    register_source(name, text)
    parser = None
    try:
        parser = LocatingParser(ctx, text, name)
        module = parser.parse_module()
    except (ParseError, DiagnosticException):
        raise
    except Exception as e:  # noqa: BLE001 - xDSL failed on the text: report where
        message = " ".join(str(e).split()) or type(e).__name__
        if parser is None:
            loc = SourceLoc(name, 1, 1)
        elif parser.failure is not None and parser.failure[0] is e:
            loc = parser.location(parser.failure[1])
        else:
            loc = parser.location(parser._current_token.span.start)
        raise TesseraError(f"cannot parse this: {message} (xDSL's parser failed on it)",
                           loc) from e
    _check_definitions_precede_uses(module)
    _check_static_sizes(module)
    return module


def _check_static_sizes(module: ModuleOp) -> None:
    # A size literal beyond int64 wraps, in xDSL's dense arrays, onto the value that marks a
    # dynamic size, and the op's verifier does not count markers against the dynamic-size
    # operands (xDSL's printer then fails on `tensor.expand_shape`): the sizes an op lists
    # must be non-negative, and its markers exactly as many as its dynamic sizes.
    from xdsl.dialects.builtin import DYNAMIC_INDEX, DenseArrayBase

    for op in module.walk():
        static = op.properties.get("static_output_shape")
        if not isinstance(static, DenseArrayBase):
            continue
        values = [int(v) for v in static.get_values()]
        dynamic = getattr(op, "output_shape", ())
        markers = values.count(DYNAMIC_INDEX)
        wrong = [v for v in values if v < 0 and v != DYNAMIC_INDEX]
        if wrong or markers != len(dynamic):
            raise TesseraError.at_op(
                op, f"'{op.name}': output_shape lists {values} with {markers} dynamic "
                f"size(s) for {len(dynamic)} dynamic operand(s) (sizes are non-negative "
                f"int64 values)")


def _check_definitions_precede_uses(module: ModuleOp) -> None:
    # xDSL resolves a value used before its definition when the definition comes, unless
    # the op that uses it is still being parsed: its operand stays a placeholder (an op's
    # operand defined in the op's own region, as `scf.for ... iter_args(%x = %s)` with %s
    # defined in the loop body). MLIR says the definition does not dominate the use.
    for op in module.walk():
        for i, operand in enumerate(op.operands):
            if isinstance(operand, ForwardDeclaredValue):
                raise TesseraError.at_op(op, f"'{op.name}': operand #{i} is used before its "
                                             f"definition (it is defined inside the op)")
