"""The command-line tools: exit codes, located diagnostics, never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(tool: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / tool), *args], capture_output=True, text=True, input=stdin, cwd=ROOT
    )


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in result.stderr


def test_run_agrees_and_reports_time():
    result = run("tessera", "run", "examples/mlp.tsr", "--bind", "B=3", "--seed", "7")
    assert result.returncode == 0, result.stderr
    assert "mlp on c (B=3)" in result.stdout
    assert "agrees" in result.stdout
    assert "time per call" in result.stdout


def test_run_with_inputs_file_and_save(tmp_path):
    rng = np.random.default_rng(0)
    inputs = tmp_path / "in.npz"
    np.savez(inputs, a=rng.standard_normal((4, 3)).astype(np.float32),
             b=rng.standard_normal((3, 2)).astype(np.float32))
    out = tmp_path / "out.npz"
    result = run("tessera", "run", "examples/matmul.tsr", "--bind", "M=4", "--bind", "K=3",
                 "--bind", "N=2", "--inputs", str(inputs), "--save", str(out), "--repeat", "3")
    assert result.returncode == 0, result.stderr
    saved = np.load(out)
    np.testing.assert_allclose(saved["result0"], saved["a"] @ saved["b"], rtol=1e-6)


def test_run_interp_target():
    result = run("tessera", "run", "examples/bmm.tsr", "--target", "interp", "--entry", "bmm")
    assert result.returncode == 0, result.stderr


def test_malformed_tsr_is_located(tmp_path):
    bad = tmp_path / "bad.tsr"
    bad.write_text("def f(x: f32[3]) -> f32[3] {\n  return x @@ x\n}\n")
    for tool, args in (("tessera-opt", [str(bad)]), ("tessera", ["run", str(bad)])):
        result = run(tool, *args)
        assert_user_error(result, f"{bad}:2:13: error: syntax error", "  return x @@ x", "^")


def test_shape_error_is_located():
    src = "def f(a: f32[4, 784], b: f32[128, 10]) -> f32[4, 10] {\n  return a @ b\n}\n"
    result = run("tessera-opt", "-f", "tsr", stdin=src)
    assert_user_error(result, "<stdin>:2:12: error: matmul: inner dimensions differ (784 vs 128)")


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "examples/mlp.tsr", "--bind", "B=x"], "--bind expects NAME=SIZE"),
        (["run", "examples/mlp.tsr", "--bind", "B=0"], "--bind B: size must be positive"),
        (["run", "examples/mlp.tsr", "--target", "fpga"], "unknown target 'fpga'"),
        (["run", "examples/mlp.tsr", "--entry", "nope"], "no function named 'nope'"),
        (["run", "examples/missing.tsr"], "No such file or directory"),
        (["run", "examples/mlp.tsr", "--inputs", "examples/mlp.tsr"], "cannot read inputs"),
    ],
)
def test_run_user_errors(args, message):
    assert_user_error(run("tessera", *args), message)


def test_invalid_mlir_is_located(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text(
        "func.func @f(%a: tensor<4x3xf32>) -> tensor<3x4xf32> {\n"
        "  %t = graph.transpose %a {perm = array<i64: 0, 1>} : tensor<4x3xf32> -> tensor<3x4xf32>\n"
        "  func.return %t : tensor<3x4xf32>\n}\n"
    )
    result = run("tessera-opt", str(bad))
    assert_user_error(result, f"{bad}:2:3: error: 'graph.transpose' result type")


def test_unknown_pass_and_bad_target():
    result = run("tessera-opt", "examples/mlp.tsr", "-p", "no-such-pass")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    result = run("tessera-opt", "examples/mlp.tsr", "-t", "fortran")
    assert result.returncode != 0 and "Traceback" not in result.stderr


def test_opt_prints_c_for_every_level_pipeline():
    result = run("tessera-opt", "examples/lenet5.tsr", "-p", "lower-to-c", "-t", "c")
    assert result.returncode == 0, result.stderr
    assert "void tsr_lenet5(" in result.stdout


def test_help_does_not_load_dialects_or_passes():
    """Registration is lazy: --help imports no dialect, pass or target module."""
    code = (
        "import sys\n"
        "from tessera.tools.tessera_opt import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.startswith(('xdsl.dialects.linalg', "
        "'tessera.dialects.graph', 'tessera.lowering', 'tessera.targets.c.emitter'))]\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout


def test_unknown_input_extension_is_a_user_error(tmp_path):
    odd = tmp_path / "prog.txt"
    odd.write_text("def f(x: f32[2]) -> f32[2] { return x }\n")
    assert_user_error(run("tessera-opt", str(odd)), "Unrecognized file extension 'txt'",
                      "--frontend")


def test_default_schedules_print_as_a_script_that_replays(tmp_path):
    """`-t transform` prints the schedules lower-to-c would apply; replaying the script
    gives the same C-level IR."""
    script = tmp_path / "schedule.mlir"
    printed = run("tessera-opt", "examples/mlp.tsr", "-p", "lower-to-buffers", "-t", "transform")
    assert printed.returncode == 0, printed.stderr
    assert "transform.tessera.tile" in printed.stdout
    script.write_text(printed.stdout)
    replayed = run("tessera-opt", "examples/mlp.tsr", "-p",
                   f'lower-to-buffers,transform-interpreter{{script="{script}"}},'
                   "linalg-to-loops,lower-affine,canonicalize,cse,memory-plan")
    direct = run("tessera-opt", "examples/mlp.tsr", "-p", "lower-to-c")
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout == direct.stdout


def test_transform_target_wants_buffers():
    assert_user_error(run("tessera-opt", "examples/mlp.tsr", "-p", "lower-to-linalg", "-t",
                          "transform"), "run lower-to-buffers first")


def test_tune_prints_progress_and_a_table_and_run_applies_it(tmp_path):
    db = tmp_path / "tuning.db"
    result = run("tessera", "tune", "examples/matmul.tsr", "--trials", "4", "--strategy",
                 "random", "--db", str(db), "--seed", "1")
    assert result.returncode == 0, result.stderr
    assert "[1/1] matmul" in result.stderr and "4/4 trials" in result.stderr
    header, rule, row = result.stdout.splitlines()[:3]
    assert header.split()[:4] == ["op", "loops", "share", "trials"]
    assert row.split()[:4] == ["matmul", "64x32x48", "100%", "4"]
    assert re.search(r" \d+\.\d\dx ", row)  # the speed-up column
    assert f"trials recorded in {db}" in result.stdout
    again = run("tessera", "tune", "examples/matmul.tsr", "--trials", "4", "--strategy",
                "random", "--db", str(db), "--seed", "1")
    assert "4 (0 new)" in again.stdout  # resumed: nothing left to measure
    applied = run("tessera", "run", "examples/matmul.tsr", "--tuning-db", str(db))
    assert applied.returncode == 0 and "agrees" in applied.stdout, applied.stderr


@pytest.mark.parametrize("args, message", [
    (["--strategy", "annealing"], "invalid choice: 'annealing'"),
    (["--trials", "0"], "expected a positive integer"),
])
def test_tune_usage_errors(args, message):
    result = run("tessera", "tune", "examples/matmul.tsr", *args)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_tune_user_errors(tmp_path):
    assert_user_error(run("tessera", "tune", "examples/matmul.tsr", "--target", "interp",
                          "--db", str(tmp_path / "x.db")),
                      "cannot tune for target 'interp'")
    assert_user_error(run("tessera", "run", "examples/matmul.tsr", "--tuning-db",
                          str(tmp_path / "missing.db")),
                      "does not exist")
