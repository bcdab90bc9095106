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
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF
# -march=native, but never Intel AMX: where the CPU has it but the sandbox does not grant the
# tile state, ggml's AMX kernels die on their first ldtilecfg (a segfault on the first answer).
LLAMA_CFLAGS := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
# The wheel is built once per version and flags into a folder named after them: pip's own
# wheel cache is keyed by the source archive only, so it would hand back a wheel built with
# other flags.
LLAMA_WHEELS := $(HOME)/.cache/rag/wheels/llama-cpp-python-$(LLAMA_VERSION)-$(shell echo '$(LLAMA_CMAKE_ARGS) $(LLAMA_CFLAGS)' | sha256sum | cut -c1-12)

.PHONY: setup install models index browser run test lint bench clean llama-server
setup: install models index

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CFLAGS="$(LLAMA_CFLAGS)" CXXFLAGS="$(LLAMA_CFLAGS)" \
		CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(BIN)/python -m pip wheel --no-deps --no-cache-dir \
		--progress-bar off -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(BIN)/python -m pip install --progress-bar off --no-deps --force-reinstall $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(BIN)/python -m pip install --progress-bar off --find-links $(LLAMA_WHEELS) -e '.[dev]'
	touch $@

models: install
	$(BIN)/python -m rag.gguf install
	$(BIN)/python -m rag.crossencoder install
	$(BIN)/python -m rag.language install

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

# Optional, not part of setup: llama.cpp's own server (parallel slots, continuous batching), built from the
# llama.cpp source vendored in the pinned llama-cpp-python release, with the same CPU flags. Its web UI is
# left out (the prebuilt one would be downloaded from a model hub). benchmarks/load.py --backends uses it;
# RAG_LLM_URL can point at it (README, "Other programs").
LLAMA_SERVER_DIR := $(HOME)/.cache/rag/llama-server-$(LLAMA_VERSION)-$(shell echo '$(LLAMA_CFLAGS)' | sha256sum | cut -c1-12)
LLAMA_SERVER_CMAKE_ARGS := -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TOOLS=ON \
	-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF \
	-DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DGGML_OPENMP=OFF -DBUILD_SHARED_LIBS=OFF
llama-server: $(HOME)/.cache/rag/bin/llama-server
$(HOME)/.cache/rag/bin/llama-server: $(LLAMA_SERVER_DIR)/llama-server
	mkdir -p $(dir $@) && ln -sf $< $@
$(LLAMA_SERVER_DIR)/llama-server:
	rm -rf $(LLAMA_SERVER_DIR)/src && mkdir -p $(LLAMA_SERVER_DIR)/src
	$(PYTHON) -m pip download --quiet --no-deps --no-binary :all: -d $(LLAMA_SERVER_DIR)/src llama-cpp-python==$(LLAMA_VERSION)
	tar xzf $(LLAMA_SERVER_DIR)/src/llama_cpp_python-$(LLAMA_VERSION).tar.gz -C $(LLAMA_SERVER_DIR)/src
	cd $(LLAMA_SERVER_DIR)/src/llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp && \
		CFLAGS="$(LLAMA_CFLAGS)" CXXFLAGS="$(LLAMA_CFLAGS)" cmake -S . -B build $(LLAMA_SERVER_CMAKE_ARGS) >/dev/null && \
		cmake --build build --target llama-server -j $$(nproc)
	cp $(LLAMA_SERVER_DIR)/src/llama_cpp_python-$(LLAMA_VERSION)/vendor/llama.cpp/build/bin/llama-server $@
	rm -rf $(LLAMA_SERVER_DIR)/src
	$@ --version

clean:
	rm -rf $(VENV) index/manifest.json index/gen-*
