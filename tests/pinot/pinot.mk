# Real Apache Pinot cluster tests (included by the top-level Makefile).
#
#   make pinot-deps   resolve the Pinot jars from Maven Central into PINOT_M2 (outside the clone,
#                     like the tools: a fresh clone resolves offline in seconds; tests/pinot/.cache/m2
#                     links to it) and write tests/pinot/.cache/classpath.txt (the stamp, rebuilt only
#                     when tests/pinot/pom.xml changes)
#                     (and ZooKeeper 3.9.3 for tests/pinot/ensemble, from zookeeper-pom.xml, and the
#                     Prometheus JMX exporter agent jar for tests/pinot/production)
#   make test-pinot   render examples/cluster-minimal.yaml with the hooks, start ZooKeeper, controller,
#                     broker, server and minion from what they render (tests/pinot/overlay.py lists
#                     the only changes), and run the Job CLI against them: tests/pinot/plain, then a
#                     second cluster with the production settings, tests/pinot/production. Fails, never skips, if Pinot
#                     cannot start; the "pinot cluster" summary says where the time went.
#   make pinot-up     start the plain cluster by hand and keep it running until Ctrl-C
#   make test-upgrade not part of test-pinot: a cluster of two brokers and three servers at 0.11.0,
#                     upgraded to 1.3.0 and rolled back as the hook plans it, with queries all along
#                     (tests/pinot/upgrade). Needs 1.3.0 from ../shared/tools/pinot-1x.sh
#                     ($$PINOT1X_CACHE, default ~/.cache/pcp-pinot1x); prints the timings.

PINOT_DIR := tests/pinot
PINOT_CACHE := $(PINOT_DIR)/.cache
PINOT_CLASSPATH := $(PINOT_CACHE)/classpath.txt
ZOOKEEPER_CLASSPATH := $(PINOT_CACHE)/zookeeper-classpath.txt
PINOT_MVN ?= mvn
# The Maven repository the jars are resolved into, shared by every clone (TOOLS_CACHE: install.mk).
PINOT_M2 ?= $(TOOLS_CACHE)/m2
PINOT_VENV_BIN := $(if $(BIN),$(BIN),$(VENV)/bin)
PINOT_PYTEST_ARGS ?= -p no:cacheprovider -x -q
# What test-pinot collects; paths in PINOT_PYTEST_ARGS would add to these, not narrow them.
PINOT_TESTS ?= $(PINOT_DIR)
PINOT_UPGRADE_PYTEST_ARGS ?= -p no:cacheprovider -x -q -s

.PHONY: pinot-deps test-pinot test-upgrade pinot-up

PINOT_AGENT := $(PINOT_CACHE)/agents/jmx_prometheus_javaagent-0.18.0.jar

pinot-deps: $(PINOT_CLASSPATH) $(ZOOKEEPER_CLASSPATH) $(PINOT_AGENT)

# The Prometheus JMX exporter agent the apachepinot/pinot:1.3.0 image ships (spec.metrics), kept off
# Pinot's classpath: the harness starts it as -javaagent exactly as rendered.
# A clone's tests/pinot/.cache/m2 links to PINOT_M2 (one that is a directory already is kept).
$(PINOT_CACHE)/m2:
	@mkdir -p $(PINOT_M2) $(PINOT_CACHE)
	ln -sfn $(abspath $(PINOT_M2)) $@

$(PINOT_AGENT): | $(PINOT_CACHE)/m2
	@mkdir -p $(dir $@)
	$(PINOT_MVN) -B -q -Dstyle.color=never -Dmaven.repo.local=$(abspath $(PINOT_CACHE))/m2 \
		org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
		-Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:0.18.0 -DoutputDirectory=$(abspath $(dir $@))
	@test -s $@ && touch $@

$(PINOT_CLASSPATH): $(PINOT_DIR)/pom.xml | $(PINOT_CACHE)/m2
	@mkdir -p $(PINOT_CACHE)
	$(PINOT_MVN) -B -q -Dstyle.color=never -f $(PINOT_DIR)/pom.xml -Dmaven.repo.local=$(abspath $(PINOT_CACHE))/m2 \
		dependency:build-classpath
	@test -s $@ && touch $@

# The ZooKeeper server of tests/pinot/ensemble (the version a managed ensemble runs), same cache.
$(ZOOKEEPER_CLASSPATH): $(PINOT_DIR)/zookeeper-pom.xml | $(PINOT_CACHE)/m2
	@mkdir -p $(PINOT_CACHE)
	$(PINOT_MVN) -B -q -Dstyle.color=never -f $(PINOT_DIR)/zookeeper-pom.xml -Dmaven.repo.local=$(abspath $(PINOT_CACHE))/m2 \
		dependency:build-classpath
	@test -s $@ && touch $@

test-pinot: pinot-deps $(PINOT_VENV_BIN)/.installed
	$(PINOT_VENV_BIN)/pytest $(PINOT_TESTS) --ignore=$(PINOT_DIR)/upgrade $(PINOT_PYTEST_ARGS)

test-upgrade: pinot-deps $(PINOT_VENV_BIN)/.installed
	$(PINOT_VENV_BIN)/pytest $(PINOT_DIR)/upgrade $(PINOT_UPGRADE_PYTEST_ARGS)

# Start the same cluster by hand (URLs printed and written to <workdir>/urls.json); Ctrl-C stops it.
pinot-up: pinot-deps $(PINOT_VENV_BIN)/.installed
	$(PINOT_VENV_BIN)/python -m tests.pinot.up
