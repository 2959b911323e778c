package duckdb

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/sqlq"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

const (
	pt0   = int64(1_767_571_200_000_000) // 2026-01-05T00:00:00Z, a Monday
	pHour = int64(3600e6)
	day   = 24 * pHour
	week  = 7 * day
)

// randomProduct is a random stream over two projects: product events
// (names repeating, page views with paths, bookkeeping events, replay
// detections), errors and
// error logs, slow requests, events of users, of anonymous devices, of
// both (identity pairs, some linking one device to two users), and of no
// one; times on a coarse grid so that ties happen.
func randomProduct(r *rand.Rand, n int) []event.Event {
	names := []string{"View", "Add", "Buy", "Signup", "$identify", "$pageleave", "$rageclick", "$dead_click"}
	pages := []string{"/", "/p/1", "/p/2", ""}
	evs := make([]event.Event, 0, n)
	for range n {
		e := event.Event{ProjectID: 1 + r.Int64N(2), TS: pt0 + r.Int64N(40)*(pHour/3), Service: "web"}
		e.ReceivedAt = e.TS
		p := r.IntN(12)
		switch r.IntN(5) {
		case 0:
			e.AnonymousID = fmt.Sprintf("d%d", p)
		case 1:
			e.UserID, e.AnonymousID = fmt.Sprintf("u%d", p), fmt.Sprintf("d%d", (p+r.IntN(2))%12)
		case 2:
			if r.IntN(10) == 0 {
				break // no id at all
			}
			fallthrough
		default:
			e.UserID = fmt.Sprintf("u%d", p)
		}
		switch k := r.IntN(10); {
		case k < 6:
			e.Kind, e.Name = event.KindEvent, names[r.IntN(len(names))]
			if e.Name == "$rageclick" || e.Name == "$dead_click" { // replay detections, some with what was clicked
				e.Level = event.LevelWarn
				if t := []string{"Pay now", "Size guide", ""}[r.IntN(3)]; t != "" {
					e.Attributes = []event.Attr{{Key: "$el_text", Value: t}}
				}
				if ms := []string{"", "700", "2500", "x"}[r.IntN(4)]; ms != "" { // how long it lasted (a bad value counts as none)
					e.Attributes = append(e.Attributes, event.Attr{Key: "replay.detection_ms", Value: ms})
				}
			}
		case k < 8:
			e.Kind, e.Name = event.KindPageview, "$pageview"
			if pg := pages[r.IntN(len(pages))]; pg != "" {
				e.Attributes = []event.Attr{{Key: "path", Value: pg}}
			} else {
				e.Endpoint = "/ep"
			}
		case k < 9:
			e.Kind, e.Level, e.Service = event.KindError, event.LevelError, "pay"
			e.ErrorType = []string{"Declined", "Timeout", ""}[r.IntN(3)]
			e.Message = "card failed"
		default:
			e.Kind, e.Level, e.Service = event.KindLog, event.LevelInfo, "api"
			e.Endpoint = []string{"/api/cart", "/api/pay"}[r.IntN(2)]
			e.DurationMS = float64(500 + r.IntN(2000))
			if r.IntN(4) == 0 {
				e.Level, e.Message = event.LevelError, "upstream failed"
			}
		}
		evs = append(evs, e)
	}
	return evs
}

func appendAll(t *testing.T, s *Store, seq *uint64, evs []event.Event, per int) {
	t.Helper()
	for i := 0; i < len(evs); i += per {
		*seq++
		if err := s.Append(context.Background(), store.Batch{Seq: *seq, Events: evs[i:min(i+per, len(evs))]}); err != nil {
			t.Fatal(err)
		}
	}
}

