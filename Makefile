# Two entry points: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO_DIR ?= demo-output

.PHONY: demo test benchmark bench docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/microscopy-builder demo $(DEMO_DIR)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

docs: $(VENV)/.installed-test
	$(BIN)/python -m mkdocs build --strict

bench: benchmark

benchmark: $(VENV)/.installed-test
	$(BIN)/python -m pip install --quiet -e ".[benchmark]"
	$(BIN)/python benchmarks/bench_deflate.py
	$(BIN)/python benchmarks/bench_imaging.py
	$(BIN)/python benchmarks/bench_imaging.py --planes 4
	$(BIN)/python benchmarks/bench_segmentation.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) build src/*.egg-info
