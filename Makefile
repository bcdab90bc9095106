# Two commands do everything on a fresh machine:
#   make run   - set up what is missing (venv, packages, model, index) and start the web chat
#   make test  - set up what is missing and run the whole test suite (real-model tests included)
# Pick another model with RAG_MODEL=<name or .gguf path> (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# llama-cpp-python compiles from source: build the library only (no examples,
# tools, server, tests or multimodal helper) to keep a fresh install short.
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF

.PHONY: setup install models index browser run test lint bench clean
setup: install models index

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
		$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	touch $@

models: install
	$(BIN)/python -m rag.models install

index: install
	$(BIN)/rag index

# The browser tests drive Debian's chromium; install it once if it is missing.
browser:
	command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

run: setup
	$(BIN)/python app.py

test: setup browser
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check rag tests app.py benchmarks

bench: setup
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) index/manifest.json index/gen-*
