package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir, Options{MemoryLimit: "256MB"}, nil)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, t.TempDir()) })
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
	trace, _ := event.ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	e := event.Event{ProjectID: 1, TS: 1_700_000_000_000_000, Kind: event.KindLog, Message: "kept", TraceID: trace, UserID: "alice", AnonymousID: "anon"}
	if err := s.Append(ctx, store.Batch{Seq: 4, Events: []event.Event{e}}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, dbFile+".wal")); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL before Close (%v): the check below would prove nothing", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Close checkpoints: the write-ahead log is folded into the file.
	if fi, err := os.Stat(filepath.Join(dir, dbFile+".wal")); err == nil && fi.Size() > 0 {
		t.Errorf("WAL of %d bytes left after Close", fi.Size())
	}
	s = openTest(t, dir)
	defer s.Close()
	if seq, err := s.LastSeq(ctx); err != nil || seq != 4 {
		t.Errorf("LastSeq after reopen = %d, %v; want 4", seq, err)
	}
	rng := store.Range{From: e.TS, To: e.TS + 1}
	for _, r := range []store.JourneyRequest{
		{ProjectID: 1, By: store.ByTrace, ID: trace.String(), Range: rng},
		{ProjectID: 1, By: store.ByUser, ID: "alice", Range: rng},
	} {
		evs, err := events.Reader{Ex: s}.Journey(ctx, r)
		if err != nil || len(evs) != 1 || evs[0].Message != "kept" {
			t.Errorf("Journey(%s) after reopen = %v, %v; want the kept event", r.By, evs, err)
		}
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Events != 1 {
		t.Errorf("Stats after reopen = %+v, %v", st, err)
	}
}

func TestAppendSanitizesStrings(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	e := event.Event{ProjectID: 1, TS: 10, Kind: event.KindLog, Message: "before\x00after \xff end",
		Attributes: []event.Attr{{Key: "k\x00", Value: "a\x1fb\x1ec"}, {Key: "", Value: "empty key"}}}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: []event.Event{e}}); err != nil {
		t.Fatal(err)
	}
	res, err := events.Reader{Ex: s}.Search(ctx, store.SearchRequest{ProjectID: 1, Range: store.Range{From: 0, To: 100}})
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("Search = %v, %v", res, err)
	}
	got := res.Events[0]
	want := []event.Attr{{Key: "k\uFFFD", Value: "a b c"}, {Key: "", Value: "empty key"}}
	if got.Message != "before\uFFFDafter \uFFFD end" || !slices.Equal(got.Attributes, want) {
		t.Errorf("stored %q, %q; want NUL and invalid UTF-8 replaced, nothing cut", got.Message, got.Attributes)
	}
}

// TestSpillsInsideTheDataDirectory: what a query spills goes under the
// data directory, not into ".tmp" of whatever directory Lore was started
// from.
func TestSpillsInsideTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	defer s.Close()
	var got string
	if err := s.db.QueryRowContext(context.Background(), `SELECT current_setting('temp_directory')`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "tmp"); got != want {
		t.Errorf("temp_directory = %q, want %q", got, want)
	}
}

// idCounter is the store with its id filter counted.
type idCounter struct {
	*Store
	calls, ranges int
}

func (c *idCounter) IDRanges(project int64, r store.Range, kind store.IDKind, id string) ([]store.Range, bool) {
	rs, ok := c.Store.IDRanges(project, r, kind, id)
	c.calls++
	c.ranges += len(rs)
	return rs, ok
}

