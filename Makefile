# Every step a fresh clone needs lives here: CI runs `.ci/run` -> `make test` on a clean checkout.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
PROBE_PORT ?= 8081
# The stages of `make test`, in order; it prints how long each took at the end. "a+b,c" runs a beside
# b then c (tools/stages.sh): the real-Pinot suite mostly waits on Pinot, so the unit and chart tests
# take the CPU it leaves idle, niced so that its timing stays its own.
TEST_STAGES := venv+tools+pinot-deps lint typecheck test-pinot+test-unit,test-helm

.PHONY: help run venv test test-unit lint typecheck fmt crds clean
.DEFAULT_GOAL := help

# helm, kustomize, the chart and the image; first, so that rules below can name the tools.
include install.mk

help:
	@echo "make run     serve the hooks on $(HOST):$(PORT) (no cluster needed)"
	@echo "make test    lint, type-check and run the whole test suite (includes test-helm, test-pinot)"
	@echo "make image   build the hook image from the Dockerfile (needs docker or podman)"
	@echo "make bench   measure the hooks against an echo floor (QUICK=1 for a short run)"
	@echo "make fuzz    fuzz the HTTP surface with many more cases than make test"
	@echo "make crds    regenerate crds/*.yaml from the pydantic models"

# Two stamps: serving needs only the package and its dependencies; everything else needs the
# development toolchain too (pytest, mypy, ruff, ...).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BIN)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

# A development venv serves too; otherwise install only what serving needs.
run: $(if $(wildcard $(BIN)/.installed),$(BIN)/.installed,$(BIN)/.installed-run)
	$(BIN)/pinot-control-plane serve --host $(HOST) --port $(PORT) --probe-port $(PROBE_PORT)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

fmt: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The CRDs are generated from the spec models (hooks/crds); a test fails when crds/ is stale.
# The chart's copies follow (make chart-crds).
crds: $(BIN)/.installed
	$(BIN)/python -m hooks.crds crds
	@$(MAKE) --no-print-directory chart-crds

# The chart and install manifests have their own stage (test-helm); the guides' tests render
# metacontroller/ with kustomize, and tests/crds/test_apiserver.py runs the API server's own CRD
# validation (crdvalidate, built by `make tools`).
test-unit: $(BIN)/.installed $(KUSTOMIZE) $(CRDVALIDATE)
	PCP_CRDVALIDATE=$(CRDVALIDATE) $(BIN)/pytest -q -n 2 --ignore=tests/pinot --ignore=tests/manifests --ignore=tests/chart

test:
	@bash tools/stages.sh "$(MAKE)" $(TEST_STAGES)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

-include tests/pinot/pinot.mk
-include bench.mk
-include fuzz.mk
