"""The diagnostics corpus: one malformed program or bad command line per file.

Each case is a `.tsr` or `.mlir` file under a directory named after its class (`tsr/`:
the frontend, `mlir/`: the `.mlir` reader and the verifiers, `schedule/`: illegal schedules,
`npu/`: the npu dialect and its lowering, `tools/`: the command lines). Its leading comment
lines (`#` in `.tsr`, `//` in `.mlir`) say what to run and what must come out:

    # RUN: tessera run %s --bind B=x        (default: tessera-opt %s)
    # EXIT: 2                               (default: 1; 2 is argparse's usage error)
    # EXPECT: error: --bind expects NAME=SIZE with a positive integer, got 'B=x'
    # EXPECT-LAST: the last line of stderr (for messages whose text follows the caret)
    # EXPECT-RE: a regular expression instead of EXPECT (for the XFAIL cases)
    # XFAIL: why the tool does not yet say that (the case is then a strict xfail)

The command runs in the case's directory with `%s` standing for the file's name, so a
located message reads `name.tsr:LINE:COL: error: ...`. The EXPECT line must be the first
line of stderr (for exit code 2, argparse's: the last line, after the usage); a located
message must be followed by the source line it names and a caret under its column; no
output may contain a traceback or an internal error. xDSL's own parse errors in `.mlir`
text have another shape: `name.mlir:LINE:COL`, the source line, carets under the token,
then the message (EXPECT-LAST).

An XFAIL case is a bug found by this corpus (or the fuzzers, tests/fuzz): its EXPECT-RE says
what a fixed tool should print, loosely, so that a fix turns it into an XPASS (a failure under
strict xfail) and its XFAIL line, with the exact message, can then be pinned.

The cases run in-process through the tools' `main(argv)` (which returns the exit code; argparse
exits with SystemExit), so the whole corpus takes about a second; a sample also runs through
the installed console scripts, and TESSERA_DIAG_SUBPROCESS=1 runs every case that way.

The graph dialect's verifier rules are covered case by case by
tests/filecheck/dialects/graph/*-invalid.mlir (and the npu dialect's, the schedule pass's
and linalg-to-npu's by their filecheck tests); this corpus does not repeat those messages.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CLASSES = ("tsr", "mlir", "schedule", "npu", "tools")
BIN = Path(sys.executable).parent
DIRECTIVES = ("RUN", "EXIT", "EXPECT", "EXPECT-LAST", "EXPECT-RE", "XFAIL")
# `file:line:col: error: message` (Tessera's diagnostics) or `file:line:col` (xDSL's parser).
LOCATED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+)(?P<error>: error: |$)")


@dataclass(frozen=True)
class Case:
    path: Path
    argv: tuple[str, ...]  # the tool first
    exit: int
    expect: str | None
    expect_last: str | None
    expect_re: str | None
    xfail: str | None

    @property
    def id(self) -> str:
        return self.path.relative_to(HERE).as_posix()

    @property
    def cls(self) -> str:
        return self.path.parent.name


def load_case(path: Path) -> Case:
    marker = "//" if path.suffix == ".mlir" else "#"
    found: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith(marker):
            break
        body = line[len(marker):].strip()
        key, sep, value = body.partition(":")
        if sep and key in DIRECTIVES:
            found[key] = value.strip()
    assert ("EXPECT" in found) != ("EXPECT-RE" in found), f"{path}: EXPECT or EXPECT-RE"
    run = found.get("RUN", "tessera-opt %s")
    argv = tuple(a.replace("%s", path.name) for a in shlex.split(run))
    return Case(path, argv, int(found.get("EXIT", "1")), found.get("EXPECT"),
                found.get("EXPECT-LAST"), found.get("EXPECT-RE"), found.get("XFAIL"))


def all_cases() -> list[Case]:
    return [load_case(p) for c in CLASSES for p in sorted((HERE / c).glob("*"))
            if p.suffix in (".tsr", ".mlir")]


CASES = all_cases()


def run_in_process(case: Case) -> tuple[int, str, str]:
    from tessera.tools import tessera_cli, tessera_opt

    main = {"tessera-opt": tessera_opt.main, "tessera": tessera_cli.main}[case.argv[0]]
    out, err = io.StringIO(), io.StringIO()
    saved_argv, saved_cwd = sys.argv, os.getcwd()
    saved_db = os.environ.get("TESSERA_TUNING_DB")
    sys.argv = [case.argv[0]]  # argparse's program name in usage errors
    os.chdir(case.path.parent)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(case.argv[1:]))
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else 1
            except KeyboardInterrupt:
                raise
            except BaseException:  # noqa: BLE001 - what escapes main() is a traceback
                traceback.print_exc()
                code = 1
    finally:
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        # `--tuning-db` sets it for the schedule pass; keep the suite's setting.
        if saved_db is None:
            os.environ.pop("TESSERA_TUNING_DB", None)
        else:
            os.environ["TESSERA_TUNING_DB"] = saved_db
    return code, out.getvalue(), err.getvalue()


def run_subprocess(case: Case) -> tuple[int, str, str]:
    env = {**os.environ, "TESSERA_TUNING_DB": "none"}
    result = subprocess.run([str(BIN / case.argv[0]), *case.argv[1:]], capture_output=True,
                            text=True, cwd=case.path.parent, env=env, timeout=120)
    return result.returncode, result.stdout, result.stderr


def check(case: Case, code: int, stdout: str, stderr: str) -> None:
    shown = f"exit code {code}\n--- stderr:\n{stderr}--- stdout:\n{stdout[-2000:]}"
    for text in (stdout, stderr):
        assert "Traceback" not in text, shown
        assert "internal error" not in text, shown
    assert code == case.exit, shown
    # Lines end at '\n' only, as the lexers count them (a form feed in a quoted source
    # line does not end it).
    lines = stderr.removesuffix("\n").split("\n") if stderr else []
    assert lines, shown
    message = lines[-1] if case.exit == 2 else lines[0]
    if case.exit == 2:
        assert lines[0].startswith("usage: "), shown
    if case.expect_re is not None:
        assert re.fullmatch(case.expect_re, message), shown
    else:
        assert message == case.expect, shown
    if case.expect_last is not None:
        assert lines[-1].strip() == case.expect_last, shown
    located = LOCATED.match(message) if case.exit == 1 else None
    source = case.path.parent / located["file"] if located else None
    if source is not None and source.is_file():
        # The source line the location names, and a caret under its column.
        line, col = int(located["line"]), int(located["col"])
        text = [ln.removesuffix("\r") for ln in source.read_bytes().decode("utf-8").split("\n")]
        text = text[line - 1] if line <= len(text) else ""
        indent = "".join("\t" if ch == "\t" else " " for ch in text[: col - 1])
        assert lines[1] == text, shown
        if located["error"]:
            assert lines[2] == indent + "^", shown
        else:  # xDSL: a caret under each character of the token
            assert re.fullmatch(re.escape(indent) + r"\^+", lines[2]), shown


def _param(case: Case):
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_case(case: Case):
    runner = run_subprocess if os.environ.get("TESSERA_DIAG_SUBPROCESS") == "1" else run_in_process
    check(case, *runner(case))


# One case per tool and kind of failure, through the installed console scripts: what a user
# sees is what the in-process runs see.
SAMPLE = ("tsr/matmul-inner-dims.tsr", "tsr/parse-missing-closing-brace.tsr",
          "mlir/parse-undefined-value.mlir", "tools/run-bind-not-a-number.tsr",
          "tools/tune-unknown-strategy.tsr")


@pytest.mark.parametrize("case", [_param(c) for c in CASES if c.id in SAMPLE])
def test_case_as_subprocess(case: Case):
    check(case, *run_subprocess(case))


# The verifier and pass diagnostics the filecheck tests check case by case (one FileCheck
# directive with an `error:` each); the corpus does not repeat them.
FILECHECK = HERE.parent / "filecheck"
FILECHECK_DIAGNOSTICS = {
    "graph verifiers": ["dialects/graph/*-invalid.mlir"],
    "npu verifiers": ["dialects/npu/ops-invalid.mlir"],
    "frontend": ["frontend/errors.tsr"],
    "schedule": ["lowering/schedule/errors.mlir"],
    "linalg-to-npu": ["lowering/linalg-to-npu/errors.tsr"],
    "bufferize, linalg-to-loops": ["lowering/bufferize/errors.mlir",
                                   "lowering/linalg-to-loops/errors.mlir"],
    "c target": ["targets/c/errors.mlir", "targets/c/vector-errors.mlir"],
}
CHECKED_ERROR = re.compile(r"^\s*(?://|#)\s*[A-Z][A-Z0-9-]*:.*\berror: ", re.M)


def filecheck_counts() -> dict[str, int]:
    return {what: sum(len(CHECKED_ERROR.findall(f.read_text(encoding="utf-8")))
                      for pattern in patterns for f in sorted(FILECHECK.glob(pattern)))
            for what, patterns in FILECHECK_DIAGNOSTICS.items()}


def test_filecheck_diagnostics_exist():
    """The filecheck tests this corpus counts on (and does not repeat) are still there."""
    assert all(filecheck_counts().values()), filecheck_counts()


def test_corpus_is_broad():
    """Every class has cases, every case is in a class directory, and the sample exists."""
    counts = {c: sum(case.cls == c for case in CASES) for c in CLASSES}
    assert all(counts.values()), counts
    assert {c.id for c in CASES} >= set(SAMPLE)
    stray = [p for p in HERE.rglob("*") if p.suffix in (".tsr", ".mlir")
             and p.parent.name not in CLASSES]
    assert not stray, stray


if __name__ == "__main__":
    # `python tests/diagnostics/test_corpus.py [CLASS]`: print each case's output (to write
    # the EXPECT line of a new case) and the count per class.
    wanted = sys.argv[1:]
    for case in CASES:
        if wanted and case.cls not in wanted and case.id not in wanted:
            continue
        code, out, err = run_in_process(case)
        print(f"== {case.id} (exit {code}; expected {case.exit})\n{err.rstrip()}")
    if not wanted:
        counts = {c: sum(case.cls == c for case in CASES) for c in CLASSES}
        xfails = {c: sum(case.cls == c and bool(case.xfail) for case in CASES) for c in CLASSES}
        print("corpus:", counts, "total", sum(counts.values()), "of which xfail", xfails)
        print("filecheck:", filecheck_counts(), "total", sum(filecheck_counts().values()))