func productRequests() (funnels []store.FunnelRequest, rets []store.RetentionRequest, paths []store.PathsRequest) {
	rng := store.Range{From: pt0 + pHour, To: pt0 + 12*pHour}
	for i, st := range [][]string{{"View", "Add", "Buy"}, {"View", "View", "Add"}, {"Add", store.StepError}, {"$pageview", "Buy", "Signup", "Add"}} {
		windows := []int64{pHour}
		if i < 2 {
			windows = append(windows, 4*pHour)
		}
		for _, w := range windows {
			f := store.FunnelRequest{ProjectID: 1, Range: rng, Window: w, Causes: 5, SlowMS: 1000, Samples: 3, MaxBreakdowns: 10}
			for _, n := range st {
				f.Steps = append(f.Steps, store.Step{Name: n})
			}
			funnels = append(funnels, f)
		}
	}
	for _, pair := range [][2]string{{"View", "Buy"}, {"Add", "Add"}, {"$pageview", store.StepError}} {
		for _, period := range []int64{3 * pHour, week} {
			rets = append(rets, store.RetentionRequest{ProjectID: 1, Range: rng, Start: store.Step{Name: pair[0]}, Return: store.Step{Name: pair[1]}, Period: period, Periods: 5})
		}
	}
	for _, a := range []string{"View", "Buy", store.StepError, "$identify"} {
		st := store.Step{Name: a}
		paths = append(paths, store.PathsRequest{ProjectID: 1, Range: rng, Start: &st, Depth: 2, Limit: 100},
			store.PathsRequest{ProjectID: 1, Range: rng, Start: &st, Depth: 5, Limit: 100},
			store.PathsRequest{ProjectID: 1, Range: rng, End: &st, Depth: 3, Limit: 100})
	}
	return funnels, rets, paths
}

// checkIndexMatchesSQL asserts the index answers every request as SQL does.
func checkIndexMatchesSQL(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	funnels, rets, paths := productRequests()
	for _, f := range funnels {
		if _, ok := s.IndexedFunnel(f); !ok {
			t.Fatalf("funnel %v not from the index", f.Steps)
		}
		got, err := product.Funnel{FunnelRequest: f}.Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := product.Funnel{FunnelRequest: f}.Run(ctx, sqlOnly{s})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("funnel %v window %d:\nindex %+v\nSQL   %+v", f.Steps, f.Window, got, want)
		}
	}
	for _, r := range rets {
		got, ok := s.IndexedRetention(r)
		if !ok {
			t.Fatal("retention not from the index")
		}
		want, err := product.Retention(r).Run(ctx, sqlOnly{s})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("retention %s→%s period %d:\nindex %+v\nSQL   %+v", r.Start.Name, r.Return.Name, r.Period, got, want)
		}
	}
	for _, r := range paths {
		got, ok := s.IndexedPaths(r)
		if !ok {
			t.Fatal("paths not from the index")
		}
		want, err := product.Paths(r).Run(ctx, sqlOnly{s})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("paths start %v end %v depth %d:\nindex %v\nSQL   %v", r.Start, r.End, r.Depth, got, want)
		}
	}
}

// TestProductIndexMatchesSQL compares the product index's funnels,
// retention and paths with the SQL implementations on random streams,
// after live appends and after a restart rebuilt the index from the
// tables.
func TestProductIndexMatchesSQL(t *testing.T) {
	for seed := range uint64(2) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir)
			var seq uint64
			evs := randomProduct(rand.New(rand.NewPCG(seed, 7)), 1500)
			// Clustered rows, then a tail with an identity that moves a
			// key between persons after the clustering.
			appendAll(t, s, &seq, evs, 500)
			s.product.Compact()
			late := event.Event{ProjectID: 1, TS: pt0 + 5*pHour, Kind: event.KindEvent, Name: "$identify", UserID: "u0", AnonymousID: "d7"}
			appendAll(t, s, &seq, []event.Event{late}, 500)
			if clustered, rows, moved := s.product.Layout(1); clustered == 0 || clustered == rows || moved == 0 {
				t.Fatalf("want clustered rows, a tail and moved keys: %d of %d rows clustered, %d moved", clustered, rows, moved)
			}
			checkIndexMatchesSQL(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// Reopened from the snapshot (seed 0) or rebuilt from the
			// tables (seed 1).
			if seed == 1 {
				if err := os.Remove(filepath.Join(dir, productSnapshotFile)); err != nil {
					t.Fatal(err)
				}
			}
			s = openTest(t, dir)
			defer s.Close()
			checkIndexMatchesSQL(t, s)
		})
	}
}

