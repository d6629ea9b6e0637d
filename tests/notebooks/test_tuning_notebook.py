"""notebooks/tuning_experiments.ipynb runs top to bottom at the `ci` budget.

The notebook is executed from a copy in a temporary folder (the committed one, with the
outputs of its last full run, is never written), with the working directory set to
notebooks/ as `jupyter execute` would, and in a kernel on this interpreter. Every cell must
run without an error and each experiment's figure cell must have drawn its figure.
"""

import os
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "tuning_experiments.ipynb"
FIGURES = ("figure-convergence", "figure-landscape", "figure-speedup", "figure-roofline")


def test_the_notebook_runs_at_the_ci_budget(tmp_path, monkeypatch):
    copy = tmp_path / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, copy)
    nb = nbformat.read(copy, as_version=4)
    for cell in nb.cells:  # the committed outputs must not count as this run's
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None

    monkeypatch.setenv("TESSERA_NOTEBOOK_BUDGET", "ci")
    # The kernel spec runs `python`; put this interpreter's folder first on the PATH so
    # that, whatever jupyter_client makes of the spec, the kernel runs where tessera is.
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent),
                                                os.environ.get("PATH", "")]))
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=900, startup_timeout=120,
        resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()  # raises CellExecutionError on the first cell that fails
    nbformat.write(nb, copy)

    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code")
    for tag in FIGURES:
        tagged = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"no cell tagged {tag}"
        images = [o for o in tagged[0].outputs if "image/png" in o.get("data", {})]
        assert images, f"the {tag} cell drew no figure"
    setup = next(c for c in nb.cells if "setup" in c.metadata.get("tags", []))
    assert "budget: ci" in "".join(o.get("text", "") for o in setup.outputs)
