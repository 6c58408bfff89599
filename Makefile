# minigun-go: `make demo` runs a real pipeline end to end; `make test` runs the tests.

GO      ?= go
BIN     := bin
GEN     := $(BIN)/minigungen
PKGS    := ./...

.PHONY: all build test vet generate check-generated bench demo fuzz clean

all: build

build:
	$(GO) build -o $(GEN) ./cmd/minigungen

# vet, then every test under the race detector (the conformance corpus in
# ../shared/spec included), then the generated files must be fresh.
test: vet
	$(GO) test -race -count=1 -timeout 15m $(PKGS)
	$(MAKE) --no-print-directory check-generated

vet:
	$(GO) vet $(PKGS)

# Regenerate every committed _mg.go from its .mg.
generate: build
	$(GEN) generate ./examples/... ./internal/bench ./internal/behavior

# Regenerate, then fail if anything changed.
check-generated: build
	$(GEN) generate -check ./examples/... ./internal/bench ./internal/behavior

# Benchmarks against hand-written Go baselines, printed as a table of ratios.
bench:
	$(GO) run ./internal/bench/table

# Build minigungen, generate and run the quickstart example with its stats.
demo: build
	$(GEN) generate ./examples/quickstart
	$(GEN) run examples/quickstart/quickstart.mg -- -count 1000 -stats

# Fuzz the parser (FUZZTIME=2000000x or a duration for longer).
FUZZTIME ?= 200000x
fuzz:
	$(GO) test ./dsl -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)

clean:
	rm -rf $(BIN)
