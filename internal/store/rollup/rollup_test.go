package rollup

import (
	"slices"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/sqlq"
)

// TestRollupAggregatesAreTheAnalysis: the rollup materializes exactly
// the signals internal/analysis/services.Series defines (the store keeps
// its own copy, since it may not import the analysis).
func TestRollupAggregatesAreTheAnalysis(t *testing.T) {
	if got, want := normSQL(minuteAggregates), normSQL(services.Aggregates(sqlq.DuckDB{})); got != want {
		t.Errorf("the rollup's aggregates differ from services.Aggregates:\nrollup   %s\nanalysis %s", got, want)
	}
}

// TestEdgesAreTheAnalysis: the hourly call graph materializes exactly the
// edges internal/analysis/services.Map defines (the store's copy).
func TestEdgesAreTheAnalysis(t *testing.T) {
	if got, want := normSQL(serviceEdgesSQL), normSQL(services.Edges(sqlq.DuckDB{})); got != want {
		t.Errorf("the call graph's edges differ from services.Edges:\nstore    %s\nanalysis %s", got, want)
	}
}

// normSQL folds whitespace runs, and drops those after '(' and before ')'.
func normSQL(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(strings.ReplaceAll(s, "( ", "("), " )", ")")
}

// TestMinuteRuns: a batch's minutes merge into runs per project while
// they lie within rollupGap of each other, and a new run starts past it
// or at another project.
func TestMinuteRuns(t *testing.T) {
	var runs []minuteRun
	for _, m := range []struct{ project, minute int64 }{{1, 0}, {1, 3}, {1, 3}, {1, 13}, {1, 25}, {2, 24}} {
		runs = addMinute(runs, m.project, m.minute*Minute)
	}
	want := []minuteRun{{1, 0, 14 * Minute}, {1, 25 * Minute, 26 * Minute}, {2, 24 * Minute, 25 * Minute}}
	if !slices.Equal(runs, want) {
		t.Errorf("runs = %+v, want %+v", runs, want)
	}
}
