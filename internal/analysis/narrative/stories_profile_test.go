package narrative

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// timedNarrative logs how long each store read takes.
type timedNarrative struct {
	store.Narrative
	mu  sync.Mutex
	log []string
}

func (t *timedNarrative) note(name string, start time.Time) {
	t.mu.Lock()
	t.log = append(t.log, fmt.Sprintf("  %-22s %6.0f ms", name, float64(time.Since(start).Microseconds())/1000))
	t.mu.Unlock()
}

func (t *timedNarrative) Run(ctx context.Context, q sqlq.Query, row func(sqlq.Scanner) error) error {
	defer t.note(q.Name, time.Now())
	return t.Narrative.Run(ctx, q, row)
}

func (t *timedNarrative) RolledServiceSeries(ctx context.Context, r store.ServiceSeriesRequest) ([]store.ServicePoint, bool, error) {
	rr, ok := t.Narrative.(store.ServiceSeriesRollup)
	if !ok {
		return nil, false, nil
	}
	defer t.note(fmt.Sprintf("ServiceSeries/%ds", r.Step/1e6), time.Now())
	return rr.RolledServiceSeries(ctx, r)
}

func (t *timedNarrative) CallGraph(ctx context.Context, project int64, r store.Range) ([]store.CallEdge, error) {
	defer t.note("CallGraph", time.Now())
	return callGraph(ctx, t.Narrative, project, r)
}

// RolledErrorGroups passes the store's error rollup through, timed.
func (t *timedNarrative) RolledErrorGroups(ctx context.Context, project int64, r store.Range, since int64, limit int) ([]store.ErrorGroup, bool, error) {
	rr, ok := t.Narrative.(store.ErrorGroupsRollup)
	if !ok {
		return nil, false, nil
	}
	defer t.note("RolledErrorGroups", time.Now())
	return rr.RolledErrorGroups(ctx, project, r, since, limit)
}

// RolledReleaseStarts passes the store's release rollup through, timed.
func (t *timedNarrative) RolledReleaseStarts(ctx context.Context, project int64, r store.Range) ([]store.ReleaseStart, bool, error) {
	rr, ok := t.Narrative.(store.ReleaseRollup)
	if !ok {
		return nil, false, nil
	}
	defer t.note("RolledReleaseStarts", time.Now())
	return rr.RolledReleaseStarts(ctx, project, r)
}

// TestStoriesProfile times each detector and each store read over a
// store loaded by TestNarrativeLatency (internal/e2e): set
// LORE_PROFILE_DIR to its data directory.
func TestStoriesProfile(t *testing.T) {
	dir := os.Getenv("LORE_PROFILE_DIR")
	if dir == "" {
		t.Skip("set LORE_PROFILE_DIR to a loaded data directory")
	}
	ctx := context.Background()
	opened := time.Now()
	s, err := duckdb.Open(ctx, filepath.Join(dir, "events"), duckdb.Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("opened in %s (rollups rebuilt if out of date)", time.Since(opened).Round(time.Millisecond))
	defer s.Close()
	day := time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC)
	r := store.Range{From: day.UnixMicro(), To: day.Add(24 * time.Hour).UnixMicro()}
	// LORE_PROFILE_SHIFT moves the range (a duration: "30.5s" is a range
	// off the minutes, as now-24h is).
	if d, err := time.ParseDuration(os.Getenv("LORE_PROFILE_SHIFT")); err == nil {
		r.From, r.To = r.From+d.Microseconds(), r.To+d.Microseconds()
	}
	r = wholeMinutes(r) // as Stories.Resolve does
	var project int64 = 1
	if p := os.Getenv("LORE_PROFILE_PROJECT"); p != "" {
		fmt.Sscan(p, &project)
	}
	for round := range 2 {
		tn := &timedNarrative{Narrative: s}
		res := resolve.New(resolve.Roles{Narrative: tn}, resolve.Options{})
		st := on(res)
		total := time.Now()
		for _, d := range detectors {
			start := time.Now()
			cards, err := d.run(ctx, st, project, r)
			if err != nil {
				t.Errorf("%s: %v", d.name, err)
			}
			t.Logf("round %d %-20s %6.0f ms  %d cards", round, d.name, float64(time.Since(start).Microseconds())/1000, len(cards))
			for _, l := range tn.log {
				t.Log(l)
			}
			tn.log = nil
		}
		t.Logf("round %d stories total %s", round, time.Since(total).Round(time.Millisecond))
		start := time.Now()
		if _, err := (Timeline{ProjectID: project, At: day.Add(14*time.Hour + 20*time.Minute).UnixMicro(), Before: 15 * 60e6}).Resolve(ctx, res, nil); err != nil {
			t.Error(err)
		}
		t.Logf("round %d timeline %s", round, time.Since(start).Round(time.Millisecond))
		for _, l := range tn.log {
			t.Log(l)
		}
	}
}
