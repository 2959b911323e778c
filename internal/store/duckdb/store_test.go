package duckdb

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/lore-dev/lore/internal/event"
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
		evs, err := s.Journey(ctx, r)
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
	res, err := s.Search(ctx, store.SearchRequest{ProjectID: 1, Range: store.Range{From: 0, To: 100}})
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
