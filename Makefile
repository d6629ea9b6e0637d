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

BENCH_STAMP := $(VENV)/.installed-bench
GPU_STAMP := $(VENV)/.installed-gpu
BENCH_ARGS ?=

# SCALE-Sim (PyPI `scalesim` 3.0.0) needs numpy < 2.4 (through numba), so it gets its own
# virtual environment; bench/scalesim_runner.py runs in it, called from bench/npu.py.
SCALESIM_VENV := .venv-scalesim
SCALESIM_STAMP := $(SCALESIM_VENV)/.installed
SCALESIM_PACKAGES := 'scalesim==3.0.0' 'numpy<2.4'

.PHONY: demo test pytest lit install bench bench-graph bench-tuning bench-npu bench-cuda scalesim clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,distributed,notebook]'
	@if [ "$(TORCH)" = "1" ]; then \
	  $(BIN)/python -m pip install --quiet -e '.[torch]' \
	  || echo "note: PyTorch could not be installed; the PyTorch comparisons will skip"; \
	fi
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(RUN) $(BIN)/python -m tessera.tools.demo examples/lenet5.tsr

# The suite also checks the NPU simulator against SCALE-Sim itself (its own venv).
pytest: $(STAMP) $(SCALESIM_STAMP)
	$(RUN) $(BIN)/python -m pytest

lit: $(STAMP)
	$(RUN) $(BIN)/lit -sv tests/filecheck

test: pytest lit

# Tessera's C beside NumPy/OpenBLAS and PyTorch; `make bench BENCH_ARGS=--quick` for a smoke run,
# `make bench BENCH_ARGS='--tune 64'` to tune matmul-512/1024/2048 first (into
# bench/results/tuned-<machine>.db) and add a `tessera tuned` row.
# Writes bench/results/<machine>-<date>.json and .md.
$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(RUN) $(BIN)/python -m bench.kernels $(BENCH_ARGS)

# The graph optimizations end to end (LeNet-5, the MLP, attention): optimized against
# unoptimized C, NumPy and PyTorch, with peak intermediate memory; and the convolution
# strategies on many shapes (what conv-strategy's `auto` was fitted to).
bench-graph: $(BENCH_STAMP)
	$(RUN) $(BIN)/python -m bench.graph_opts $(BENCH_ARGS)
	$(RUN) $(BIN)/python -m bench.conv_strategy

# The search strategies against an exhaustively measured matmul space (resumable: the trials
# go to bench/results/tuning-<machine>.db); `make bench-tuning BENCH_ARGS=--quick` for a
# smoke run. Writes bench/results/tuning-<machine>-<date>.json and .md.
bench-tuning: $(BENCH_STAMP)
	$(RUN) $(BIN)/python -m bench.tuning $(BENCH_ARGS)

# Tessera's CUDA kernels beside cuBLAS (CuPy) and cuDNN (PyTorch, when installed with CUDA) on
# this machine's GPU (needs nvcc and a CUDA GPU; installs CuPy, the `gpu` extra);
# `make bench-cuda BENCH_ARGS=--quick` for a smoke run, `make bench-cuda BENCH_ARGS='--tune 64'`
# to tune the cases first (into bench/results/tuned-cuda-<device>.db) and add a `tessera tuned`
# row. Writes bench/results/cuda-<device>-<date>.json and .md; exits 2 without a GPU.
$(GPU_STAMP): pyproject.toml $(BENCH_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[gpu]'
	touch $(GPU_STAMP)

bench-cuda: $(GPU_STAMP)
	$(RUN) $(BIN)/python -m bench.cuda $(BENCH_ARGS)

$(SCALESIM_STAMP):
	$(PYTHON) -m venv $(SCALESIM_VENV)
	$(SCALESIM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SCALESIM_VENV)/bin/python -m pip install --quiet $(SCALESIM_PACKAGES)
	touch $(SCALESIM_STAMP)

scalesim: $(SCALESIM_STAMP)

# Tessera's NPU simulator beside SCALE-Sim on GEMM and conv layers: cycles and simulation
# time; `make bench-npu BENCH_ARGS=--quick` for the small layers only.
# Writes bench/results/npu-<machine>-<date>.json and .md.
bench-npu: $(BENCH_STAMP) $(SCALESIM_STAMP)
	$(RUN) $(BIN)/python -m bench.npu --scalesim-python $(SCALESIM_VENV)/bin/python $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(SCALESIM_VENV) build *.egg-info
