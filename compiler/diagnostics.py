"""Located diagnostics: `file:line:col: error: message`, the source line and a caret.

Every error a user can cause (bad DSL, invalid IR, an illegal schedule, a failing compiler)
is raised as a `TesseraError`. It derives from xDSL's `DiagnosticException`, so xDSL's own
driver loop treats it like a verifier error (for example under `--verify-diagnostics`).
Locations come from the ops themselves (`op.location`), which the frontend sets from the DSL
and the `.mlir` reader sets from the text, so an error at any level points at a source line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from xdsl.dialects.builtin import FileLineColLoc, IntAttr, StringAttr
from xdsl.ir import Operation
from xdsl.utils.exceptions import DiagnosticException, VerifyException

# Sources that do not live in a file (strings given to the API, stdin), by their name.
_SOURCES: dict[str, str] = {}


def register_source(name: str, text: str) -> None:
    _SOURCES[name] = text


def split_lines(text: str) -> list[str]:
    r"""The lines of `text` as the lexers count them: broken at '\n' (with a '\r' before
    it) and nowhere else. `str.splitlines()` also breaks at '\r', '\v', '\f', '\x1c'-'\x1e',
    '\x85', '\u2028' and '\u2029', and would quote another line than the one named."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def source_line(filename: str, line: int) -> str | None:
    text = _SOURCES.get(filename)
    if text is None and os.path.isfile(filename):
        try:
            # newline="": no translation of '\r' or '\r\n', so lines are counted at '\n'.
            with open(filename, encoding="utf-8", errors="replace", newline="") as f:
                text = f.read()
        except OSError:
            return None
    if text is None:
        return None
    lines = split_lines(text)
    return lines[line - 1] if 1 <= line <= len(lines) else None


@dataclass(frozen=True)
class SourceLoc:
    filename: str
    line: int
    column: int

    def attr(self) -> FileLineColLoc:
        return FileLineColLoc(StringAttr(self.filename), IntAttr(self.line), IntAttr(self.column))

    @staticmethod
    def of(op: Operation | None) -> SourceLoc | None:
        """The source location of `op` or, failing that, of its nearest located ancestor."""
        while op is not None:
            loc = op.location
            if isinstance(loc, FileLineColLoc):
                return SourceLoc(loc.filename.data, loc.line.data, loc.column.data)
            op = op.parent_op()
        return None


class TesseraError(DiagnosticException):
    """An error the user caused, with the place in their source where it happened."""

    def __init__(self, message: str, loc: SourceLoc | None = None, *, kind: str = "error"):
        self.message = message
        self.loc = loc
        self.kind = kind
        super().__init__(self.format())

    @classmethod
    def at_op(cls, op: Operation | None, message: str) -> TesseraError:
        return cls(message, SourceLoc.of(op))

    def format(self) -> str:
        if self.loc is None:
            return f"{self.kind}: {self.message}"
        loc = self.loc
        head = f"{loc.filename}:{loc.line}:{loc.column}: {self.kind}: {self.message}"
        text = source_line(loc.filename, loc.line)
        if text is None:
            return head
        caret = "".join("\t" if ch == "\t" else " " for ch in text[: max(loc.column - 1, 0)])
        return f"{head}\n{text}\n{caret}^"


def verify_located(root: Operation, *, read: bool = False) -> None:
    """Verify `root`, reporting the first failing op at its source location.

    Each op's own rules (`verify_`: IRDL constraints and the custom verifier) are checked
    op by op in program order, so the message names the first op that is actually wrong,
    at its location; xDSL's structural checks (terminators, dominance) follow.

    `read`: the IR was read from the user's text (not built by Tessera), so an xDSL
    verifier that fails on it otherwise than with a VerifyException (an IndexError, a
    ZeroDivisionError evaluating an affine map, a bare Exception) was failing on the
    user's IR: a located error at the op too. On IR Tessera built, that is Tessera's bug.
    """
    for op in root.walk(reverse=False):
        try:
            op.verify_()
        except VerifyException as e:
            message = str(e.args[0]) if e.args else str(e)
            if not message.startswith(f"'{op.name}'"):
                message = f"'{op.name}' {message}"
            raise TesseraError.at_op(op, message) from None
        except DiagnosticException:
            raise
        except Exception as e:
            if not read:
                raise
            message = _xdsl_failed(f"'{op.name}' cannot be verified", e)
            raise TesseraError.at_op(op, message) from e
    try:
        root.verify()
    except VerifyException as e:
        raise TesseraError(f"invalid IR: {e}") from None
    except DiagnosticException:
        raise
    except Exception as e:
        if not read:
            raise
        raise TesseraError.at_op(root, _xdsl_failed("invalid IR", e)) from e


def _xdsl_failed(what: str, e: Exception) -> str:
    message = " ".join(str(e).split()) or type(e).__name__  # on one line
    return f"{what}: {message} (xDSL's verifier failed on it)"


def run_reporting_errors(tool: str, body) -> int:
    """Run a command-line tool's body; user errors become one message and exit code 1.

    Anything else is a bug in Tessera: it is reported as internal (exit code 2), with the
    traceback only when TESSERA_TRACEBACK=1.
    """
    import sys
    import traceback

    from xdsl.utils.exceptions import ParseError

    try:
        result = body()
        return result if isinstance(result, int) else 0
    except TesseraError as e:
        print(e.format(), file=sys.stderr)
    except ParseError as e:
        print(f"{str(e).rstrip()}", file=sys.stderr)
    except DiagnosticException as e:
        print(f"error: {str(e).rstrip()}", file=sys.stderr)
    except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
        print(f"{tool}: error: {e.strerror}: {e.filename}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{tool}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # noqa: BLE001 - the last line of defence of a CLI
        if os.environ.get("TESSERA_TRACEBACK") == "1":
            traceback.print_exc()
        print(
            f"{tool}: internal error: {type(e).__name__}: {e}\n"
            "This is a bug in Tessera (set TESSERA_TRACEBACK=1 to see where).",
            file=sys.stderr,
        )
        return 2
    return 1
