# minigun-go: `make demo` runs a real pipeline end to end; `make test` runs the tests.

GO      ?= go
BIN     := bin
GEN     := $(BIN)/minigungen
PKGS    := ./...

.PHONY: all build test vet generate check-generated bench demo graph fuzz clean

all: build

build:
	$(GO) build -o $(GEN) ./cmd/minigungen

# vet, then every test under the race detector (the conformance corpus in
# ../shared/spec included), then the generated files must be fresh.
test: vet
	$(GO) test -race -count=1 -timeout 15m $(PKGS)
	$(MAKE) --no-print-directory check-generated

# go vet, and every Go file gofmt'd.
vet:
	$(GO) vet $(PKGS)
	@out=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt'd (run gofmt -w):"; echo "$$out"; exit 1; fi

# Regenerate every committed _mg.go from its .mg.
generate: build
	$(GEN) generate ./examples/... ./internal/bench ./internal/bench/natsbench ./internal/behavior

# Regenerate, then fail if anything changed.
check-generated: build
	$(GEN) generate -check ./examples/... ./internal/bench ./internal/bench/natsbench ./internal/behavior

# Benchmarks against hand-written Go baselines, printed as a table of ratios.
bench:
	$(GO) run ./internal/bench/table

# Build minigungen, then build and run examples/demo (a few seconds of
# goroutines, a batch, worker processes and a dead letter) with the live
# progress view when stderr is a terminal and the stats table at the end.
demo:
	@echo "==> building minigungen (the first time, go downloads and compiles its dependencies: a minute or two)"
	@$(MAKE) --no-print-directory build
	@echo "==> building examples/demo/demo.mg into a program and running it (the first build compiles the runtime)"
	$(GEN) run examples/demo/demo.mg -- -progress -stats

# Draw the demo pipeline for the README as docs/demo.svg (needs Graphviz's
# dot: apt-get install graphviz). A test checks the picture against the demo.
graph: build
	@command -v dot >/dev/null || { echo "make graph needs Graphviz's dot (apt-get install graphviz)" >&2; exit 1; }
	@mkdir -p docs
	$(GEN) graph examples/demo/demo.mg > $(BIN)/demo.dot
	dot -Tsvg $(BIN)/demo.dot -o docs/demo.svg

# Fuzz the parser (FUZZTIME=2000000x or a duration for longer).
FUZZTIME ?= 200000x
fuzz:
	$(GO) test ./dsl -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)

clean:
	rm -rf $(BIN)
