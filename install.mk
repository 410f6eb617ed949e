# The install paths and what they need (included by the top-level Makefile):
#
#   make tools        build helm and kustomize from the Go module proxy at the pinned versions, and
#                     crdvalidate (tools/crdvalidate: the API server's own CRD validation), into
#                     TOOLS_CACHE (outside the clone, like the Pinot jars); needs only `go`
#   make chart-crds   copy crds/ into the Helm chart (Helm installs a chart's crds/ as they are)
#   make test-helm    helm lint and helm template of the chart, then the chart and install manifest
#                     tests (tests/chart, tests/manifests) with these binaries
#   make image        build the hook image from the Dockerfile with docker or podman
#                     (IMAGE=name:tag; default pinot-control-plane:<version>, the chart's default)

GO ?= go
TOOLS_CACHE ?= $(HOME)/.cache/pinot-control-plane
# The newest releases the Go module proxy serves that build with the machine's Go (1.26).
HELM_VERSION := v4.3.2
KUSTOMIZE_VERSION := v5.8.2
HELM := $(TOOLS_CACHE)/helm-$(HELM_VERSION)/helm
KUSTOMIZE := $(TOOLS_CACHE)/kustomize-$(KUSTOMIZE_VERSION)/kustomize
# Built once per source: its module pins k8s.io/apiextensions-apiserver.
CRDVALIDATE_SOURCES := tools/crdvalidate/go.mod tools/crdvalidate/go.sum tools/crdvalidate/main.go
CRDVALIDATE := $(TOOLS_CACHE)/crdvalidate-$(shell cat $(CRDVALIDATE_SOURCES) | sha256sum | cut -c1-16)/crdvalidate
CHART := charts/pinot-control-plane
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' pyproject.toml)
IMAGE ?= pinot-control-plane:$(VERSION)
CONTAINER_ENGINE ?=

.PHONY: tools chart-crds test-helm image

tools: $(HELM) $(KUSTOMIZE) $(CRDVALIDATE)

# CGO off: a static binary that needs nothing from the machine. GOTOOLCHAIN=local: never fetch
# another Go; a version that needs a newer Go fails here instead.
define go-install
	@command -v $(GO) >/dev/null 2>&1 || { echo "$(notdir $@): go is not installed; it builds $(1) from the Go module proxy" >&2; exit 1; }
	@mkdir -p $(@D)
	GOBIN=$(abspath $(@D)) CGO_ENABLED=0 GOTOOLCHAIN=local $(GO) install $(1)
	@test -x $@
endef

$(HELM):
	$(call go-install,helm.sh/helm/v4/cmd/helm@$(HELM_VERSION))

$(KUSTOMIZE):
	$(call go-install,sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION))

$(CRDVALIDATE): $(CRDVALIDATE_SOURCES)
	@command -v $(GO) >/dev/null 2>&1 || { echo "crdvalidate: go is not installed; it builds the API server's CRD validation" >&2; exit 1; }
	@mkdir -p $(@D)
	cd tools/crdvalidate && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly $(GO) build -o $(abspath $@) .

chart-crds:
	rm -f $(CHART)/crds/*.yaml
	cp $(addprefix crds/,$(shell sed -n 's/^  - \(.*\.yaml\)$$/\1/p' crds/kustomization.yaml)) $(CHART)/crds/

test-helm: $(HELM) $(KUSTOMIZE) $(BIN)/.installed
	$(HELM) lint --strict $(CHART)
	$(HELM) lint --strict $(CHART) --values $(CHART)/ci/everything-values.yaml
	$(HELM) template pinot-control-plane $(CHART) --namespace pinot-control-plane --include-crds >/dev/null
	PCP_HELM=$(HELM) PCP_KUSTOMIZE=$(KUSTOMIZE) $(BIN)/pytest -q -n 2 tests/chart tests/manifests

image:
	@bash tools/image.sh "$(IMAGE)" $(CONTAINER_ENGINE)
