package storetest

import (
	"testing"

	"github.com/lore-dev/lore/internal/store"
)

// RunCases runs the cases of Run named in names (all must exist), for a
// backend that answers only some reads yet (the ClickHouse store on
// 18.16: search is still answered inside the DuckDB store, and some
// query objects use SQL that release lacks).
func RunCases(t *testing.T, open func(t *testing.T) store.Store, names ...string) {
	runSuite(t, open, pick(t, suite, names))
}

// RunAnalyticsCases runs the cases of RunAnalytics named in names (all
// must exist), for a backend that answers only some analyses yet.
func RunAnalyticsCases(t *testing.T, open func(t *testing.T) AnalyticsStore, names ...string) {
	runSuite(t, open, pick(t, analyticsCases(), names))
}

// pick is the cases named in names, failing t when one is not a case.
func pick[S store.Store](t *testing.T, cases []suiteCase[S], names []string) []suiteCase[S] {
	t.Helper()
	byName := map[string]suiteCase[S]{}
	for _, c := range cases {
		byName[c.name] = c
	}
	var out []suiteCase[S]
	for _, n := range names {
		c, ok := byName[n]
		if !ok {
			t.Fatalf("%q is not a case of the suite", n)
		}
		out = append(out, c)
	}
	return out
}