// TestJourneyUsesIDFilter: a journey asks the blocks' key filters and
// reads only the blocks that may hold its id: an id in no block reads
// nothing, one in two of ten hours' blocks two ranges.
func TestJourneyUsesIDFilter(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	const hour = int64(3_600_000_000)
	t0 := int64(1_700_000_000_000_000)
	for b := range 10 {
		var evs []event.Event
		for i := range 20 {
			e := event.Event{ProjectID: 1, TS: t0 + int64(b)*hour + int64(i), Kind: event.KindLog, Message: "m"}
			if (b == 2 || b == 7) && i == 5 {
				e.SessionID = "sess-x"
			}
			evs = append(evs, e)
		}
		if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	c := &idCounter{Store: s}
	all := store.Range{From: t0, To: t0 + 10*hour}
	evs, err := events.Reader{Ex: c}.Journey(ctx, store.JourneyRequest{ProjectID: 1, By: store.BySession, ID: "sess-x", Range: all})
	if err != nil || len(evs) != 2 {
		t.Fatalf("Journey(sess-x) = %d events, %v; want 2", len(evs), err)
	}
	if c.calls != 1 || c.ranges != 2 {
		t.Errorf("id filter asked %d times for %d ranges, want once for 2 (the blocks holding the id)", c.calls, c.ranges)
	}
	*c = idCounter{Store: s}
	if evs, err := (events.Reader{Ex: c}).Journey(ctx, store.JourneyRequest{ProjectID: 1, By: store.BySession, ID: "sess-none", Range: all}); err != nil || len(evs) != 0 {
		t.Fatalf("Journey(sess-none) = %d events, %v; want none", len(evs), err)
	}
	if c.calls != 1 || c.ranges != 0 {
		t.Errorf("id filter asked %d times for %d ranges, want once for none", c.calls, c.ranges)
	}
}

// wordCounter is the store with its word filter counted.
type wordCounter struct {
	*Store
	calls, ranges int
}

func (c *wordCounter) WordRanges(project int64, r store.Range, words []string) ([]store.Range, bool) {
	rs, ok := c.Store.WordRanges(project, r, words)
	c.calls++
	c.ranges += len(rs)
	return rs, ok
}

// TestCountsUseWordFilter: a histogram and facets of a search with words
// ask the blocks' gram filters and read only the blocks that may hold
// them (one of ten hours' here), with the right counts.
func TestCountsUseWordFilter(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	const hour = int64(3_600_000_000)
	t0 := int64(1_700_000_000_000_000)
	for b := range 10 {
		var evs []event.Event
		for i := range 20 {
			e := event.Event{ProjectID: 1, TS: t0 + int64(b)*hour + int64(i), Kind: event.KindLog, Level: "info", Message: "routine work"}
			if b == 6 && i < 3 {
				e.Message = "zebra crossing"
			}
			evs = append(evs, e)
		}
		if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	q, err := query.Parse("zebra")
	if err != nil {
		t.Fatal(err)
	}
	all := store.Range{From: t0, To: t0 + 10*hour}
	c := &wordCounter{Store: s}
	f, err := events.Reader{Ex: c}.Facets(ctx, store.FacetsRequest{ProjectID: 1, Range: all, Query: q, Field: "level"})
	if err != nil || f.Total != 3 {
		t.Fatalf("Facets(zebra) = %+v, %v; want 3 events", f, err)
	}
	h, err := events.Reader{Ex: c}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: all, Query: q, Step: hour})
	if err != nil || len(h.Buckets) != 10 || h.Buckets[6].Count != 3 {
		t.Fatalf("Histogram(zebra) = %+v, %v; want 3 in the 7th hour", h.Buckets, err)
	}
	if c.calls != 2 || c.ranges != 2 {
		t.Errorf("word filter asked %d times for %d ranges, want twice for one each", c.calls, c.ranges)
	}
}

// sliceCounter is the store with its slices counted.
type sliceCounter struct {
	*Store
	calls int
}

func (c *sliceCounter) NewestSlices(project int64, r store.Range, want int64) []store.Range {
	c.calls++
	return c.Store.NewestSlices(project, r, want)
}

// TestSearchUsesSlices: a page of recent events asks the blocks' row
// counts once for slices of the range, newest first.
func TestSearchUsesSlices(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	const hour = int64(3_600_000_000)
	t0 := int64(1_700_000_000_000_000)
	for b := range 10 {
		var evs []event.Event
		for i := range 50 {
			evs = append(evs, event.Event{ProjectID: 1, TS: t0 + int64(b)*hour + int64(i), Kind: event.KindLog, Message: "m"})
		}
		if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	all := store.Range{From: t0, To: t0 + 10*hour}
	if rs := s.NewestSlices(1, all, 11); len(rs) < 2 || rs[0].To != all.To || rs[len(rs)-1].From != all.From {
		t.Fatalf("NewestSlices = %v, want several, newest first, covering the range", rs)
	}
	c := &sliceCounter{Store: s}
	res, err := events.Reader{Ex: c}.Search(ctx, store.SearchRequest{ProjectID: 1, Range: all, Limit: 10})
	if err != nil || len(res.Events) != 10 || res.Events[0].TS != t0+9*hour+49 {
		t.Fatalf("Search = %d events, %v; want the 10 newest", len(res.Events), err)
	}
	if c.calls != 1 {
		t.Errorf("slices asked %d times, want once", c.calls)
	}
}
