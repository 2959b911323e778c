package clickhouse_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/clickhouse"
	"github.com/lore-dev/lore/internal/store/storetest"
)

// TestConformance runs the conformance suites' cases that a bare engine
// answers against a real clickhouse-server, each on a database of its
// own.
func TestConformance(t *testing.T) {
	srv := chtest.Start(t)
	conformance(t, func(db string) string { return "clickhouse://" + srv.Addr + "/" + db })
}

// TestConformanceOnCluster runs TestConformance's cases on databases
// sharded over two servers.
func TestConformanceOnCluster(t *testing.T) {
	conformance(t, chtest.StartCluster(t, 2).StoreURL)
}

// conformance runs the cases, each on a database of its own, whose
// store URL dbURL spells.
func conformance(t *testing.T, dbURL func(db string) string) {
	var n atomic.Int64
	open := func(t *testing.T) *clickhouse.Store {
		u := dbURL(fmt.Sprintf("conf%d", n.Add(1)))
		s, err := clickhouse.Open(context.Background(), u, nil)
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		return s
	}
	t.Run("Engine", func(t *testing.T) {
		storetest.RunCases(t, func(t *testing.T) store.Store { return open(t) },
			"AppendLastSeq", "RoundTrip", "InvalidText", "RangeBoundaries", "SearchPaging",
			"SearchPagingManyBatches", "SearchLimit", "SearchQuery", "Histogram", "HistogramSplit", "Facets", "ProjectIsolation",
			"Latency", "JourneyTrace", "JourneySession", "JourneyUser", "JourneyLimit",
			"JourneyIDFilter", "SearchAcceleratedAsSQL", "Stats", "Run")
	})
	// Web and funnels run in TestWindowAnalyses.
	t.Run("Analytics", func(t *testing.T) {
		storetest.RunAnalyticsCases(t, func(t *testing.T) storetest.AnalyticsStore { return open(t) }, "Trends", "Retention", "RetentionBreakdown", "Paths")
	})
	t.Run("Fields", func(t *testing.T) {
		storetest.RunFields(t, func(t *testing.T) storetest.FieldsStore { return open(t) })
	})
	t.Run("Issues", func(t *testing.T) {
		storetest.RunIssues(t, func(t *testing.T) storetest.IssuesStore { return open(t) })
	})
}
