# Every step a fresh clone needs lives here: CI runs `.ci/run` -> `make test` on a clean checkout.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: help run test test-unit lint typecheck fmt crds clean
.DEFAULT_GOAL := help

help:
	@echo "make run     serve the hooks on $(HOST):$(PORT) (no cluster needed)"
	@echo "make test    lint, type-check and run the whole test suite (includes test-pinot)"
	@echo "make bench   measure the hooks against an echo floor (QUICK=1 for a short run)"
	@echo "make fuzz    fuzz the HTTP surface with many more cases than make test"
	@echo "make crds    regenerate crds/*.yaml from the pydantic models"

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

run: $(BIN)/.installed
	$(BIN)/pinot-control-plane serve --host $(HOST) --port $(PORT)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

fmt: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The CRDs are generated from the spec models (hooks/crds); a test fails when crds/ is stale.
crds: $(BIN)/.installed
	$(BIN)/python -m hooks.crds crds

test-unit: $(BIN)/.installed
	$(BIN)/pytest -q -n 2 --ignore=tests/pinot

test: lint typecheck test-unit test-pinot

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

-include tests/pinot/pinot.mk
-include bench.mk
-include fuzz.mk
