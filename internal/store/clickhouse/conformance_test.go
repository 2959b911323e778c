package clickhouse_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/clickhouse"
	"github.com/lore-dev/lore/internal/store/storetest"
)

// engineOnly is the ClickHouse store as a store.Store for the suites: its
// Reader and the service map, which still live in the DuckDB store, are
// store.ErrUnsupported, so a case that needs them fails rather than
// passing on a stand-in.
type engineOnly struct{ *clickhouse.Store }

func (engineOnly) Search(context.Context, store.SearchRequest) (store.SearchResult, error) {
	return store.SearchResult{}, store.ErrUnsupported
}

func (engineOnly) Histogram(context.Context, store.HistogramRequest) (store.HistogramResult, error) {
	return store.HistogramResult{}, store.ErrUnsupported
}

func (engineOnly) Facets(context.Context, store.FacetsRequest) (store.FacetsResult, error) {
	return store.FacetsResult{}, store.ErrUnsupported
}

func (engineOnly) Journey(context.Context, store.JourneyRequest) ([]event.Event, error) {
	return nil, store.ErrUnsupported
}

// TestConformance runs the conformance suites' cases that need only an
// engine against a real clickhouse-server, each on a database of its own.
func TestConformance(t *testing.T) {
	srv := chtest.Start(t)
	var n atomic.Int64
	open := func(t *testing.T) engineOnly {
		u := fmt.Sprintf("clickhouse://%s/conf%d", srv.Addr, n.Add(1))
		s, err := clickhouse.Open(context.Background(), u, nil)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		return engineOnly{s}
	}
	t.Run("Engine", func(t *testing.T) {
		storetest.RunEngine(t, func(t *testing.T) store.Store { return open(t) })
	})
	// Of product analytics, trends run on 18.16; funnels and web
	// sessions use window functions (21.x), retention and paths a JOIN
	// ON with an inequality (not before 21.x either): docs/scaling.md.
	t.Run("Analytics", func(t *testing.T) {
		storetest.RunAnalyticsCases(t, func(t *testing.T) storetest.AnalyticsStore { return open(t) }, "Trends")
	})
	t.Run("Issues", func(t *testing.T) {
		storetest.RunIssues(t, func(t *testing.T) storetest.IssuesStore { return open(t) })
	})
}
