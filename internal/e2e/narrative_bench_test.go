package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/sim"
)

// narrativeDataVersion names the cached data directories of
// TestNarrativeLatency; bump it when the simulator or the ingest mapping
// changes what a simulated day stores.
const narrativeDataVersion = "v2"

// TestNarrativeLatency measures the narrative endpoints over a day of the
// shop with its three incidents (sim.NarrativeDay), through a whole
// server. It is a measurement, not a check: run it with
// LORE_NARRATIVE_BENCH=1, and LORE_NARRATIVE_EVENTS for the day's size
// (default 10,000,000; 678000 is the 20,000-session day). The day is
// loaded once through HTTP ingest into /tmp/lore-narrative-<events>-<v>
// (LORE_NARRATIVE_DIR overrides) and reused by later runs; wrap runs in
// flock /tmp/lore-bench.lock. The figures go to BENCHMARKS.md.
func TestNarrativeLatency(t *testing.T) {
	if os.Getenv("LORE_NARRATIVE_BENCH") == "" {
		t.Skip("set LORE_NARRATIVE_BENCH=1 to measure")
	}
	events := int64(10_000_000)
	if n, err := strconv.ParseInt(os.Getenv("LORE_NARRATIVE_EVENTS"), 10, 64); err == nil && n > 0 {
		events = n
	}
	dir := os.Getenv("LORE_NARRATIVE_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), fmt.Sprintf("lore-narrative-%d-%s", events, narrativeDataVersion))
	}
	day := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	from, to := day, day.Add(24*time.Hour)
	if _, err := os.Stat(filepath.Join(dir, "loaded")); err != nil {
		loadNarrativeDay(t, dir, day, events)
	}
	start := time.Now()
	a, stop := openAppAt(t, dir)
	defer stop()
	t.Logf("opened %s in %s", dir, time.Since(start).Round(time.Millisecond))
	if b, err := os.ReadFile(filepath.Join(dir, "loaded")); err == nil {
		t.Logf("%s events stored", strings.TrimSpace(string(b)))
	}
	rf, rt := from.Format(time.RFC3339), to.Format(time.RFC3339)
	// runs after two warm-ups: the p95 of 20 runs is the 19th, of 5 the
	// slowest.
	measure := func(name, path string, v url.Values, runs int) {
		var ds []time.Duration
		for i := range runs + 2 {
			s := time.Now()
			var out map[string]any
			getJSON(t, a.URL(), path, v, &out)
			if i >= 2 { // two warm-up runs
				ds = append(ds, time.Since(s))
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		p95 := ds[min(len(ds)-1, (len(ds)*95+99)/100-1)]
		t.Logf("%-30s p50 %6.0f ms  p95 %6.0f ms  (%d runs)", name, float64(ds[len(ds)/2].Microseconds())/1000, float64(p95.Microseconds())/1000, runs)
	}
	measure("stories 24h", "/api/v1/stories", url.Values{"from": {rf}, "to": {rt}}, 20)
	// As now-24h asks: off the minutes (stories widen it to whole minutes).
	off := 30*time.Second + 500*time.Millisecond
	measure("stories 24h from 00:00:30.5", "/api/v1/stories", url.Values{"from": {from.Add(off).Format(time.RFC3339Nano)}, "to": {to.Add(off).Format(time.RFC3339Nano)}}, 5)
	measure("timeline 15m", "/api/v1/incidents/timeline", url.Values{"at": {day.Add(14*time.Hour + 20*time.Minute).Format(time.RFC3339)}, "before": {"15m"}}, 20)
	// A moment inside a minute (as "now" is) reads the series from the
	// events rather than the minute rollup.
	measure("timeline 15m, at 14:20:30", "/api/v1/incidents/timeline", url.Values{"at": {day.Add(14*time.Hour + 20*time.Minute + 30*time.Second).Format(time.RFC3339)}, "before": {"15m"}}, 20)
	measure("patterns 24h", "/api/v1/patterns", url.Values{"from": {rf}, "to": {rt}}, 5)
	measure("service map 24h", "/api/v1/services/map", url.Values{"from": {rf}, "to": {rt}}, 5)
	measure("journey failures 24h", "/api/v1/journeys/failures", url.Values{"from": {rf}, "to": {rt}}, 5)
}

// loadNarrativeDay loads the simulated day through HTTP ingest into a
// fresh directory and moves it to dir when complete, so that an
// interrupted load is never reused.
func loadNarrativeDay(t *testing.T, dir string, day time.Time, events int64) {
	t.Helper()
	tmp := dir + ".loading"
	if err := os.RemoveAll(tmp); err != nil {
		t.Fatal(err)
	}
	a, stop := openAppAt(t, tmp)
	shop := sim.New(sim.NarrativeDay(day, events))
	var n int64
	start := time.Now()
	if err := shop.Backfill(context.Background(), day, day.Add(24*time.Hour), sim.NewHTTPSink(a.URL(), ingestKey, nil), func(_ time.Time, x int64) { n = x }); err != nil {
		t.Fatal(err)
	}
	flushTB(t, a)
	el := time.Since(start)
	stop()
	t.Logf("loaded %d events in %s (%.0f events/s through HTTP, pattern mining included)", n, el.Round(time.Second), float64(n)/el.Seconds())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "loaded"), []byte(strconv.FormatInt(n, 10)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// openAppAt serves a whole server on the data directory dir; stop shuts
// it down (loading everything acknowledged and closing the store).
func openAppAt(t *testing.T, dir string) (*app.App, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{
		DataDir: dir, Addr: "127.0.0.1:0", IngestKey: ingestKey, ReadKey: readKey, AdminKey: adminKey,
		Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	var stopped bool
	return a, func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}
