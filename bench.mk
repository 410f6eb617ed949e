# `make bench`: latency, throughput and memory of the hook server against an echo floor, in one run.
# `make bench QUICK=1` is a short run (about two minutes) written to .bench/benchmarks-quick.md;
# the full run (about 12 minutes) rewrites docs/benchmarks.md. See docs/benchmarks.md.
.PHONY: bench bench-wrk

bench-wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		if [ "$$(id -u)" -ne 0 ]; then echo "bench: wrk is missing; install it as root: apt-get install wrk" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: $(BIN)/.installed bench-wrk
	$(BIN)/python -m bench.run $(if $(filter-out 0,$(QUICK)),--quick)
