package storetest

import (
	"slices"
	"testing"

	"github.com/lore-dev/lore/internal/store"
)

// RunEngine runs the cases of Run that use only a store.Engine (append,
// sqlq.Executor, stats), for a backend whose Reader is not there yet (the
// ClickHouse store, whose Reader methods answer store.ErrUnsupported).
func RunEngine(t *testing.T, open func(t *testing.T) store.Store) {
	runSuite(t, open, []suiteCase[store.Store]{
		{"Stats", testStats},
		{"Run", testRun},
	})
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
