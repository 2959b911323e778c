# Lore's two commands: `make demo` and `make test`. The rest serves them.
GO        ?= go
BIN       := bin/lore
DEMO_DATA ?= lore-data/demo
FUZZTIME  ?= 5s

.PHONY: demo test build vet unit race fuzz sdk-test clients-test web-build web-test bench bench-clickhouse clean

build:
	$(GO) build -o $(BIN) ./cmd/lore

# Starts Lore on its embedded store and feeds it the simulated shop: three
# days of history with incidents, then live traffic. Open the URL it prints.
# The UI is built first (into web/dist, embedded by go:embed); without npm
# the binary serves the committed placeholder page.
demo: web-build
	$(GO) build -o $(BIN) ./cmd/lore
	$(BIN) demo --data $(DEMO_DATA)

# The whole suite: formatting, vet, unit and integration tests (real
# servers and real SDKs), the race detector on the concurrent packages, and
# every fuzz target for a short budget.
test: vet unit race fuzz go-sdk-test sdk-test clients-test web-test

vet:
	@unformatted=$$(gofmt -l cmd internal web sdk/go); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# The cold tier's bucket tests need s3rver (npm): scripts/s3rver.sh.
unit:
	bash scripts/s3rver.sh
	$(GO) test -count=1 -timeout 30m ./...

# Every package that runs goroutines of its own or serves concurrent
# callers: the pipeline, HTTP, metadata, the ingest processors and
# listeners, alerting, the app's wiring and story cache, the analyses and
# the store (DuckDB, its in-memory indexes and rollups). The runs on a
# current ClickHouse release (tests named …CurrentRelease…: minutes of
# chDB's own work) are left to the unit pass.
race:
	$(GO) test -count=1 -race -timeout 30m -skip 'CurrentRelease' ./internal/pipeline/ ./internal/server/ ./internal/meta/ ./internal/metrics/ ./internal/fields/ \
		./internal/monitor/ ./internal/notify/ ./internal/check/ ./internal/outbound/ \
		./internal/app/ ./internal/analysis/... ./internal/store/... ./internal/issue/ \
		./internal/ingest/... ./internal/replay/ ./internal/lifecycle/

fuzz:
	FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

# The Go SDK (sdk/go), its own module: vet, and its tests under the race
# detector (the whole-server test joining two services' logs is in
# internal/e2e).
go-sdk-test:
	cd sdk/go && $(GO) vet ./... && $(GO) test -count=1 -race ./...

# The browser SDK (sdk/js) in headless Chromium against a whole server;
# installs its own npm packages (and Chromium when missing).
sdk-test:
	GO=$(GO) scripts/sdk-test.sh

# The clients people run, pinned in scripts/clients/package-lock.json
# (@sentry/node, posthog-node, @segment/analytics-node, the OpenTelemetry
# Node SDK, winston, pino; @sentry/browser, posthog-js,
# @segment/analytics-next and Lore's SDK in headless Chromium; Debian's
# python3-sentry-sdk), each driven against a whole server.
clients-test:
	GO=$(GO) scripts/clients-test.sh

# The web UI (web/, TypeScript + React + Vite) built into web/dist, which git
# ignores but for placeholder.html (served when no UI was built).
web-build:
	@if command -v npm >/dev/null; then \
		rm -rf web/dist/assets web/dist/index.html web/dist/index.html.gz web/dist/index.html.br && \
		cd web && npm ci --no-audit --no-fund && npm run build; \
	else echo "web-build: npm not found; the binary serves the placeholder page"; fi

# The UI's component tests (Vitest) and every page in headless Chromium
# against a real `lore demo`; builds into a temporary directory, so web/dist
# is left as committed. Prints the screenshots' paths.
web-test:
	GO=$(GO) scripts/web-test.sh

# Benchmarks at 1M and 10M events through the real HTTP path; the figures
# go into BENCHMARKS.md.
bench: build
	$(BIN) bench --workload shop --events 1000000
	$(BIN) bench --workload freeform --events 1000000
	$(BIN) bench --workload shop --events 10000000
	$(BIN) bench --workload freeform --events 10000000
	LORE=$(BIN) scripts/bench-clickhouse.sh 1000000

# The same at 1M on a ClickHouse events store (Debian's clickhouse-server,
# started on free ports and stopped after), one Lore node and two.
bench-clickhouse: build
	LORE=$(BIN) scripts/bench-clickhouse.sh 1000000

clean:
	rm -rf bin lore-data
