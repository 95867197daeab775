# authconform — run `make` (or `make help`) for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO          ?= go
BIN         := bin/authconform
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X github.com/authconform/authconform/internal/cli.Version=$(VERSION)
ADDR        ?= 127.0.0.1:8080
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 30s
FUZZMINIMIZETIME ?= 10s
SOAK        ?= 1m
# The tools (bench, mutation) are a module of their own, so that `go install ./...` builds
# authconform alone; make builds them into bin/ and runs them from here.
TOOLS       := tools

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "  On a fresh machine: 'make run' starts the mock on $(ADDR); 'make test' runs every test."

.PHONY: build
build: ## Build bin/authconform
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) .

.PHONY: run
run: build ## Build and serve the mock for all bundled specs on ADDR (default 127.0.0.1:8080)
	./$(BIN) serve --addr $(ADDR)

.PHONY: test
test: ## Run every test, with the race detector (the suites run against the mock here), the tools module's too
	$(GO) test -race -count=1 ./...
	$(GO) -C $(TOOLS) test -race -count=1 ./...

.PHONY: soak
soak: ## Soak the mock under -race: concurrent clients, every flow and bad input, for SOAK (default 1m)
	$(GO) test -race -count=1 -run '^TestSoak$$' ./mockserver -soak $(SOAK)

.PHONY: mutation
mutation: ## Kill matrix: the suites against the mock with every deliberate defect (each must be caught) and benign variant (each must pass); docs/mutation.md
	$(GO) -C $(TOOLS) build -o $(CURDIR)/bin/mutation ./mutation
	./bin/mutation $(MUTATIONFLAGS)

.PHONY: lint
lint: check-deps ## gofmt, go vet, staticcheck and the dependency rules
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) -C $(TOOLS) vet ./...
	cd $(TOOLS) && $(GO) run $(STATICCHECK) ./...

.PHONY: spectral
spectral: ## Lint specs/*.yaml and examples/specs/*.yaml with Spectral's spectral:oas ruleset (.spectral.yaml); needs (cd tools/spectral && npm ci)
	@test -x tools/spectral/node_modules/.bin/spectral || { echo "Spectral is not installed: run (cd tools/spectral && npm ci)" >&2; exit 1; }
	tools/spectral/node_modules/.bin/spectral lint --ruleset .spectral.yaml --fail-severity=hint specs/*.yaml examples/specs/*.yaml

.PHONY: frontend
frontend: ## Build the frontend quick start (examples/frontend: generate types, type-check, bundle); needs (cd examples/frontend && npm ci)
	cd examples/frontend && npm run build

.PHONY: check-deps
check-deps: ## Prove the dependency rules of docs/architecture.md (suites never import the mock, no vendor names in generic code, no focused specs)
	@./scripts/check-deps.sh

.PHONY: fuzz
fuzz: ## Run every fuzz target for FUZZTIME each (default 30s; or a count, e.g. 5000x)
	GO=$(GO) FUZZTIME=$(FUZZTIME) FUZZMINIMIZETIME=$(FUZZMINIMIZETIME) scripts/fuzz.sh

.PHONY: bench
bench: build ## Load comparison vs a bare net/http handler, conformance-run time, memory soak, verdict per target (a few minutes)
	$(GO) -C $(TOOLS) build -o $(CURDIR)/bin/bench ./bench
	./bin/bench -bin $(BIN) $(BENCHFLAGS)

.PHONY: bench-prism
bench-prism: build ## The login flow on Stoplight Prism (installed with npm into ~/.cache/authconform) beside the mock
	$(GO) -C $(TOOLS) build -o $(CURDIR)/bin/bench ./bench
	./bin/bench -bin $(BIN) -prism-only $(BENCHFLAGS)

.PHONY: bench-go
bench-go: ## Go benchmarks of the hot paths, with allocations
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) -C $(TOOLS) test -run '^$$' -bench . -benchmem ./...

.PHONY: generate
generate: ## Rewrite specs/json/*.json from specs/*.yaml (the loader embeds both; tests fail while stale)
	$(GO) generate ./specs

.PHONY: docs
docs: ## Regenerate docs/conformance.md and docs/mutation.md from the code, and the report goldens
	$(GO) test ./internal/cli -run '^TestConformanceDoc$$' -count=1 -update
	$(GO) -C $(TOOLS) test ./mutation -run '^TestMutationDoc$$' -count=1 -update
	$(GO) test ./reports -count=1 -update

.PHONY: clean
clean: ## Remove build output
	rm -rf bin
