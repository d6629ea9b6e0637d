"""What the fuzz tests share: the budget, the seed corpora, token mutations, the known bugs.

The property every fuzz test checks: reading any text either succeeds or raises a user
diagnostic (`TesseraError`; for `.mlir` text also xDSL's `DiagnosticException`s, its parse
and verify errors, which the tools report the same way); anything else is a bug in Tessera.

Budget: each test runs a fixed number of inputs (its `@budget(n)`: 5-10 s per test on one
core), derandomized so that CI explores the same inputs on every run. Environment:

    TESSERA_FUZZ_EXAMPLES=N   inputs per fuzz test instead (e.g. 10000 for a long hunt)
    TESSERA_FUZZ_RANDOM=1     a fresh random exploration on each run
    (pytest --hypothesis-show-statistics shows what the inputs led to: accepted, which
    diagnostic, which known bug)

Known bugs: each bug the fuzzers found is pinned as an explicit example, a strict xfail in
the test modules, and listed in `KNOWN_BUGS` so that the fuzzers keep looking for new ones
instead of stopping at the same bug again. Fixing one turns its example into an XPASS (a
failure under strict xfail): remove the example's xfail mark and its `KNOWN_BUGS` entry.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import event as _event
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

ROOT = Path(__file__).resolve().parents[2]


def event(value: str) -> None:
    """Count an outcome for --hypothesis-show-statistics (a no-op outside a fuzz test)."""
    try:
        _event(value)
    except InvalidArgument:
        pass


def budget(default: int):
    """Hypothesis settings for a fuzz test that runs `default` inputs unless overridden."""
    examples = int(os.environ.get("TESSERA_FUZZ_EXAMPLES", default))
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,  # nothing written into the repository (.hypothesis/)
        derandomize=os.environ.get("TESSERA_FUZZ_RANDOM") != "1",
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much, HealthCheck.large_base_example],
        print_blob=True,
    )


# -- known bugs ---------------------------------------------------------------------------
# (exception type, regular expression its message matches, the explicit example that pins
# it[, a fragment of the path of the file it is raised in])

# Open bugs: none now. Those found so far (literals and constant folding beyond their type,
# a number-bound name in index notation, xDSL's parser, lexer and verifiers failing on
# malformed .mlir, the quoted line after a form feed) are fixed; their examples in the test
# modules run as ordinary tests.
KNOWN_BUGS: list[tuple] = []


def _raised_in(error: BaseException) -> str:
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename if tb is not None else ""


def known_bug(error: BaseException) -> str | None:
    for kind, pattern, what, *where in KNOWN_BUGS:
        if (isinstance(error, kind) and re.search(pattern, str(error))
                and all(w in _raised_in(error).replace(os.sep, "/") for w in where)):
            event(f"known bug: {what}")
            return what
    return None


# -- seeds --------------------------------------------------------------------------------


def split_chunks(text: str, separator: str) -> list[str]:
    return [c for c in text.split(separator) if c.strip()]


def tsr_seeds() -> list[str]:
    """Valid programs (examples/, the frontend's filecheck tests) and the malformed ones of
    the diagnostics corpus, comment lines dropped."""
    files = sorted((ROOT / "examples").glob("*.tsr"))
    files += sorted((ROOT / "tests" / "filecheck" / "frontend").glob("*.tsr"))
    files += sorted((ROOT / "tests" / "diagnostics" / "tsr").glob("*.tsr"))
    seeds = []
    for f in files:
        for chunk in split_chunks(f.read_text(encoding="utf-8"), "// -----"):
            lines = [ln for ln in chunk.splitlines() if not ln.lstrip().startswith("#")]
            seeds.append("\n".join(lines) + "\n")
    return seeds


def mlir_seeds() -> list[str]:
    """The dialect and lowering filecheck inputs and the diagnostics corpus's, split at
    `// -----`, comment lines dropped; and the graph-level IR of each example."""
    import io

    from xdsl.printer import Printer

    from tessera.compiler.frontend import tsr_to_module

    files = sorted((ROOT / "tests" / "filecheck").glob("**/*.mlir"))
    files += sorted((ROOT / "tests" / "diagnostics").glob("*/*.mlir"))
    seeds = []
    for f in files:
        if "Output" in f.parts:
            continue
        for chunk in split_chunks(f.read_text(encoding="utf-8"), "// -----"):
            lines = [ln for ln in chunk.splitlines() if not ln.lstrip().startswith("//")]
            if any(ln.strip() for ln in lines):
                seeds.append("\n".join(lines) + "\n")
    for f in sorted((ROOT / "examples").glob("*.tsr")):
        out = io.StringIO()
        Printer(stream=out).print_op(tsr_to_module(f.read_text(encoding="utf-8"), f.name))
        seeds.append(out.getvalue() + "\n")
    return seeds


# -- token mutations ----------------------------------------------------------------------

TSR_TOKEN = re.compile(
    r"\s+|#[^\n]*|->|\+=!|\*=!|max=!|min=!|[A-Za-z_][A-Za-z0-9_]*"
    r"|(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\d+|.", re.S)
MLIR_TOKEN = re.compile(
    r"\s+|//[^\n]*|[%@^#!][\w.$-]*|\"(?:[^\"\\\n]|\\.)*\"|[A-Za-z_][\w.$]*"
    r"|(?:\d+\.\d*)(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|\d+|->|::|.", re.S)


def tokenize(text: str, pattern: re.Pattern) -> list[str]:
    return pattern.findall(text)


NUMBERS = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.sampled_from(["0", "1", "-1", "2", "127", "128", "-129", "255", "256", "300",
                     "2147483647", "2147483648", "-2147483649", "9223372036854775808",
                     "1" + "0" * 30, "1" + "0" * 400, "0.0", "0.5", ".5", "1.", "1e39",
                     "1e308", "1e400", "-1e400", "1e-50", "3.4028236e38", "1e-400"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)
IDENTIFIERS = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True)
UNICODE = st.text(min_size=1, max_size=3)


def token_class(token: str) -> str:
    if token[:1].isdigit() or token[:1] == "." and token[1:2].isdigit():
        return "number"
    if token[:1] in "%@^#!":
        return token[:1]
    if token[:1].isalpha() or token[:1] == "_":
        return "word"
    return "punctuation"


def one_of_seeds(seeds: list[str]):
    # By index: a strategy's repr (which Hypothesis prints) stays short.
    return st.integers(0, len(seeds) - 1).map(seeds.__getitem__)


OPERATIONS = (["alike"] * 8 + ["delete", "delete"] + ["insert"] * 3 + ["replace"] * 3
              + ["duplicate", "swap", "delete-run", "delete-run"])


@st.composite
def mutated(draw, seeds: list[str], pattern: re.Pattern, vocabulary: list[str],
            max_mutations: int = 4) -> str:
    """A seed with 1..max_mutations token edits at uniformly random places: deletions,
    insertions, replacements, duplications and swaps, new tokens drawn from the vocabulary,
    numbers, names or unicode; most often a token replaced by another of its kind (a number
    by a number, a name by a name of the seed), which keeps the text well formed more often
    and so reaches the type checks and verifiers."""
    tokens = tokenize(draw(one_of_seeds(seeds)), pattern)
    rng = draw(st.randoms(use_true_random=False))
    fresh = st.one_of(st.sampled_from(vocabulary), NUMBERS, IDENTIFIERS, UNICODE)
    for _ in range(draw(st.integers(1, max_mutations))):
        if not tokens:
            tokens = [draw(fresh)]
            continue
        solid = [i for i, t in enumerate(tokens) if not t.isspace()] or [0]
        i = rng.choice(solid)
        op = rng.choice(OPERATIONS)
        if op == "alike":
            kind = token_class(tokens[i]) if tokens[i] else "punctuation"
            if kind == "number":
                tokens[i] = draw(st.one_of(NUMBERS, st.integers(0, 9).map(str)))
            else:
                tokens[i] = rng.choice(sorted({t for t in tokens if token_class(t) == kind}))
        elif op == "delete":
            del tokens[i]
        elif op == "delete-run":
            del tokens[i:i + rng.randint(2, 12)]
        elif op == "insert":
            tokens.insert(i, draw(fresh) + rng.choice(["", " "]))
        elif op == "replace":
            tokens[i] = draw(fresh)
        elif op == "duplicate":
            tokens.insert(i, tokens[i])
        elif op == "swap" and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
    return "".join(tokens)


@st.composite
def substituted(draw, seeds: list[str], pattern: re.Pattern, replacements: dict,
                max_edits: int = 3) -> str:
    """A seed with 1..max_edits matches of `pattern` (numbers, element types, ...) replaced
    by others of their kind: the text stays well formed, its types and shapes do not."""
    text = draw(one_of_seeds(seeds))
    matches = list(pattern.finditer(text))
    if not matches:
        return text
    rng = draw(st.randoms(use_true_random=False))
    chosen = sorted(rng.sample(matches, min(len(matches), draw(st.integers(1, max_edits)))),
                    key=lambda m: m.start(), reverse=True)
    for m in chosen:
        kind = m.lastgroup
        text = text[:m.start()] + draw(replacements[kind]) + text[m.end():]
    return text
