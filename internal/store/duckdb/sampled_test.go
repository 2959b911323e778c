package duckdb

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// TestCountsEstimateSampledEvents stores what a project's sampling kept —
// info logs at a quarter, debug logs at a tenth, each carrying
// lore.sample_rate — beside errors kept whole: the histogram's and the
// facets' counts are of stored events, their estimates weight each
// sampled event by 1/rate, and where nothing was sampled there is no
// estimate. A store from before the sampled days were recorded finds
// them at open.
func TestCountsEstimateSampledEvents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var evs []event.Event
	add := func(minute int, level, service, rate string) {
		e := event.Event{ProjectID: 1, Kind: event.KindLog, Level: level, Service: service, Message: "m",
			TS: t0.Add(time.Duration(minute)*time.Minute + time.Duration(len(evs))*time.Millisecond).UnixMicro()}
		if rate != "" {
			e.Attributes = []event.Attr{{Key: "lore.sample_rate", Value: rate}}
		}
		evs = append(evs, e)
	}
	// Minute 0: 8 info logs at 0.25 (stand for 32) and 3 errors, on "api".
	// Minute 1: 5 debug logs at 0.1 (stand for 50) on "db".
	// Minute 2: 4 errors on "api", nothing sampled.
	for range 8 {
		add(0, "info", "api", "0.25")
	}
	for range 3 {
		add(0, "error", "api", "")
	}
	for range 5 {
		add(1, "debug", "db", "0.1")
	}
	for range 4 {
		add(2, "error", "api", "")
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	checkEstimates(t, s, t0)
	if _, err := s.db.ExecContext(ctx, `DROP TABLE sampled_days; DROP TABLE sampled_state`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	defer s.Close()
	checkEstimates(t, s, t0)
}

func checkEstimates(t *testing.T, s *Store, t0 time.Time) {
	t.Helper()
	ctx := context.Background()
	rng := store.Range{From: t0.UnixMicro(), To: t0.Add(3 * time.Minute).UnixMicro()}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

	h, err := events.Reader{Ex: s}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: rng, Step: 60_000_000, SplitBy: "level"})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		count, sampled int64
		estimate       float64
		by             map[string]float64
	}{
		{11, 8, 35, map[string]float64{"info": 32, "error": 3}},
		{5, 5, 50, map[string]float64{"debug": 50}},
		{4, 0, 0, nil},
	}
	for i, w := range want {
		b := h.Buckets[i]
		if b.Count != w.count || b.Sampled != w.sampled || !near(b.Estimate, w.estimate) {
			t.Errorf("minute %d: count %d, sampled %d, estimate %v; want %d, %d, %v", i, b.Count, b.Sampled, b.Estimate, w.count, w.sampled, w.estimate)
		}
		if len(b.ByEstimate) != len(w.by) {
			t.Errorf("minute %d: estimates by level %v, want %v", i, b.ByEstimate, w.by)
		}
		for k, v := range w.by {
			if !near(b.ByEstimate[k], v) {
				t.Errorf("minute %d: estimate of %s %v, want %v", i, k, b.ByEstimate[k], v)
			}
		}
	}
	// Without a split too.
	h, err = events.Reader{Ex: s}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: rng, Step: 3 * 60_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if b := h.Buckets[0]; b.Count != 20 || b.Sampled != 13 || !near(b.Estimate, 89) {
		t.Errorf("one bucket: count %d, sampled %d, estimate %v; want 20, 13, 89", b.Count, b.Sampled, b.Estimate)
	}

	f, err := events.Reader{Ex: s}.Facets(ctx, store.FacetsRequest{ProjectID: 1, Range: rng, Field: "service"})
	if err != nil {
		t.Fatal(err)
	}
	// db stands for 50 events, api for 32+7: db comes first by its estimate.
	if f.Total != 20 || f.Sampled != 13 || !near(f.EstimatedTotal, 89) || len(f.Values) != 2 {
		t.Fatalf("facets of service: %+v", f)
	}
	if v := f.Values[0]; v.Value != "db" || v.Count != 5 || v.Sampled != 5 || !near(v.Estimate, 50) {
		t.Errorf("first service %+v, want db: 5 stored, estimated 50", v)
	}
	if v := f.Values[1]; v.Value != "api" || v.Count != 15 || v.Sampled != 8 || !near(v.Estimate, 39) {
		t.Errorf("second service %+v, want api: 15 stored, estimated 39", v)
	}

	// Errors alone were never sampled: exact counts, no estimate.
	q, err := query.Parse("level:error")
	if err != nil {
		t.Fatal(err)
	}
	f, err = events.Reader{Ex: s}.Facets(ctx, store.FacetsRequest{ProjectID: 1, Range: rng, Query: q, Field: "service"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Total != 7 || f.Sampled != 0 || f.EstimatedTotal != 0 || len(f.Values) != 1 || f.Values[0] != (store.FacetValue{Value: "api", Count: 7}) {
		t.Errorf("facets of errors: %+v, want 7 on api and no estimate", f)
	}
}
