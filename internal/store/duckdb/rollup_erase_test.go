package duckdb

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/rollup"
)

// rollupDump is every rollup table's rows, sorted, as text.
func rollupDump(t *testing.T, s *Store) string {
	t.Helper()
	var b strings.Builder
	for _, tbl := range []string{"narrative_minutes", "narrative_errors", "narrative_releases", "narrative_edges", "narrative_edge_hours"} {
		var rows string
		if err := s.db.QueryRowContext(context.Background(), `SELECT coalesce(string_agg(r, chr(10) ORDER BY r), '') FROM (SELECT t::VARCHAR AS r FROM `+tbl+` t)`).Scan(&rows); err != nil {
			t.Fatalf("dump %s: %v", tbl, err)
		}
		b.WriteString(tbl + ":\n" + rows + "\n")
	}
	return b.String()
}

// TestEraseRollsUpAgain: erasing a person recomputes the rollups'
// minutes and call-graph hours their events were in, so that the
// rollups are what a rebuild from the remaining events gives — their
// error messages and sample traces gone from the error groups — and the
// other minutes are left as they were.
func TestEraseRollsUpAgain(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMicro()
	for b := range 6 {
		evs := edgeTraces(t0+int64(b)*30*rollup.Minute, 30, b%2 == 1)
		for i := range evs {
			e := &evs[i]
			// Alice's: the cache calls (so sealed hours' edges change), one
			// trace in ten, and an error of her own.
			if e.Service == "cache" || (i/5)%10 == 3 {
				e.UserID = "alice"
			}
		}
		evs = append(evs, event.Event{ProjectID: 1, TS: t0 + int64(b)*30*rollup.Minute + 7*rollup.Minute + 500, Kind: event.KindError, Level: "error",
			Service: "checkout", Release: "v2", ErrorType: "CardDeclined", Message: "card declined for alice@example.com", UserID: "alice"},
			event.Event{ProjectID: 1, TS: t0 + int64(b)*30*rollup.Minute + 7*rollup.Minute + 900, Kind: event.KindError, Level: "error",
				Service: "checkout", Release: "v2", ErrorType: "Timeout", Message: "psp timed out", UserID: "bob"})
		if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	before := rollupDump(t, s)
	if !strings.Contains(before, "alice@example.com") || !strings.Contains(before, "cache") {
		t.Fatalf("the rollups hold nothing of alice before the erasure: the test would prove little\n%s", before)
	}
	if _, err := s.ErasePerson(ctx, 1, "alice"); err != nil {
		t.Fatal(err)
	}
	after := rollupDump(t, s)
	if strings.Contains(after, "alice") || strings.Contains(after, "cache") {
		t.Errorf("the rollups still tell alice's events after erasing her:\n%s", after)
	}
	if !strings.Contains(after, "psp timed out") {
		t.Errorf("bob's error left the rollups with alice's:\n%s", after)
	}
	sameAsRebuilt(t, s, "erasure", after)
}

// TestDeleteEventsRollsUpAgain: retention deleting a kind's old events
// (with no archive to keep them) recomputes the rollups' minutes they
// were in, so that the error groups no longer tell them, as a rebuild
// from the remaining events would not.
func TestDeleteEventsRollsUpAgain(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, t.TempDir())
	defer s.Close()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMicro()
	for b := range 6 {
		evs := edgeTraces(t0+int64(b)*30*rollup.Minute, 30, b%2 == 1)
		at := t0 + int64(b)*30*rollup.Minute + 7*rollup.Minute
		evs = append(evs,
			event.Event{ProjectID: 1, TS: at, Kind: event.KindLog, Level: "error", Service: "checkout", ErrorType: "CardDeclined", Message: fmt.Sprintf("old log error %d", b)},
			event.Event{ProjectID: 1, TS: at + 1, Kind: event.KindError, Level: "error", Service: "checkout", ErrorType: "Timeout", Message: fmt.Sprintf("kept error %d", b)})
		if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	if before := rollupDump(t, s); !strings.Contains(before, "old log error 1") {
		t.Fatalf("the rollups hold no log error before the deletion:\n%s", before)
	}
	n, err := s.DeleteEvents(ctx, 1, event.KindLog, t0+90*rollup.Minute)
	if err != nil || n == 0 {
		t.Fatalf("DeleteEvents = %d, %v", n, err)
	}
	after := rollupDump(t, s)
	for b := range 3 {
		if strings.Contains(after, fmt.Sprintf("old log error %d", b)) {
			t.Errorf("the rollups still tell deleted log error %d:\n%s", b, after)
		}
	}
	if !strings.Contains(after, "old log error 3") || !strings.Contains(after, "kept error 0") {
		t.Errorf("the rollups lost rows that were not deleted:\n%s", after)
	}
	sameAsRebuilt(t, s, "deletion", after)
}

// sameAsRebuilt fails t unless rebuilding the rollups from the events
// left gives what the deletion (what) left in them (after).
func sameAsRebuilt(t *testing.T, s *Store, what, after string) {
	t.Helper()
	ctx := context.Background()
	var seq uint64
	if err := s.db.QueryRowContext(ctx, `SELECT seq FROM ingest_state WHERE id = 1`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if err := s.rebuildRollups(ctx, seq); err != nil {
		t.Fatal(err)
	}
	if rebuilt := rollupDump(t, s); rebuilt != after {
		t.Errorf("the rollups after the %s differ from a rebuild:\nafter the %s:\n%s\nrebuilt:\n%s", what, what, after, rebuilt)
	}
}
