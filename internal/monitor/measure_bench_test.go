package monitor

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// TestMeasureLatency measures one evaluation of each monitor kind on a
// loaded data directory: LORE_MONITORS_BENCH_DIR (a copy of the narrative
// benchmark's 10M-event day, /tmp/lore-narrative-10000000-v2) at
// LORE_MONITORS_BENCH_AT (default 2026-11-09T14:30:00Z, inside its
// incidents). It is a measurement, not a check; wrap runs in flock
// /tmp/lore-bench.lock. The figures go to BENCHMARKS.md.
func TestMeasureLatency(t *testing.T) {
	dir := os.Getenv("LORE_MONITORS_BENCH_DIR")
	if dir == "" {
		t.Skip("set LORE_MONITORS_BENCH_DIR to a loaded data directory to measure")
	}
	at := time.Date(2026, 11, 9, 14, 30, 0, 0, time.UTC)
	if v := os.Getenv("LORE_MONITORS_BENCH_AT"); v != "" {
		var err error
		if at, err = time.Parse(time.RFC3339, v); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	st, err := duckdb.Open(ctx, filepath.Join(dir, "events"), duckdb.Options{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	md, err := meta.Open(ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer md.Close()
	if err := md.MigrateIssues(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range []meta.Monitor{
		{Name: "errors 5m", Kind: meta.MonitorQuery, Query: "level:error service:payment-service", Window: "5m"},
		{Name: "errors 1h", Kind: meta.MonitorQuery, Query: "level:error service:payment-service", Window: "1h"},
		{Name: "all events 1h", Kind: meta.MonitorQuery, Window: "1h"},
		{Name: "error rate 5m", Kind: meta.MonitorErrorRate, Query: "service:payment-service", Threshold: 0.05, Window: "5m"},
		{Name: "error rate 1h", Kind: meta.MonitorErrorRate, Query: "service:payment-service", Threshold: 0.05, Window: "1h"},
		{Name: "p95 5m", Kind: meta.MonitorLatency, Query: "service:payment-service", Window: "5m"},
		{Name: "p95 1h", Kind: meta.MonitorLatency, Query: "service:payment-service", Window: "1h"},
		{Name: "p95 all spans 1h", Kind: meta.MonitorLatency, Window: "1h"},
		{Name: "issues 1h", Kind: meta.MonitorIssue, Window: "1h"},
	} {
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		m.ProjectID = 1
		var ds []time.Duration
		var r Reading
		for i := range 7 {
			s := time.Now()
			rs, err := Measure(ctx, Sources{Events: eventStore{st}, Signals: md}, m, at)
			if err != nil {
				t.Fatal(err)
			}
			r = rs[0]
			if i >= 2 { // two warm-up runs
				ds = append(ds, time.Since(s))
			}
		}
		slices.Sort(ds)
		t.Logf("%-26s value %10.4g (%7d samples)  p50 %6.1f ms  max %6.1f ms", m.Name, r.Value, r.Samples,
			float64(ds[len(ds)/2].Microseconds())/1000, float64(ds[len(ds)-1].Microseconds())/1000)
	}
}
