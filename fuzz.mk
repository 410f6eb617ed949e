# Fuzzing the hook endpoints (tests/fuzz): Schemathesis driven by the app's own /openapi.json, and
# Hypothesis on raw bodies beyond the schema (hostile specs, children and metadata, bytes that are
# no JSON, extreme nesting, the body limit). The unit run (`make test`) runs a few thousand cases;
# `make fuzz` runs FUZZ_SCALE times as many (about 57,000 at 20), `make fuzz QUICK=1` a fifth of that.
# FUZZ_ARGS passes more pytest options, e.g. FUZZ_ARGS=--hypothesis-show-statistics.

FUZZ_SCALE ?= $(if $(QUICK),4,20)
FUZZ_ARGS ?=

.PHONY: fuzz
fuzz: $(BIN)/.installed
	FUZZ_SCALE=$(FUZZ_SCALE) $(BIN)/pytest -q -n 2 -m fuzz $(FUZZ_ARGS) tests/fuzz