// TestProductIndexMergesLater checks that an identity learnt after the
// fact merges a device's earlier events into the person, live and after a
// restart.
func TestProductIndexMergesLater(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	ev := func(ts int64, user, anon, name string) event.Event {
		return event.Event{ProjectID: 1, TS: pt0 + ts, ReceivedAt: pt0 + ts, Kind: event.KindEvent, UserID: user, AnonymousID: anon, Name: name}
	}
	var seq uint64
	appendAll(t, s, &seq, []event.Event{ev(1e6, "", "dev", "View"), ev(2e6, "", "dev", "Add")}, 10)
	req := store.FunnelRequest{ProjectID: 1, Range: store.Range{From: pt0, To: pt0 + pHour}, Window: pHour,
		Steps: []store.Step{{Name: "View"}, {Name: "Add"}, {Name: "Buy"}}}
	funnel := func(s *Store) []int64 {
		t.Helper()
		res, err := product.Funnel{FunnelRequest: req}.Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		return res.Persons
	}
	if got := funnel(s); !slices.Equal(got, []int64{1, 1, 0}) {
		t.Fatalf("before identify: persons %v, want [1 1 0]", got)
	}
	// The user buys, then the device is identified as theirs.
	appendAll(t, s, &seq, []event.Event{ev(3e6, "ann", "", "Buy")}, 10)
	if got := funnel(s); !slices.Equal(got, []int64{1, 1, 0}) {
		t.Fatalf("before identify: persons %v, want [1 1 0] (dev and ann are apart)", got)
	}
	appendAll(t, s, &seq, []event.Event{ev(4e6, "ann", "dev", "$identify")}, 10)
	if got := funnel(s); !slices.Equal(got, []int64{1, 1, 1}) {
		t.Errorf("after identify: persons %v, want [1 1 1]", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	defer s.Close()
	if got := funnel(s); !slices.Equal(got, []int64{1, 1, 1}) {
		t.Errorf("after restart: persons %v, want [1 1 1]", got)
	}
	res, err := product.Retention(store.RetentionRequest{ProjectID: 1, Range: req.Range, Start: store.Step{Name: "View"}, Return: store.Step{Name: "Buy"}, Period: day, Periods: 1}).Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cohorts) != 1 || res.Cohorts[0].Size != 1 || res.Cohorts[0].Returned[0] != 1 {
		t.Errorf("retention after restart = %+v, want one person who returned", res.Cohorts)
	}
}

// TestProductSnapshotStale checks that a snapshot older than the store is
// not used: the index is rebuilt with every event.
func TestProductSnapshotStale(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	ev := func(ts int64, user, name string) event.Event {
		return event.Event{ProjectID: 1, TS: pt0 + ts, ReceivedAt: pt0 + ts, Kind: event.KindEvent, UserID: user, Name: name}
	}
	var seq uint64
	appendAll(t, s, &seq, []event.Event{ev(1e6, "a", "View"), ev(2e6, "b", "View")}, 10)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(dir, productSnapshotFile)
	old, err := os.ReadFile(snap)
	if err != nil {
		t.Fatalf("no snapshot after Close: %v", err)
	}
	s = openTest(t, dir)
	appendAll(t, s, &seq, []event.Event{ev(3e6, "a", "Buy")}, 10)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// As if the process had died after the append, leaving the old file.
	if err := os.WriteFile(snap, old, 0o644); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	defer s.Close()
	res, err := product.Funnel{FunnelRequest: store.FunnelRequest{ProjectID: 1, Range: store.Range{From: pt0, To: pt0 + pHour}, Window: pHour,
		Steps: []store.Step{{Name: "View"}, {Name: "Buy"}}}}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Persons, []int64{2, 1}) {
		t.Errorf("persons = %v, want [2 1]: the stale snapshot lacks a's Buy", res.Persons)
	}
}

// sqlOnly hides the store's accelerators: only its Executor shows.
type sqlOnly struct{ sqlq.Executor }
