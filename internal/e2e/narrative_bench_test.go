package e2e

import (
	"context"
	"net/url"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sim"
)

// TestNarrativeLatency measures the narrative endpoints over a day of the
// shop with its three incidents, through a whole server. It is a
// measurement, not a check: run it with LORE_NARRATIVE_BENCH=1 (and
// LORE_NARRATIVE_SESSIONS for the shop's sessions a day, default 20000);
// the figures go to BENCHMARKS.md.
func TestNarrativeLatency(t *testing.T) {
	if os.Getenv("LORE_NARRATIVE_BENCH") == "" {
		t.Skip("set LORE_NARRATIVE_BENCH=1 to measure")
	}
	sessions := 20000
	if s, err := strconv.Atoi(os.Getenv("LORE_NARRATIVE_SESSIONS")); err == nil {
		sessions = s
	}
	a := startApp(t)
	day := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	from, to := day, day.Add(24*time.Hour)
	shop := sim.New(sim.Config{Seed: 1, Start: from, SessionsPerDay: sessions, Incidents: []sim.Incident{
		sim.Throttle{At: day.Add(9 * time.Hour), For: 2 * time.Hour},
		sim.SlowDB{At: day.Add(14 * time.Hour), For: time.Hour},
		sim.BadRelease{At: day.Add(18 * time.Hour)},
	}})
	var events int64
	start := time.Now()
	if err := shop.Backfill(context.Background(), from, to, sim.NewHTTPSink(a.URL(), ingestKey, nil), func(_ time.Time, n int64) { events = n }); err != nil {
		t.Fatal(err)
	}
	flush(t, a)
	t.Logf("%d events in %s (%.0f events/s through HTTP, pattern mining included)", events, time.Since(start).Round(time.Second), float64(events)/time.Since(start).Seconds())
	rf, rt := from.Format(time.RFC3339), to.Format(time.RFC3339)
	measure := func(name, path string, v url.Values) {
		var ds []time.Duration
		for i := range 7 {
			s := time.Now()
			var out map[string]any
			getJSON(t, a.URL(), path, v, &out)
			if i >= 2 { // two warm-up runs
				ds = append(ds, time.Since(s))
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		t.Logf("%-28s p50 %6.0f ms  p95 %6.0f ms", name, float64(ds[len(ds)/2].Microseconds())/1000, float64(ds[len(ds)-1].Microseconds())/1000)
	}
	measure("stories 24h", "/api/v1/stories", url.Values{"from": {rf}, "to": {rt}})
	measure("timeline 15m", "/api/v1/incidents/timeline", url.Values{"at": {day.Add(14*time.Hour + 20*time.Minute).Format(time.RFC3339)}, "before": {"15m"}})
	measure("patterns 24h", "/api/v1/patterns", url.Values{"from": {rf}, "to": {rt}})
	measure("service map 24h", "/api/v1/services/map", url.Values{"from": {rf}, "to": {rt}})
	measure("journey failures 24h", "/api/v1/journeys/failures", url.Values{"from": {rf}, "to": {rt}})
}
