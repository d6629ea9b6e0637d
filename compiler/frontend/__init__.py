"""The `.tsr` frontend: lark grammar -> syntax tree -> `graph` dialect."""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp

from tessera.compiler.diagnostics import TesseraError, verify_located


def parse_bindings(items: list[str]) -> dict[str, int]:
    """`["B=64", "N=3"]` -> {"B": 64, "N": 3}; a malformed item is a user error."""
    from tessera.compiler.frontend.values import LARGEST_SIZE

    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier() or not value.strip().isdigit():
            raise TesseraError(f"--bind expects NAME=SIZE with a positive integer, got '{item}'")
        size = int(value)
        if size <= 0:
            raise TesseraError(f"--bind {name}: size must be positive, got {size}")
        if size > LARGEST_SIZE:
            raise TesseraError(f"--bind {name}: size {size} is too large (at most "
                               f"{LARGEST_SIZE}: sizes are int64)")
        out[name] = size
    return out


def tsr_to_module(
    text: str, filename: str, bindings: dict[str, int] | None = None, entry: str | None = None
) -> ModuleOp:
    """Compile DSL text to a verified module of `graph` ops (functions in source order)."""
    from tessera.compiler.frontend.builder import build_module
    from tessera.compiler.frontend.parser import parse_program

    program = parse_program(text, filename)
    module = build_module(program, filename, bindings or {}, entry)
    verify_located(module)
    return module
