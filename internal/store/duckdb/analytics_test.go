package duckdb

import (
	"testing"

	"github.com/lore-dev/lore/internal/store/storetest"
)

func TestAnalyticsConformance(t *testing.T) {
	storetest.RunAnalytics(t, func(t *testing.T) storetest.AnalyticsStore { return openTest(t, t.TempDir()) })
}
