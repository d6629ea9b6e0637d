# Tessera: `make demo` runs the main job, `make test` the whole suite.
# Both create .venv on first use and install the project into it (editable).
# PyTorch (a second reference for conv/pool/LeNet-5) is installed when it can be; set
# TORCH=0 to skip it. Without it those tests skip.

PYTHON ?= python3
TORCH ?= 1
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN := PATH="$(CURDIR)/$(BIN):$$PATH"

.PHONY: demo test pytest lit install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@if [ "$(TORCH)" = "1" ]; then \
	  $(BIN)/python -m pip install --quiet -e '.[torch]' \
	  || echo "note: PyTorch could not be installed; the PyTorch comparisons will skip"; \
	fi
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(RUN) $(BIN)/python -m tessera.tools.demo examples/lenet5.tsr

pytest: $(STAMP)
	$(RUN) $(BIN)/python -m pytest

lit: $(STAMP)
	$(RUN) $(BIN)/lit -sv tests/filecheck

test: pytest lit

clean:
	rm -rf $(VENV) build *.egg-info
