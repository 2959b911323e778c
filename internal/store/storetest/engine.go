package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/store"
)

// RunEngine runs the cases of Run that a bare store.Engine answers (the
// reads that are query objects: journeys, latency; append, the Executor,
// stats), for a backend that cannot search, histogram or facet yet (the
// ClickHouse store: those are still answered inside the DuckDB store).
func RunEngine(t *testing.T, open func(t *testing.T) store.Store) {
	var cases []suiteCase[store.Store]
	for _, c := range suite {
		if strings.HasPrefix(c.name, "Journey") || c.name == "Latency" || c.name == "Stats" || c.name == "Run" {
			cases = append(cases, c)
		}
	}
	runSuite(t, open, cases)
}

// RunAnalyticsCases runs the cases of RunAnalytics named in names (all
// must exist), for a backend that answers only some analyses yet.
func RunAnalyticsCases(t *testing.T, open func(t *testing.T) AnalyticsStore, names ...string) {
	var cases []suiteCase[AnalyticsStore]
	for _, c := range analyticsCases() {
		if slices.Contains(names, c.name) {
			cases = append(cases, c)
		}
	}
	if len(cases) != len(names) {
		t.Fatalf("RunAnalyticsCases(%q): %d of them are cases of RunAnalytics", names, len(cases))
	}
	runSuite(t, open, cases)
}
