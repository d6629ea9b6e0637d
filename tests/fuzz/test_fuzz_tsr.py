"""Fuzzing the `.tsr` frontend: the parser alone and the whole frontend (parse, build, verify).

Inputs: token mutations of valid and malformed programs (examples/, the frontend's filecheck
tests, the diagnostics corpus), programs generated from the grammar with random types,
shapes, builtins, keywords and numbers, and raw text. See fuzzing.py for the property, the
budget (TESSERA_FUZZ_EXAMPLES) and the known bugs (a known bug is pinned below as a strict
xfail; none is open). The bugs found so far run below as ordinary examples.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuzzing import (
    TSR_TOKEN,
    budget,
    event,
    known_bug,
    mutated,
    substituted,
    tsr_seeds,
)
from tessera.compiler.diagnostics import TesseraError
from tessera.compiler.frontend import tsr_to_module
from tessera.compiler.frontend.builtins import BUILTINS
from tessera.compiler.frontend.parser import parse_program

FILENAME = "fuzz.tsr"
BINDINGS = {"B": 2, "N": 3, "K": 4}

# -- strategies -----------------------------------------------------------------------------

VOCABULARY = ["def", "dim", "return", "(", ")", "[", "]", "{", "}", ",", ":", "->", "=",
              "+=!", "*=!", "max=!", "min=!", "+", "-", "*", "/", "@", "f32", "f64", "i32",
              "i8", "true", "false", "axis", "axes", "kernel", "stride", "padding", "shape",
              "perm", "keepdims", "start_dim", "scale", "bias", "dilation", "\n", "#", "!",
              *BUILTINS]
DTYPES = ["f32", "f32", "f32", "f64", "i32", "i8"]
DIMS = ["1", "2", "3", "4", "2", "3", "B", "N", "K", "M", "0"]
NAMES = ["x", "y", "w", "b", "h", "c", "a", "s"]
INDICES = ["i", "j", "k", "l"]
SMALL_NUMBERS = st.one_of(
    st.sampled_from(["0", "1", "2", "-1", "3", "0.5", "2.0", "1e-3"]),
    st.integers(-3, 8).map(str),
    st.sampled_from(["300", "-129", "2147483648", "1e39", "1e400", "1" + "0" * 400]),
)


@st.composite
def shapes(draw) -> list[str]:
    # Mostly sizes and bound names; now and then an unbound name (M) or a zero.
    return draw(st.lists(st.sampled_from(DIMS[:-2] * 10 + DIMS[-2:]), max_size=4))


@st.composite
def tensor_types(draw, dtype: str | None = None, shape: list[str] | None = None) -> str:
    """A tensor type, most often of the function's element type and shape (so that more
    programs get past type checking), else a random one."""
    if dtype is None or draw(st.integers(0, 4)) == 0:
        dtype = draw(st.sampled_from(DTYPES))
    if shape is None or draw(st.integers(0, 3)) == 0:
        shape = draw(shapes())
    return f"{dtype}[{', '.join(shape)}]"


@st.composite
def int_lists(draw) -> str:
    values = draw(st.lists(st.integers(-2, 5), max_size=4))
    return "[" + ", ".join(map(str, values)) + "]"


def exprs(names: list[str], functions: list[str], depth: int = 3):
    leaf = st.one_of(st.sampled_from(names or ["x"]), SMALL_NUMBERS)
    if depth <= 0:
        return leaf
    sub = st.deferred(lambda: exprs(names, functions, depth - 1))
    return st.one_of(
        leaf,
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*", "/", "@"]), sub)
        .map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        sub.map(lambda e: f"-{e}"),
        sub.map(lambda e: f"({e})"),
        calls(names, functions, sub),
        st.lists(sub, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.tuples(st.sampled_from(names or ["x"]), st.lists(st.sampled_from(INDICES),
                                                            max_size=3))
        .map(lambda t: f"{t[0]}[{', '.join(t[1])}]"),
    )


@st.composite
def calls(draw, names, functions, sub) -> str:
    name = draw(st.sampled_from([*BUILTINS, *functions, "softmaks", "abs"]))
    args = draw(st.lists(sub, max_size=3))
    params = list(BUILTINS[name].params) if name in BUILTINS else ["a"]
    keywords = draw(st.lists(st.sampled_from([*params, "axis", "zzz"]), max_size=2,
                             unique=True))
    values = st.one_of(sub, int_lists(), SMALL_NUMBERS, st.sampled_from(["true", "false"]))
    args += [f"{k}={draw(values)}" for k in keywords]
    return f"{name}({', '.join(args)})"


@st.composite
def index_statements(draw, names) -> str:
    lhs = draw(st.lists(st.sampled_from(INDICES), max_size=3))
    combine = draw(st.sampled_from(["=", "+=!", "*=!", "max=!", "min=!"]))
    access = st.tuples(st.sampled_from(names), st.lists(st.sampled_from(INDICES), max_size=3)) \
        .map(lambda t: f"{t[0]}[{', '.join(t[1])}]")
    term = st.one_of(access, access, SMALL_NUMBERS, st.sampled_from(names))
    rhs = draw(term)
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(["+", "-", "*", "/"]))
        rhs = f"{rhs} {op} {draw(term)}"
    if draw(st.booleans()):
        rhs = f"{draw(st.sampled_from(['exp', 'relu', 'max', 'sqrt', 'softmax']))}({rhs})"
    target = draw(st.sampled_from(["c", "t", *names]))
    return f"{target}[{', '.join(lhs)}] {combine} {rhs}", target


@st.composite
def functions(draw, name: str, others: list[str]) -> str:
    dtype, shape = draw(st.sampled_from(DTYPES)), draw(shapes())
    params = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3,
                           unique=draw(st.integers(0, 9)) > 0))
    signature = ", ".join(f"{p}: {draw(tensor_types(dtype, shape))}" for p in params)
    results = draw(st.lists(tensor_types(dtype, shape), min_size=1, max_size=2))
    result_text = results[0] if len(results) == 1 else f"({', '.join(results)})"
    names, body = list(params), []
    for _ in range(draw(st.integers(0, 3))):
        if draw(st.integers(0, 3)) == 0:
            statement, target = draw(index_statements(names))
            body.append(statement)
            names.append(target)
        else:
            target = draw(st.sampled_from(["h", "y", "z", *names]))
            body.append(f"{target} = {draw(exprs(names, others))}")
            names.append(target)
    returned = draw(st.lists(exprs(names, others, 2), min_size=1, max_size=2))
    body.append("return " + ", ".join(returned))
    lines = "\n".join("  " + s for s in body)
    return f"def {name}({signature}) -> {result_text} {{\n{lines}\n}}\n"


@st.composite
def programs(draw) -> str:
    """A program from the grammar: dims, then 1..3 functions that may call each other."""
    dims = [f"dim {d} = {draw(st.sampled_from(['1', '2', '4', '3'] * 5 + ['0']))}\n"
            for d in draw(st.lists(st.sampled_from(["B", "N", "M"]), max_size=2))]
    names = draw(st.lists(st.sampled_from(["f", "g", "main", "relu", "layer"]), min_size=1,
                          max_size=3, unique=draw(st.integers(0, 9)) > 0))
    text = "".join(dims)
    for i, name in enumerate(names):
        text += draw(functions(name, names[:i] + names[i + 1:]))
    return text


RAW_ALPHABET = list("def dim return ()[]{},:->=+-*/@!#\n 0123456789.eEfixwab_"
                    "\t\r\f\"'$%&;<>|~`α×")
SEEDS = tsr_seeds()
# Sizes and numbers, element types and builtin names, each replaced by another of its kind:
# well-formed programs with wrong shapes, types and arguments.
ATOMS = re.compile(r"(?P<number>(?<![\w.])\d+(?![\w.]))|(?P<dtype>\b(?:f32|f64|i32|i8)\b)"
                   r"|(?P<builtin>\b(?:relu|sigmoid|tanh|exp|log|sqrt|sum|max|mean|softmax"
                   r"|transpose|flatten|widen|matmul|maxpool2d|avgpool2d)\b)")
ATOM_REPLACEMENTS = {
    "number": st.one_of(st.integers(0, 9).map(str), SMALL_NUMBERS),
    "dtype": st.sampled_from(["f32", "f64", "i32", "i8"]),
    "builtin": st.sampled_from(sorted(BUILTINS)),
}
TSR_INPUTS = st.one_of(
    substituted(SEEDS, ATOMS, ATOM_REPLACEMENTS),
    mutated(SEEDS, TSR_TOKEN, VOCABULARY),
    mutated(SEEDS, TSR_TOKEN, VOCABULARY, max_mutations=12),
    programs(),
    programs(),
    st.text(alphabet=st.sampled_from(RAW_ALPHABET), max_size=200),
    st.text(max_size=80),
)

# -- the property ---------------------------------------------------------------------------


def check_diagnostic(e: TesseraError, text: str) -> None:
    """A located diagnostic names the file and a line:col in the text, and quotes that line."""
    formatted = e.format()
    assert e.message, formatted
    if e.loc is None:
        assert formatted.startswith("error: "), formatted
        return
    # Lines counted at '\n' only, as the lexer counts them (a '\r' before one is not quoted).
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    assert e.loc.filename == FILENAME, formatted
    assert formatted.startswith(f"{FILENAME}:{e.loc.line}:{e.loc.column}: error: "), formatted
    assert 1 <= e.loc.line <= len(lines), formatted
    assert 1 <= e.loc.column <= len(text.split("\n")[e.loc.line - 1]) + 1, formatted
    quoted = formatted.split("\n")
    # The quoted source line is the one the location names, and the caret stands under
    # the column.
    assert quoted[-2] == lines[e.loc.line - 1], formatted
    assert len(quoted[-1]) == e.loc.column and quoted[-1].endswith("^"), formatted


def message_class(message: str) -> str:
    """The first words of a message, names and numbers blanked: for the statistics."""
    return " ".join(re.sub(r"'[^']*'|\d+", "_", message).split()[:3])


def check(read, text: str, tolerate_known: bool = True) -> None:
    try:
        read(text)
        event("outcome: accepted")
    except TesseraError as e:
        event(f"outcome: {message_class(e.message)}")
        check_diagnostic(e, text)
    except Exception as e:  # noqa: BLE001 - the property: nothing else may escape
        if tolerate_known and known_bug(e):
            return
        raise


def parse(text: str):
    return parse_program(text, FILENAME)


def frontend(text: str):
    return tsr_to_module(text, FILENAME, dict(BINDINGS))


@budget(600)
@given(TSR_INPUTS)
def test_fuzz_parse_program(text):
    check(parse, text)


@budget(600)
@given(TSR_INPUTS)
def test_fuzz_tsr_to_module(text):
    check(frontend, text)


# -- the bugs the fuzzers found, minimal ------------------------------------------------------


@pytest.mark.parametrize("text", [
    pytest.param("def f(x: f32[3]) -> f32[3] {\n  return x\n}\n", id="valid"),
    pytest.param("def f(x: f32[3]) -> f32[3] {\n  return x +\n}\n", id="syntax-error"),
    pytest.param("def f(x: f32[3]) -> f32[4] {\n  return x\n}\n", id="type-error"),
    # Bugs the fuzzer found, now fixed: literals that do not fit the tensor's type.
    pytest.param("def f(x: i8[3]) -> i8[3] {\n  return x + 300\n}\n",
                 id="int-literal-out-of-range-i8"),
    pytest.param("def f(x: f32[3]) -> f32[3] {\n  return x * 1e39\n}\n",
                 id="float-literal-out-of-range-f32"),
    pytest.param("def f(x: f32[3]) -> f32[3] {\n  return x * 1" + "0" * 309 + "\n}\n",
                 id="int-literal-too-large-for-float"),
    # More the fuzzer found, now fixed: constant folding that overflows a float (an
    # OverflowError escaped), a name bound to a number on the right of index notation (a
    # ValueError escaped), the quoted source line of text with a form feed (str.splitlines()
    # also breaks lines at \f, \r, \v, \x85, \u2028, ...; the lexer counts '\n' only).
    pytest.param("def f(x: f32[3]) -> f32[3] {\n  return x * (1" + "0" * 309 + " / 3)\n}\n",
                 id="constant-folding-overflow"),
    pytest.param("def f(a: f32[4]) -> f32[4] {\n  s = 2\n  c[i] = a[i] * s\n  return c\n}\n",
                 id="index-notation-number-name"),
    pytest.param("def f(a: i8[4]) -> i8[4] {\n  s = 300\n  c[i] = a[i] * s\n  return c\n}\n",
                 id="index-notation-number-name-out-of-range"),
    pytest.param("def f(x: f32[3]) -> f32[3] {\f\n  return x $ x\n}\n",
                 id="quoted-line-after-form-feed"),
    pytest.param("def f(x: f32[3]) -> f32[3] {\r\n  return x $ x\r\n}\r\n",
                 id="quoted-line-of-crlf-text"),
    pytest.param("def f(x: f32[3]) -> f32[3] {\u2028\x85\x1c\n  return x $ x\n}\n",
                 id="quoted-line-after-unicode-line-breaks"),
])
def test_property_holds_for(text):
    check(frontend, text, tolerate_known=False)


def test_quoted_line_after_form_feed():
    text = "def f(x: f32[3]) -> f32[3] {\f\n  return x $ x\n}\n"
    with pytest.raises(TesseraError) as info:
        frontend(text)
    assert info.value.format() == ("fuzz.tsr:2:12: error: syntax error: unexpected character "
                                   "'$'\n  return x $ x\n           ^")
