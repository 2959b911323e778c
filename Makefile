# Lore's two commands: `make demo` and `make test`. The rest serves them.
GO        ?= go
BIN       := bin/lore
DEMO_DATA ?= lore-data/demo
FUZZTIME  ?= 5s

.PHONY: demo test build vet unit race fuzz sdk-test bench clean

build:
	$(GO) build -o $(BIN) ./cmd/lore

# Starts Lore on its embedded store and feeds it the simulated shop: three
# days of history with incidents, then live traffic. Open the URL it prints.
demo: build
	$(BIN) demo --data $(DEMO_DATA)

# The whole suite: formatting, vet, unit and integration tests (real
# servers and real SDKs), the race detector on the concurrent packages, and
# every fuzz target for a short budget.
test: vet unit race fuzz sdk-test

vet:
	@unformatted=$$(gofmt -l cmd internal web); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -count=1 -timeout 30m ./...

race:
	$(GO) test -count=1 -race -timeout 20m ./internal/pipeline/ ./internal/server/ ./internal/meta/ ./internal/metrics/

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The browser SDK (sdk/js) in headless Chromium against a whole server;
# installs its own npm packages (and Chromium when missing).
sdk-test:
	GO=$(GO) scripts/sdk-test.sh

# Benchmarks at 1M and 10M events through the real HTTP path; the figures
# go into BENCHMARKS.md.
bench: build
	$(BIN) bench --events 1000000
	$(BIN) bench --events 10000000

clean:
	rm -rf bin lore-data
